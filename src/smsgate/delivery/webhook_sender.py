"""The webhook sender: delivers the outbox's due deliveries, on its own asyncio task.

It never touches the SMS delivery path: events are written by the transactions that cause them,
and this task only reads them back, so a slow or dead receiver costs a slot here and nothing
there. Up to WEBHOOK_CONCURRENCY attempts run at once; whenever slots are free, due deliveries
are claimed (a lease: if this process dies mid-attempt, they are due again when it ends) and
each attempt's result is recorded as soon as it is known:

- any 2xx: delivered;
- anything else (another status, a redirect, a timeout, a refused or unsafe address): tried again
  on the schedule of domain/webhook_retry.py, until the retry window is over (`gave_up`);
- an endpoint without a success for a day is marked failing (logged, counted).

Once an hour (and at start) it also deletes what is past WEBHOOK_RETENTION_SECONDS
(store/webhook_retention.py), a short transaction at a time between claims.

The body sent is the event's stored JSON, byte for byte, signed anew for each attempt
(Standard Webhooks: the timestamp is the attempt's). No SQL here: the outbox is a port.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from smsgate.constants import (
    WEBHOOK_CLAIM_BATCH,
    WEBHOOK_CLAIM_LEASE_SECONDS,
    WEBHOOK_CONCURRENCY,
    WEBHOOK_IDLE_POLL_SECONDS,
    WEBHOOK_PRUNE_BATCH,
    WEBHOOK_PRUNE_EVERY_SECONDS,
    WEBHOOK_RETENTION_SECONDS,
)
from smsgate.delivery.webhook_http import Answer
from smsgate.domain.webhook import AttemptResult, DueDelivery
from smsgate.domain.webhook_retry import is_failing, next_attempt_at
from smsgate.domain.webhook_signing import signed_headers
from smsgate.metrics import (
    WEBHOOK_ATTEMPTS,
    WEBHOOK_BACKLOG,
    WEBHOOK_ENDPOINTS_FAILING,
    WEBHOOK_LATENCY,
)

log = logging.getLogger(__name__)
BACKLOG_EVERY_SECONDS = 5.0  # how often the backlog gauge is refreshed (a COUNT query)


class Outbox(Protocol):
    async def claim(self, now: float, limit: int, lease: float) -> list[DueDelivery]: ...
    async def record(self, results: list[AttemptResult]) -> dict[str, float]: ...
    async def mark_failing(self, endpoint_ids: list[str]) -> list[str]: ...
    async def backlog(self) -> int: ...
    async def prune(self, before: float, after: str, limit: int) -> tuple[int, str | None]: ...


class Poster(Protocol):
    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer: ...
    async def aclose(self) -> None: ...


class WebhookSender:
    """See the module docstring. `wake()` after writing events makes it look at once."""

    def __init__(
        self,
        outbox: Outbox,
        poster: Poster,
        *,
        clock: Callable[[], float] = time.time,
        draw: Callable[[], float] = random.random,
        concurrency: int = WEBHOOK_CONCURRENCY,
        idle_poll: float = WEBHOOK_IDLE_POLL_SECONDS,
    ) -> None:
        self._outbox = outbox
        self._poster = poster
        self._clock = clock
        self._draw = draw
        self._concurrency = concurrency
        self._idle_poll = idle_poll
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()
        self._stopping = False
        self._backlog_at = 0.0
        self._pruned_at: float | None = None  # monotonic time of the last pass (None: never)
        self._prune_cursor: str | None = None  # within a pass: the last event id looked at
        self._pruned = 0  # events deleted by the pass under way

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="smsgate-webhook-sender")

    async def stop(self) -> None:
        """Stop claiming; attempts in flight are cancelled (their claims expire, and they are
        made again: at-least-once). The claiming task ends first, so that no attempt it
        starts meanwhile escapes the cancellation."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        inflight = list(self._inflight)
        for task in inflight:
            task.cancel()
        await asyncio.gather(*inflight, return_exceptions=True)
        await self._poster.aclose()

    def wake(self) -> None:
        self._changed.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._changed.clear()
            free = self._concurrency - len(self._inflight)
            claimed = 0
            if free > 0:
                claimed = await self._claim(min(free, WEBHOOK_CLAIM_BATCH))
            if free > 0 and claimed == free:
                continue  # maybe more are due: look again while there are free slots
            await self._refresh_backlog()
            await self._prune_some()
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation
            # that arrives with the event, and stop() then waited for this loop for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._idle_poll):
                    await self._changed.wait()

    async def _claim(self, limit: int) -> int:
        try:
            due = await self._outbox.claim(self._clock(), limit, WEBHOOK_CLAIM_LEASE_SECONDS)
        except Exception as exc:  # database down: claims are retried at the next poll
            log.warning("cannot claim webhook deliveries: %s", exc)
            return 0
        for delivery in due:
            task = asyncio.create_task(self._deliver(delivery))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return len(due)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._changed.set()

    async def _refresh_backlog(self) -> None:
        now = time.monotonic()
        if now - self._backlog_at < BACKLOG_EVERY_SECONDS:
            return
        self._backlog_at = now
        try:
            WEBHOOK_BACKLOG.set(await self._outbox.backlog())
        except Exception as exc:
            log.debug("cannot count the webhook backlog: %s", exc)

    async def _prune_some(self) -> None:
        """One transaction of the hourly pass over what is past the retention (a pass is
        spread over the loop's turns, so claims go on between its transactions)."""
        now = time.monotonic()
        if self._prune_cursor is None:
            if self._pruned_at is not None and now - self._pruned_at < WEBHOOK_PRUNE_EVERY_SECONDS:
                return
            self._pruned_at, self._prune_cursor = now, ""
            self._pruned = 0
        before = self._clock() - WEBHOOK_RETENTION_SECONDS
        try:
            deleted, self._prune_cursor = await self._outbox.prune(
                before, self._prune_cursor, WEBHOOK_PRUNE_BATCH
            )
        except Exception as exc:  # database down: the next pass tries again
            log.warning("cannot delete old webhook events: %s", exc)
            self._prune_cursor = None
            return
        self._pruned += deleted
        if self._prune_cursor is None and self._pruned:
            log.info("deleted %d webhook events past their retention", self._pruned)
        if self._prune_cursor is not None:
            self._changed.set()  # more to look at: the next turn goes on at once

    async def _deliver(self, delivery: DueDelivery) -> None:
        result = await self.attempt(delivery)
        try:
            failing = await self._outbox.record([result])
        except Exception as exc:  # the claim expires and the attempt is made again
            log.warning("cannot record webhook delivery %d: %s", delivery.id, exc)
            return
        await self._check_failing(failing, result.at)

    async def attempt(self, delivery: DueDelivery) -> AttemptResult:
        """Make one attempt and say what came of it (never raises for the receiver's faults)."""
        body = delivery.payload.encode()
        at = self._clock()
        headers = signed_headers(delivery.secret, delivery.event_id, int(at), body)
        started = time.monotonic()
        status: int | None = None
        response: str | None = None
        try:
            answer = await self._poster.post(delivery.url, headers, body)
            status, response = answer.status, answer.body
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        WEBHOOK_LATENCY.observe(time.monotonic() - started)
        ok = error is None
        retry = None
        if not ok:
            now = self._clock()
            retry = next_attempt_at(delivery.created_at, delivery.attempts + 1, now, self._draw())
        label = "sent" if ok else "refused" if error and "refused:" in error else "failed"
        WEBHOOK_ATTEMPTS.labels("gave_up" if not ok and retry is None else label).inc()
        if not ok:
            log.info("webhook %s to %s failed: %s", delivery.event_id, delivery.url, error)
        return AttemptResult(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            at=at,
            ok=ok,
            status_code=status,
            error=error,
            response=response,
            next_attempt_at=retry,
        )

    async def _check_failing(self, failing: dict[str, float], now: float) -> None:
        due = [ep for ep, since in failing.items() if is_failing(since, now)]
        if not due:
            return
        try:
            newly = await self._outbox.mark_failing(due)
        except Exception as exc:
            log.warning("cannot mark webhook endpoints failing: %s", exc)
            return
        for endpoint_id in newly:
            WEBHOOK_ENDPOINTS_FAILING.inc()
            log.warning("webhook endpoint %s is failing: no success for a day", endpoint_id)
