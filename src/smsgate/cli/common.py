"""What every CLI command shares: settings, an open store, and errors as one clear line."""

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from smsgate.domain.model import SenderCode
from smsgate.domain.phone import normalise_phone, phone_error
from smsgate.settings import Settings
from smsgate.store.database import Database, open_database
from smsgate.store.directory import find_sender
from smsgate.store.errors import StoreError
from smsgate.store.messages import MessageStore
from smsgate.store.migrate import SchemaOutOfDate, ensure_schema
from smsgate.store.optouts import OptOutStore
from smsgate.store.realms import RealmStore

P = ParamSpec("P")
T = TypeVar("T")


class CliError(Exception):
    """A user error: printed as one line, exit status 1."""


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"bad setting SMSGATE_{str(first['loc'][0]).upper()}: {first['msg']}")
        raise AssertionError("unreachable") from None


def command(func: Callable[P, Awaitable[T]]) -> Callable[P, T | None]:
    """Run an async command; turn every expected failure into one line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return asyncio.run(func(*args, **kwargs))  # type: ignore[arg-type]
        except (CliError, StoreError, SchemaOutOfDate) as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            fail(
                f"database error: {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}"
            )
        except OSError as exc:
            fail(str(exc))
        return None

    return wrapper


class Stores:
    """The stores a CLI command works with, over one short-lived database connection pool."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.realms = RealmStore(db)
        self.optouts = OptOutStore(db)
        self.messages = MessageStore(db)
        self.region = settings.resolved_default_region

    def phone(self, raw: str) -> str:
        """Validate and normalise a phone given on the command line (a leading "+" allowed)."""
        bare = raw.strip().removeprefix("+")
        reason = phone_error(bare)
        if reason is not None:
            raise CliError(f"{reason}: {raw!r}")
        return normalise_phone(bare, self.region)

    async def sender(self, code: str) -> SenderCode | None:
        """The sender code stored for `code`, however it is written (as inbound lookups do)."""
        return await find_sender(self.realms, code, self.region)

    async def realm_sender(self, realm: str, code: str) -> SenderCode:
        """`realm`'s sender code `code`; CliError if the realm has no such code."""
        realm_id = await self.realms.realm_id(realm)
        found = await self.sender(code)
        if found is None or found.realm_id != realm_id:
            raise CliError(f"sender code {code.strip()} not found in realm {realm}")
        return found


@asynccontextmanager
async def open_stores(*, create_schema: bool = True) -> AsyncIterator[Stores]:
    settings = load_settings()
    db = open_database(settings.resolved_database_url, pool_size=2)
    try:
        if create_schema:
            await ensure_schema(db)
        yield Stores(db, settings)
    finally:
        await db.dispose()
