"""Opt-outs from every source over in-memory fakes: normalised phones, scopes, the ledger's
source, search, and imports that keep all good rows or none."""

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.keywords import Keyword
from smsgate.domain.model import SenderCode
from smsgate.domain.optout import REALM_WIDE
from smsgate.services.errors import InvalidInput, NotFound
from smsgate.services.optouts import (
    IMPORT_CHUNK_ROWS,
    Imported,
    OptOuts,
    Source,
    apply_keyword,
)
from smsgate.services.senders import Senders
from tests.fakes.stores import MemoryOptOuts, MemoryRealms


@pytest.fixture
async def realms() -> MemoryRealms:
    realms = MemoryRealms()
    await realms.add_realm("acme", "hash")
    await realms.add_realm("beta", "hash")
    await realms.add_sender("acme", "55501")
    await realms.add_sender("acme", "12016270155")
    await realms.add_sender("beta", "55502")
    return realms


@pytest.fixture
def store() -> MemoryOptOuts:
    return MemoryOptOuts()


@pytest.fixture
def optouts(store: MemoryOptOuts, realms: MemoryRealms) -> OptOuts:
    return OptOuts(store, Senders(realms, default_region="US"), default_region="US")


@pytest.mark.parametrize("source", list(Source))
async def test_opt_out_and_back_in_from_any_source(
    optouts: OptOuts, store: MemoryOptOuts, source: Source
) -> None:
    change = await optouts.opt_out("acme", "+1 206 555 1212".replace(" ", ""), source=source)
    assert (change.phone, change.changed) == ("12065551212", True)
    assert not (await optouts.opt_out("acme", "2065551212", source=source)).changed
    assert (await optouts.opt_in("acme", "2065551212", source=source)).changed
    assert store.rows == {}
    assert [(action, src) for *_, action, src in store.ledger] == [
        ("out", source.value),
        ("out", source.value),
        ("in", source.value),
    ]


async def test_a_sender_code_scope_is_found_however_it_is_written(
    optouts: OptOuts, store: MemoryOptOuts
) -> None:
    await optouts.opt_out("acme", "2065551212", "+12016270155", source=Source.API)
    await optouts.opt_out("acme", "2065551212", source=Source.API)
    assert set(store.rows) == {(1, "12065551212", "12016270155"), (1, "12065551212", REALM_WIDE)}


@pytest.mark.parametrize(
    ("realm", "phone", "code", "error", "text"),
    [
        ("acme", "206-555-1212", None, InvalidInput, "'206-555-1212'"),
        ("acme", "2065551212", "55502", InvalidInput, "sender code 55502 not found in realm acme"),
        ("nope", "2065551212", None, NotFound, "realm nope not found"),
    ],
)
async def test_bad_input_is_one_clear_error_and_nothing_changes(
    optouts: OptOuts,
    store: MemoryOptOuts,
    realm: str,
    phone: str,
    code: str | None,
    error: type[Exception],
    text: str,
) -> None:
    with pytest.raises(error, match=text):
        await optouts.opt_out(realm, phone, code, source=Source.CLI)
    assert store.ledger == []


async def test_opting_in_what_is_not_there_is_not_found(optouts: OptOuts) -> None:
    await optouts.opt_out("acme", "2065551212", "55501", source=Source.CLI)
    with pytest.raises(NotFound, match="12065551212 has no such opt-out in realm acme"):
        await optouts.opt_in("acme", "2065551212", source=Source.CLI)  # realm-wide: none


async def test_list_and_search_stay_in_the_realm(optouts: OptOuts) -> None:
    await optouts.opt_out("acme", "2065551212", source=Source.CLI)
    await optouts.opt_out("acme", "2065551313", "55501", source=Source.MO)
    await optouts.opt_out("beta", "2065551212", source=Source.CLI)
    assert [(o.phone, o.sender_code) for o in await optouts.list("acme")] == [
        ("12065551212", REALM_WIDE),
        ("12065551313", "55501"),
    ]
    found = await optouts.list("acme", phone="+12065551313")
    assert [(o.phone, o.source) for o in found] == [("12065551313", "mo")]
    assert [o.phone for o in await optouts.list("acme", sender_code=REALM_WIDE)] == ["12065551212"]
    assert [o.phone for o in await optouts.list("beta")] == ["12065551212"]


