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

Deadlines follow from the work awaited (tests/support/waiting.py): bulk work (thousands of
messages accepted, submitted, recorded) fails only when no message made progress for STALL
seconds, so a loaded machine that is merely slow passes and a stuck cluster fails within STALL;
a takeover is bounded by node_timeout + 2 heartbeats, with room for a loaded machine.
"""

import asyncio
import re
import time
from collections import Counter
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
from tests.support.waiting import eventually, progressing, scaled

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PHASE1, PHASE2 = 10_000, 5_000
KILL_AFTER = 1_500  # phase-2 submits seen by the SMSC before the SIGKILL
WINDOW, BINDS = 100, 2
NODE_TIMEOUT = 5.0  # heartbeats every NODE_TIMEOUT / 6 (scaleout_support.Cluster)
TAKEOVER_BOUND = NODE_TIMEOUT + 2 * NODE_TIMEOUT / 6 + 5.0  # + slack for a loaded machine
# Seconds that bulk work may go without a single message making progress. Not a rate: the
# cluster moves a few hundred messages a second when the machine is quiet and far fewer under
# load (a total deadline at an assumed minimum rate failed there); a pause this long between
# two consecutive messages means the cluster is stuck, not slow.
STALL = 30.0
FINISHED = ("sent", "delivered")


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


async def finished(db: Database) -> int:
    counts = await count_by_status(db)
    return sum(counts[s] for s in FINISHED)


async def all_finished(db: Database, total: int) -> bool:
    return await finished(db) == total


async def accept_all(cluster: Cluster, urls: list[str], texts: list[str]) -> Counter[str]:
    """`send_all`, failing once no reply came for STALL seconds."""
    replies: Counter[str] = Counter()

    async def answered() -> int:
        return replies.total()

    return await progressing(
        send_all(urls, texts, replies=replies),
        progress=answered,
        stall=STALL,
        what=f"{len(texts)} messages accepted",
        describe=cluster.logs,
    )


async def deliver_all(cluster: Cluster, db: Database, total: int) -> None:
    """Until `total` messages are sent or delivered, failing once none was for STALL seconds."""
    await eventually(
        lambda: all_finished(db, total),
        timeout=STALL,
        progress=lambda: finished(db),
        what=f"{total} messages delivered",
        describe=cluster.logs,
    )


async def submits_reach(smsc: CountingSMSC, n: int) -> None:
    """Until the SMSC has seen `n` submit_sm; TimeoutError once none came for STALL seconds."""
    while (seen := smsc.counters["submit_sm"]) < n:
        await smsc.wait_for("submit_sm", seen + 1, timeout=scaled(STALL))


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
    replies = await accept_all(cluster, [api1, api2], texts)
    assert replies == {SUCCESS: PHASE1}
    await deliver_all(cluster, db, PHASE1)
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
        await submits_reach(smsc, PHASE1 + KILL_AFTER)
        await smsc.hold_responses(sessions=BINDS, timeout=scaled(30))  # both binds mid-window
        # With every answer withheld, the status writes still to come are those of answers
        # already sent. Once each of those is recorded, what the victim may have sent without
        # a record is exactly its unanswered window (else its unwritten statuses would add to
        # the duplicates). The APIs go on accepting and the dispatchers claiming meanwhile.
        await eventually(
            every_answer_recorded,
            timeout=STALL,
            progress=lambda: parts_recorded(db),
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

    # Each part of phase 2 is bounded on its own: the sending by its progress, the kill by
    # the submits it waits for (progress), then the held answers, then the takeover.
    _, replies = await asyncio.gather(kill_mid_run(), accept_all(cluster, [api1, api2], texts))
    assert replies == {SUCCESS: PHASE2}  # every one of these must reach the SMSC
    await deliver_all(cluster, db, PHASE1 + PHASE2)
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
