"""What every CLI command shares: settings, the services, and errors as one clear line."""

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from smsgate.bootstrap.cli import CliServices, SchemaOutOfDate, open_cli
from smsgate.services.errors import InvalidInput, StoreError
from smsgate.settings import Settings

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
        except (CliError, InvalidInput, StoreError, SchemaOutOfDate) as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            fail(
                f"database error: {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}"
            )
        except OSError as exc:
            fail(str(exc))
        return None

    return wrapper


@asynccontextmanager
async def services(*, create_schema: bool = True) -> AsyncIterator[CliServices]:
    """The services one command works with (bootstrap/cli.py), closed when it is done."""
    async with open_cli(load_settings(), create_schema=create_schema) as bundle:
        yield bundle
