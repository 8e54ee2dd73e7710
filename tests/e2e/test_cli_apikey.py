"""`smsgate apikey ...`, run as the installed script on the shared server's data directory."""

import re

from smsgate.services.api_keys import ApiKeys
from smsgate.store.api_keys import ApiKeyStore
from smsgate.store.database import open_database
from smsgate.store.realms import RealmStore
from tests.e2e.support import ALPHA, BETA, Cli

LISTED = re.compile(
    r"(?P<id>[0-9a-f]{12})\tsg_(?P=id)_[A-Za-z0-9_-]{4}\.\.\.\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t"
    r"(?P<used>-|\S+)\t(?P<state>active|revoked \S+)(\t(?P<name>.*))?"
)


async def _create(cli: Cli, realm: str, *options: str) -> tuple[str, str]:
    """(key id, key) from `apikey create`: the key alone on the last line."""
    out = (await cli("apikey", "create", realm, *options)).ok()
    *_, last = out.splitlines()
    found = re.fullmatch(r"sg_([0-9a-f]{12})_[A-Za-z0-9_-]{43}", last)
    assert found is not None, out
    assert out.endswith(last + "\n")
    return found.group(1), last


async def _owner(cli: Cli, key: str) -> str | None:
    """The realm the key authenticates as, asked of the service on the CLI's database."""
    db = open_database(f"sqlite+aiosqlite:///{cli.data_dir / 'smsgate.db'}")
    try:
        owner = await ApiKeys(ApiKeyStore(db), RealmStore(db)).authenticate(key)
    finally:
        await db.dispose()
    return None if owner is None else owner.realm


async def test_create_list_revoke(cli: Cli) -> None:
    key_id, key = await _create(cli, ALPHA.name, "--name", "billing job")
    other_id, other = await _create(cli, BETA.name)
    assert await _owner(cli, key) == ALPHA.name
    assert await _owner(cli, other) == BETA.name

    listed = (await cli("apikey", "list", ALPHA.name)).ok().splitlines()
    mine = [m for line in listed if (m := LISTED.fullmatch(line)) and m["id"] == key_id]
    assert len(mine) == 1 and (mine[0]["state"], mine[0]["name"]) == ("active", "billing job")
    assert all(LISTED.fullmatch(line) for line in listed), listed
    assert other_id not in "\n".join(listed)  # a realm sees only its own keys
    assert key not in "\n".join(listed)  # never the whole key again

    assert (await cli("apikey", "revoke", ALPHA.name, key_id)).ok() == (
        f"API key {key_id} revoked\n"
    )
    assert await _owner(cli, key) is None
    assert await _owner(cli, other) == BETA.name
    listed = (await cli("apikey", "list", ALPHA.name)).ok()
    assert re.search(rf"^{key_id}\t.*\trevoked \S+\tbilling job$", listed, re.M), listed


async def test_errors_are_one_line(cli: Cli) -> None:
    other_id, _ = await _create(cli, BETA.name)
    cases = [
        (("apikey", "create", "nosuch"), "error: realm nosuch not found"),
        (("apikey", "list", "nosuch"), "error: realm nosuch not found"),
        (("apikey", "revoke", "nosuch", other_id), "error: realm nosuch not found"),
        (
            ("apikey", "revoke", ALPHA.name, other_id),  # BETA's key: not found in ALPHA
            f"error: API key {other_id} not found in realm {ALPHA.name}",
        ),
        (
            ("apikey", "revoke", ALPHA.name, "000000000000"),
            f"error: API key 000000000000 not found in realm {ALPHA.name}",
        ),
        (
            ("apikey", "create", ALPHA.name, "--name", "x" * 65),
            "error: the key name must be printable and at most 64 characters",
        ),
    ]
    for args, expected in cases:
        result = await cli(*args)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", expected + "\n"), args
    assert (await cli("apikey", "list", BETA.name)).ok().count(f"{other_id}\t") == 1
