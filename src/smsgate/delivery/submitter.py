"""One message's parts out to the SMSC: submit_sm, the response, the retry policy.

Usually a bound session is at hand: the submit_sm goes out at once and its response is taken
by a callback, without a task per part. Any response but ESME_ROK, or no session ready, runs
the part as a task that waits for a session and follows `delivery.retry` (resend, pause the
link, or fail the message). Results go to the status recorder: a part accepted, the message
sent once its last part is, or failed.
"""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from smsgate.delivery.link import Link, LinkNotHeld
from smsgate.delivery.retry import Action, decide, status_text
from smsgate.delivery.submit import Part
from smsgate.domain.delivery_events import PartSent
from smsgate.domain.model import Message
from smsgate.metrics import SUBMITS
from smsgate.services.statuses import StatusRecorder
from smsgate.smpp.client import submit_response
from smsgate.smpp.codes import CommandStatus
from smsgate.smpp.errors import SmppError
from smsgate.smpp.pdu import Pdu, SubmitSmResp

log = logging.getLogger(__name__)
_OK = CommandStatus.ESME_ROK


@dataclass(slots=True)
class Sending:
    """A message whose parts are being submitted: where to, and how far it got."""

    message: Message
    link: Link
    window: asyncio.Semaphore  # the link's: one slot per part in flight
    remaining: int  # parts not yet accepted by the SMSC
    failed: bool = False


class Submitter:
    """Sends the parts of messages and carries out the retry policy on their responses."""

    def __init__(
        self,
        statuses: StatusRecorder,
        *,
        finish: Callable[[], None],
        give_back: Callable[[Message], Awaitable[None]],
        closing: Callable[[], bool],
    ) -> None:
        """`finish()`: a message is done (sent or failed); `give_back(message)`: queue it again
        for a dispatcher that holds a bind slot of its link (and finish it); `closing()`:
        whether the dispatcher is stopping."""
        self._statuses = statuses
        self._finish = finish
        self._give_back = give_back
        self._closing = closing
        self.in_flight: set[asyncio.Future[Any]] = set()  # part tasks and submit_sm responses
        self.interrupted: list[str] = []  # not accepted (as far as we know) when stop() came

    def start(self, sending: Sending, part: Part) -> None:
        """Send one part. Usually a bound session is at hand: the submit_sm goes out now and
        `_answered` takes its response, without a task per part (a task cost ~7 µs more, the
        largest item of the core's loop per message). Otherwise, and for any response but
        ESME_ROK, `_submit` runs as a task: it waits for a session, resends and fails."""
        session = sending.link.ready_session()
        if session is not None:
            answered = functools.partial(self._answered, sending, part)
            fut = session.submit_nowait(part.body, then=answered)
            if fut is not None:
                self.in_flight.add(fut)
                return
        self._spawn(self._submit(sending, part))

    def _answered(self, sending: Sending, part: Part, fut: "asyncio.Future[Pdu]") -> None:
        self.in_flight.discard(fut)
        if fut.cancelled():  # stop(): the message stays `sending` and is sent after a restart
            sending.window.release()
            return
        try:
            outcome: SubmitSmResp | SmppError = submit_response(fut)
        except SmppError as exc:
            outcome = exc
        if isinstance(outcome, SubmitSmResp) and outcome.command_status == _OK:
            self._part_accepted(sending, part, outcome)
            sending.window.release()
            return
        self._spawn(self._submit(sending, part, first=outcome))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    def _part_accepted(self, sending: Sending, part: Part, resp: SubmitSmResp) -> None:
        name = sending.link.name
        _submits(name, "ok").inc()
        sending.remaining -= 1
        last = sending.remaining == 0 and not sending.failed
        event = PartSent(sending.message.id, part.number, name, resp.message_id, last)
        self._statuses.part_sent(event)
        if last:
            self._finish()

    async def _submit(
        self, sending: Sending, part: Part, first: SubmitSmResp | SmppError | None = None
    ) -> None:
        """Send one part until the SMSC accepts or refuses it for good; `first` is the
        outcome of an attempt `start` already made."""
        message, link = sending.message, sending.link
        syserr = 0
        outcome = first
        try:
            while not sending.failed:
                if outcome is None:
                    try:
                        session = await link.session()
                        outcome = await session.submit(part.body)
                    except LinkNotHeld:
                        if not sending.failed:
                            sending.failed = True
                            await self._give_back(message)
                        return
                    except SmppError as exc:
                        outcome = exc
                resp, outcome = outcome, None
                if isinstance(resp, SmppError):  # lost connection or timeout: send again
                    if self._closing():  # not accepted (as far as we know): queue it again
                        self.interrupted.append(message.id)
                        return
                    log.info("%s: resending part after %s", link.name, resp)
                    await asyncio.sleep(0)  # let the link notice the closed session first
                    continue
                status = resp.command_status
                action = decide(status, syserr)
                if action is Action.ACCEPTED:
                    self._part_accepted(sending, part, resp)
                    return
                if action is Action.PAUSE_AND_RESEND:
                    _submits(link.name, "throttled").inc()
                    link.pause()
                    continue
                if action is Action.RESEND:  # ESME_RSYSERR, a few times
                    syserr += 1
                    continue
                _submits(link.name, "error").inc()
                sending.failed = True
                self._statuses.message_failed(message.id, status_text(status), status)
                self._finish()
        finally:
            sending.window.release()


@functools.cache
def _submits(link: str, result: str) -> Counter:
    """The counter of one link and result: `labels()` costs ~1 µs, on every submit."""
    return SUBMITS.labels(link, result)
