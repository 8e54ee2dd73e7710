"""ConsoleAdmin: operators only, the sender cache dropped after a change, and a rotation that
makes nothing for a key that is not there."""

from typing import Any

import pytest

from smsgate.domain.api_key import ApiKey
from smsgate.domain.console import ConsoleUser, Viewer
from smsgate.domain.model import SenderCode
from smsgate.services.api_keys import CreatedKey
from smsgate.services.console_admin import ConsoleAdmin, SenderFields
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.realms import PasswordSet

OPERATOR = Viewer(ConsoleUser(1, "olga", None, None, 0.0), csrf="t")
REALM_USER = Viewer(ConsoleUser(2, "ann", 7, "north", 0.0), csrf="t")


def _key(key_id: str, name: str = "shop", revoked: float | None = None) -> ApiKey:
    return ApiKey(
        id=key_id,
        realm_id=7,
        name=name,
        key_hash="h",
        prefix="sg_",
        created_at=0.0,
        revoked_at=revoked,
    )


class Fake:
    """Realms, senders and keys in one: records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.keys = [_key("aaaaaaaaaaaa"), _key("bbbbbbbbbbbb", revoked=1.0)]

    async def add(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("add", args))
        return PasswordSet() if len(args) <= 2 and not kwargs else "33333"

    async def set_password(self, name: str, password: str | None = None) -> PasswordSet:
        self.calls.append(("set_password", name))
        return PasswordSet("generated" if password is None else None)

    async def of_realm(self, realm: str, code: str) -> SenderCode:
        if code != "11111":
            raise InvalidInput(f"sender code {code} not found in realm {realm}")
        return SenderCode(7, "11111", None, None)

    async def update(self, realm: str, code: str, **kwargs: Any) -> str:
        self.calls.append(("update", kwargs))
        return code

    async def remove(self, realm: str, code: str) -> str:
        self.calls.append(("remove", code))
        return code

    async def create(self, realm: str, name: str = "") -> CreatedKey:
        self.calls.append(("create", name))
        return CreatedKey(_key("cccccccccccc", name), "sg_cccccccccccc_secret")

    async def revoke(self, realm: str, key_id: str) -> None:
        self.calls.append(("revoke", key_id))

    async def list(self, realm: str) -> list[ApiKey]:
        return self.keys


def _admin(fake: Fake, changes: list[int]) -> ConsoleAdmin:
    return ConsoleAdmin(fake, fake, fake, changed=lambda: changes.append(1))


async def test_realm_users_get_not_found_and_nothing_is_called() -> None:
    fake, changes = Fake(), []
    admin = _admin(fake, changes)
    attempts = [
        admin.create_realm(REALM_USER, "east", None),
        admin.set_password(REALM_USER, "north", "x"),
        admin.sender(REALM_USER, "north", "11111"),
        admin.add_sender(REALM_USER, "north", "44444", SenderFields()),
        admin.change_sender(REALM_USER, "north", "11111", SenderFields(max_tps=3)),
        admin.remove_sender(REALM_USER, "north", "11111"),
        admin.rotate_key(REALM_USER, "north", "aaaaaaaaaaaa"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            await attempt
    assert fake.calls == [] and changes == []


async def test_sender_changes_drop_the_cache() -> None:
    fake, changes = Fake(), []
    admin = _admin(fake, changes)
    assert await admin.add_sender(OPERATOR, "north", "33333", SenderFields(max_tps=2)) == "33333"
    await admin.change_sender(OPERATOR, "north", "11111", SenderFields(connection="b"))
    await admin.remove_sender(OPERATOR, "north", "11111")
    assert len(changes) == 3
    with pytest.raises(InvalidInput):
        await admin.add_sender(OPERATOR, "north", "33333", SenderFields(max_tps=0))
    with pytest.raises(NotFound):
        await admin.sender(OPERATOR, "north", "99999")
    assert len(changes) == 3


async def test_rotation_makes_a_key_named_like_the_old_then_revokes_it() -> None:
    fake, changes = Fake(), []
    admin = _admin(fake, changes)
    created = await admin.rotate_key(OPERATOR, "north", " aaaaaaaaaaaa ")
    assert created.key.name == "shop"
    assert fake.calls == [("create", "shop"), ("revoke", "aaaaaaaaaaaa")]
    for gone in ("bbbbbbbbbbbb", "dddddddddddd"):  # revoked, or not there: nothing made
        with pytest.raises(NotFound):
            await admin.rotate_key(OPERATOR, "north", gone)
    assert len(fake.calls) == 2


async def test_generated_password_is_returned() -> None:
    admin = _admin(Fake(), [])
    assert (await admin.set_password(OPERATOR, "north", None)).generated == "generated"
    assert (await admin.create_realm(OPERATOR, "east", "given")).generated is None
