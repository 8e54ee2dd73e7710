"""The webhook sender's pass over what is past the retention: at start, a transaction at a
time from the store's cursor until it says done, with the cutoff the retention before now; a
failure ends the pass (the next one tries again), and claims go on between its steps."""

import asyncio

from smsgate.constants import WEBHOOK_PRUNE_BATCH, WEBHOOK_RETENTION_SECONDS
from smsgate.delivery.webhook_sender import WebhookSender
from smsgate.domain.webhook import DueDelivery
from tests.unit.delivery.test_webhook_sender_stop import IdleOutbox, NoPoster

DEADLINE = 10.0
NOW = 1_800_000_000.0


class PruningOutbox(IdleOutbox):
    """Three steps of a pass (cursors "", "evt_a", "evt_b"), or a failure at the first."""

    def __init__(self, *, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.calls: list[tuple[float, str, int]] = []
        self.claims = 0
        self.passed = asyncio.Event()

    async def claim(self, now: float, limit: int, lease: float) -> list[DueDelivery]:
        self.claims += 1
        return []

    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]:
        self.calls.append((before, after, limit))
        if self.fail:
            self.passed.set()
            raise OSError("database is gone")
        following = {"": "evt_a", "evt_a": "evt_b", "evt_b": None}[after]
        if following is None:
            self.passed.set()
        return 2, following


async def _one_pass(outbox: PruningOutbox) -> None:
    sender = WebhookSender(outbox, NoPoster(), clock=lambda: NOW, idle_poll=60.0)
    await sender.start()
    try:
        await asyncio.wait_for(outbox.passed.wait(), DEADLINE)
        await asyncio.sleep(0)
    finally:
        await sender.stop()


async def test_a_pass_at_start_follows_the_cursor_to_the_end() -> None:
    outbox = PruningOutbox()
    await _one_pass(outbox)
    before = NOW - WEBHOOK_RETENTION_SECONDS
    assert outbox.calls == [(before, c, WEBHOOK_PRUNE_BATCH) for c in ("", "evt_a", "evt_b")]
    assert outbox.claims >= 3  # a claim before every step: the pass never holds them up


async def test_a_failed_step_ends_the_pass() -> None:
    outbox = PruningOutbox(fail=True)
    await _one_pass(outbox)
    assert outbox.calls == [(NOW - WEBHOOK_RETENTION_SECONDS, "", WEBHOOK_PRUNE_BATCH)]
