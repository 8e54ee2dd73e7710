"""Console users and sessions on real databases: accounts, log-in, idle timeout, log-out."""

import pytest

from smsgate.auth.guard import GuessGuard
from smsgate.bootstrap import Gateway
from smsgate.services.console_accounts import ConsoleAccounts
from smsgate.services.console_auth import ConsoleAuth, token_hash
from smsgate.store.console_sessions import ConsoleSessionStore
from smsgate.store.console_users import ConsoleUserStore
from smsgate.store.errors import AlreadyExists, NotFound

IDLE = 600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _auth(gateway: Gateway, clock: Clock, guard: GuessGuard | None = None) -> ConsoleAuth:
    return ConsoleAuth(
        ConsoleUserStore(gateway.db),
        ConsoleSessionStore(gateway.db),
        idle_timeout=IDLE,
        guard=guard,
        clock=clock,
    )


async def test_operators_add_list_remove(accounts: ConsoleAccounts) -> None:
    await accounts.add_operator("zoe", "pw-zoe")
    await accounts.add_operator("adam", "pw-adam")
    assert [u.name for u in await accounts.operators()] == ["adam", "zoe"]
    with pytest.raises(AlreadyExists):
        await accounts.add_operator("zoe", "other")
    with pytest.raises(ValueError, match="empty"):
        await accounts.add_operator(" zoe", "pw")
    with pytest.raises(ValueError, match="password"):
        await accounts.add_operator("eve", "")
    await accounts.remove_operator("zoe")
    assert [u.name for u in await accounts.operators()] == ["adam"]
    with pytest.raises(NotFound):
        await accounts.remove_operator("zoe")


async def test_realm_users_belong_to_one_realm(
    gateway: Gateway, accounts: ConsoleAccounts, add_realm: object
) -> None:
    await gateway.realms.add_realm("north", "h")
    await gateway.realms.add_realm("south", "h")
    await accounts.add_realm_user("north", "ann", "pw")
    await accounts.add_realm_user("south", "ann", "pw")  # the same name in another realm
    with pytest.raises(AlreadyExists):
        await accounts.add_realm_user("north", "ann", "pw")
    with pytest.raises(NotFound):
        await accounts.add_realm_user("west", "ann", "pw")
    users = await accounts.realm_users("north")
    assert [(u.name, u.realm) for u in users] == [("ann", "north")]
    await accounts.remove_realm_user("north", "ann")
    assert await accounts.realm_users("north") == []
    assert [u.name for u in await accounts.realm_users("south")] == ["ann"]
    with pytest.raises(NotFound):
        await accounts.remove_realm_user("north", "ann")


async def test_login_session_logout(gateway: Gateway, accounts: ConsoleAccounts) -> None:
    clock = Clock()
    auth = _auth(gateway, clock)
    await gateway.realms.add_realm("north", "h")
    await accounts.add_operator("olga", "right")
    await accounts.add_realm_user("north", "ann", "hers")

    assert await auth.login(None, "olga", "wrong", "127.0.0.1") is None
    assert await auth.login(None, "nobody", "right", "127.0.0.1") is None
    assert await auth.login("north", "olga", "right", "127.0.0.1") is None  # not a realm user
    token = await auth.login(None, "olga", "right", "127.0.0.1")
    assert token is not None
    viewer = await auth.viewer(token)
    assert viewer is not None and viewer.is_operator and viewer.user.name == "olga"
    assert viewer.sees(12345)

    theirs = await auth.login("north", "ann", "hers", "127.0.0.1")
    user = await auth.viewer(theirs)
    assert user is not None and not user.is_operator and user.user.realm == "north"
    realm_id = await gateway.realms.realm_id("north")
    assert user.sees(realm_id) and not user.sees(realm_id + 1) and not user.sees(None)
    assert user.csrf != viewer.csrf

    await auth.logout(token)
    assert await auth.viewer(token) is None
    assert await auth.viewer(theirs) is not None
    assert await auth.viewer("made-up") is None
    assert await auth.viewer(None) is None


async def test_idle_sessions_end(gateway: Gateway, accounts: ConsoleAccounts) -> None:
    clock = Clock()
    auth = _auth(gateway, clock)
    await accounts.add_operator("olga", "right")
    token = await auth.login(None, "olga", "right", None)
    clock.now += IDLE - 1
    assert await auth.viewer(token) is not None  # a use resets the idle time ...
    clock.now += IDLE - 1
    assert await auth.viewer(token) is not None
    clock.now += IDLE + 1  # ... and no use for longer ends the session
    assert await auth.viewer(token) is None


async def test_removing_a_user_ends_their_sessions(
    gateway: Gateway, accounts: ConsoleAccounts
) -> None:
    auth = _auth(gateway, Clock())
    await gateway.realms.add_realm("north", "h")
    await accounts.add_operator("olga", "right")
    await accounts.add_realm_user("north", "ann", "hers")
    op = await auth.login(None, "olga", "right", None)
    user = await auth.login("north", "ann", "hers", None)
    await accounts.remove_operator("olga")
    await accounts.remove_realm_user("north", "ann")
    assert await auth.viewer(op) is None
    assert await auth.viewer(user) is None


async def test_only_the_token_hash_is_stored(gateway: Gateway, accounts: ConsoleAccounts) -> None:
    from sqlalchemy import text

    await accounts.add_operator("olga", "right")
    token = await _auth(gateway, Clock()).login(None, "olga", "right", None)
    assert token is not None
    async with gateway.db.reader.connect() as conn:
        ids = list(await conn.scalars(text("SELECT id FROM console_sessions")))
    assert ids == [token_hash(token)]


async def test_wrong_passwords_are_throttled_like_realms(
    gateway: Gateway, accounts: ConsoleAccounts
) -> None:
    """After the free attempts of one (user, address) the next check waits its turn
    (auth/guard.py); another address is not slowed down, and nobody is locked out."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    auth = _auth(gateway, Clock(), GuessGuard(sleep=sleep, clock=lambda: 0.0))
    await accounts.add_operator("olga", "right")
    for _ in range(5):
        assert await auth.login(None, "olga", "wrong", "10.0.0.1") is None
    assert slept == []
    assert await auth.login(None, "olga", "right", "10.0.0.1") is not None
    assert slept == [1.0]  # the sixth attempt waited its turn
    assert await auth.login(None, "olga", "right", "10.0.0.2") is not None
    assert slept == [1.0]
