"""`WebhookSender.stop()` ends, whatever the sender's task was doing when it was called.

CI once hung for its whole 90 minutes in a teardown: on Python 3.11, `asyncio.wait_for`
swallows a cancellation that arrives in the same loop iteration as the awaited result, so a
`wake()` (or a finishing attempt, which wakes the task too) just before `stop()` left the
task looping for ever and `stop()` waiting for it.
"""

import asyncio

from smsgate.delivery.webhook_http import Answer
from smsgate.delivery.webhook_sender import WebhookSender
from smsgate.domain.webhook import AttemptResult, DueDelivery

DEADLINE = 10.0  # stop() takes a few loop iterations; this is only the bound of a hang


class IdleOutbox:
    """Nothing is ever due; `idle` is set once the sender has looked and gone to wait."""

    def __init__(self) -> None:
        self.idle = asyncio.Event()

    async def claim(self, now: float, limit: int, lease: float) -> list[DueDelivery]:
        return []

    async def record(self, results: list[AttemptResult]) -> dict[str, float]:
        return {}

    async def mark_failing(self, endpoint_ids: list[str]) -> list[str]:
        return []

    async def backlog(self) -> int:
        return 0

    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]:
        self.idle.set()  # the last step before the wait for wake() or the idle poll
        return 0, None


class NoPoster:
    closed = False

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        raise AssertionError("nothing is due")

    async def aclose(self) -> None:
        self.closed = True


async def test_stop_right_after_a_wake_ends() -> None:
    for _ in range(20):
        outbox, poster = IdleOutbox(), NoPoster()
        sender = WebhookSender(outbox, poster, idle_poll=60.0)
        await sender.start()
        await asyncio.wait_for(outbox.idle.wait(), DEADLINE)
        await asyncio.sleep(0)  # into the wait for wake() (no timing: one loop step)
        sender.wake()
        async with asyncio.timeout(DEADLINE):
            await sender.stop()
        assert poster.closed
