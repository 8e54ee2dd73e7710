"""Horizontal scale-out, from outside: two API processes, two dispatcher processes, one
PostgreSQL database, one SMSC, and a dispatcher killed with SIGKILL in the middle of a run.

Phase 1: 10,000 messages through both APIs are each submitted to the SMSC exactly once.
Phase 2: one dispatcher is SIGKILLed while messages flow, at a moment when it certainly has
submits outstanding: the fake SMSC withholds its answers until both binds have unanswered
submits and every answer it did send is recorded, then the test kills. Every message that got
SUCCESS still reaches the SMSC. The dead node's unanswered submits are sent again by the
survivor (at-least-once: at least one duplicate), and duplicates stay within what can be in
flight without a recorded answer (asserted against window * binds). The survivor queues the dead
node's `sending` messages again and holds both binds within node_timeout + 2 heartbeats.

Deadlines follow from the work awaited: so many messages at MIN_RATE, a takeover at
node_timeout + 2 heartbeats, each with room for a loaded machine (tests/support/waiting.py).
"""

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.store.database import Database
from tests.e2e.scaleout_support import (
    Cluster,
    CountingSMSC,
    bind_holders,
    count_by_status,
    live_nodes,
    parts_recorded,
    send_all,
)
from tests.e2e.support import SUCCESS
from tests.support.waiting import eventually, scaled

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PHASE1, PHASE2 = 10_000, 5_000
KILL_AFTER = 1_500  # phase-2 submits seen by the SMSC before the SIGKILL
WINDOW, BINDS = 100, 2
NODE_TIMEOUT = 5.0  # heartbeats every NODE_TIMEOUT / 6 (scaleout_support.Cluster)
TAKEOVER_BOUND = NODE_TIMEOUT + 2 * NODE_TIMEOUT / 6 + 5.0  # + slack for a loaded machine
# Messages per second through the cluster that even a loaded 2-core machine manages (measured:
# about 135 with two busy loops and other test suites beside it; a few hundred when quiet).
MIN_RATE = 40
FINISHED = ("sent", "delivered")


def at_min_rate(messages: int) -> float:
    """Seconds for `messages` to go through at MIN_RATE."""
    return messages / MIN_RATE


@pytest.fixture
async def cluster(
    postgres_url: str, db: Database, smsc: CountingSMSC, tmp_path: Path
) -> AsyncIterator[Cluster]:
    group = Cluster(
        postgres_url, smsc, tmp_path, binds=BINDS, window=WINDOW, node_timeout=NODE_TIMEOUT
    )
    try:
        yield group
    finally:
        await group.close()


async def all_finished(db: Database, total: int) -> bool:
    counts = await count_by_status(db)
    return sum(counts[s] for s in FINISHED) == total


async def test_two_apis_two_dispatchers_and_a_dispatcher_killed_mid_run(
    cluster: Cluster, db: Database, smsc: CountingSMSC
) -> None:
    (_, api1), (_, api2) = await asyncio.gather(cluster.api("api-1"), cluster.api("api-2"))
    d1 = await cluster.dispatcher("disp-1")
    d2 = await cluster.dispatcher("disp-2")

    async def one_bind_each() -> bool:
        return sorted(map(str, await bind_holders(db))) == ["disp-1", "disp-2"]

    await eventually(
        one_bind_each, timeout=30, what="each dispatcher holds one bind", describe=cluster.logs
    )

    # ---- phase 1: normal operation, every message exactly once
    texts = [f"p1-{i}" for i in range(PHASE1)]
    async with asyncio.timeout(scaled(at_min_rate(PHASE1))):
        replies = await send_all([api1, api2], texts)
    assert replies == {SUCCESS: PHASE1}
    await eventually(
        lambda: all_finished(db, PHASE1),
        timeout=at_min_rate(PHASE1),
        what="phase 1 delivered",
        describe=cluster.logs,
    )
    submitted = smsc.texts("p1-")
    assert set(submitted) == set(texts)
    assert max(submitted.values()) == 1, "a message was submitted twice"
    assert smsc.max_bound == BINDS

    # ---- phase 2: SIGKILL one dispatcher while messages flow
    texts = [f"p2-{i}" for i in range(PHASE2)]
    takeover: list[float] = []

    async def survivor_holds_both() -> bool:
        return await bind_holders(db) == ["disp-2", "disp-2"]

    async def every_answer_recorded() -> bool:
        return await parts_recorded(db) == len(smsc.answered)

    async def kill_mid_run() -> None:
        await smsc.wait_for(
            "submit_sm", PHASE1 + KILL_AFTER, timeout=scaled(at_min_rate(KILL_AFTER))
        )
        await smsc.hold_responses(sessions=BINDS, timeout=scaled(30))  # both binds mid-window
        # With every answer withheld, the status writes still to come are those of answers
        # already sent. Once each of those is recorded, what the victim may have sent without
        # a record is exactly its unanswered window (else its unwritten statuses would add to
        # the duplicates). The APIs go on accepting and the dispatchers claiming meanwhile.
        await eventually(
            every_answer_recorded,
            timeout=30,
            what="every answered submit recorded",
            describe=lambda: f"{len(smsc.answered)} answered\n{cluster.logs()}",
        )
        d1.kill()
        assert d1.process is not None
        await d1.process.wait()  # dead before any held answer could reach it
        killed_at = time.monotonic()
        smsc.release_responses()
        await eventually(
            survivor_holds_both, timeout=TAKEOVER_BOUND, what="takeover", describe=cluster.logs
        )
        takeover.append(time.monotonic() - killed_at)

    async with asyncio.timeout(scaled(at_min_rate(PHASE2) + TAKEOVER_BOUND + 30)):
        _, replies = await asyncio.gather(kill_mid_run(), send_all([api1, api2], texts))
    assert replies == {SUCCESS: PHASE2}  # every one of these must reach the SMSC
    await eventually(
        lambda: all_finished(db, PHASE1 + PHASE2),
        timeout=at_min_rate(PHASE2),
        what="phase 2 delivered",
        describe=cluster.logs,
    )
    submitted = smsc.texts("p2-")
    assert set(submitted) == set(texts), "a message that got SUCCESS never reached the SMSC"
    duplicates = sum(submitted.values()) - PHASE2
    assert 1 <= duplicates <= WINDOW * BINDS, f"{duplicates} duplicates"

    # The survivor took over: it queued the dead node's backlog again, the dead node's row
    # is gone, and both binds are the survivor's.
    requeued = re.findall(r"queued (\d+) messages again that dead nodes", d2.output())
    assert requeued and sum(map(int, requeued)) > 0, d2.output()[-3000:]
    assert await live_nodes(db) == {"api-1", "api-2", "disp-2"}
    assert await survivor_holds_both()
    assert smsc.max_bound <= BINDS
    print(
        f"SIGKILL: both binds taken over after {takeover[0]:.1f}s, {requeued} messages "
        f"queued again, {duplicates} sent twice"
    )

    # Graceful stops: exit status 0, and each removes its own node row.
    assert await d2.stop() == 0
    assert await live_nodes(db) == {"api-1", "api-2"}
    # uvicorn re-raises the SIGTERM it handled gracefully, hence -15 for the APIs.
    assert await cluster.close() == [-15, -15, -9, 0]  # api-1, api-2, disp-1 (killed), disp-2
    assert await live_nodes(db) == set()