async def test_import_keeps_good_rows_reports_bad_ones_and_counts(
    optouts: OptOuts, store: MemoryOptOuts
) -> None:
    await optouts.opt_out("acme", "2065550000", source=Source.CLI)
    rows = [(n + 1, str(2065550000 + n), "") for n in range(IMPORT_CHUNK_ROWS + 5)]
    rows += [
        (9001, "not a phone", ""),
        (9002, "2065551212", "55502"),
        (9003, "2065551212", "55501"),
    ]
    bad: list[tuple[int, str]] = []
    result = await optouts.import_rows(
        "acme", iter(rows), lambda line, why: bad.append((line, why))
    )
    assert (result.added, result.present, result.bad) == (IMPORT_CHUNK_ROWS + 5, 1, 2)
    assert [line for line, _ in bad] == [9001, 9002]
    assert "sender code 55502 not found in realm acme" in bad[1][1]
    assert (1, "12065551212", "55501") in store.rows
    assert {src for *_, src in store.ledger[1:]} == {"import"}


async def test_an_import_that_fails_midway_keeps_nothing(
    optouts: OptOuts, store: MemoryOptOuts
) -> None:
    def rows() -> Iterator[tuple[int, str, str]]:
        for n in range(IMPORT_CHUNK_ROWS + 1):
            yield n + 1, str(2065550000 + n), ""
        raise OSError("the file went away")

    with pytest.raises(OSError):
        await optouts.import_rows("acme", rows(), lambda line, why: None)
    assert store.rows == {} and store.ledger == []


class Rows:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str, str, str, int | None]] = []

    async def opt_out(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        self.calls.append(("out", realm_id, phone, code, source, evidence))

    async def opt_in(
        self, realm_id: int, phone: str, code: str, *, source: str, evidence: int | None
    ) -> None:
        self.calls.append(("in", realm_id, phone, code, source, evidence))


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        (Keyword.STOP, [("out", 1, "12065551212", "55501", "mo", 9)]),
        (Keyword.START, [("in", 1, "12065551212", "55501", "mo", 9)]),
        (Keyword.HELP, []),
        (Keyword.NONE, []),
    ],
)
async def test_an_mo_keyword_changes_the_texted_code_only_with_the_mo_as_evidence(
    keyword: Keyword, expected: list[tuple[str, int, str, str, str, int]]
) -> None:
    rows = Rows()
    sender = SenderCode(realm_id=1, code="55501", connection=None, max_tps=None)
    await apply_keyword(rows, keyword, sender, "12065551212", evidence=9)
    assert rows.calls == expected


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["2065550100", "2065550101", "+12065550102", "12ab", ""]),
            st.sampled_from(["", "55501", "+12016270155", "55502"]),
        ),
        max_size=40,
    ),
    chunk=st.integers(min_value=1, max_value=7),
)
def test_an_import_counts_every_row_once_whatever_the_chunk_size(
    rows: list[tuple[str, str]], chunk: int
) -> None:
    async def run() -> tuple[Imported, int]:
        realms = MemoryRealms()
        await realms.add_realm("acme", "hash")
        await realms.add_sender("acme", "55501")
        await realms.add_sender("acme", "12016270155")
        store = MemoryOptOuts()
        optouts = OptOuts(store, Senders(realms, default_region="US"), default_region="US")
        numbered = [(n, phone, code) for n, (phone, code) in enumerate(rows, start=1)]
        result = await optouts.import_rows(
            "acme", iter(numbered), lambda n, why: None, chunk_rows=chunk
        )
        return result, len(store.rows)

    result, stored = asyncio.run(run())
    assert result.added + result.present + result.bad == len(rows)
    assert result.added == stored  # new opt-outs are exactly the distinct good rows
