"""The dispatcher's lanes drained without a task (`_drain_now`) do what their tasks did.

With the sender code cached, an idle lane's messages are sent at once, and a task takes over
only at a message or part that has to wait. Over fakes of everything around the dispatcher, the
same claimed messages go out in the same order, with the same parts, failures, give-backs and
count of messages in memory, whether every message takes the task's path (the directory
caches nothing: `_send`) or whichever path it can (`_send_now`)."""

import asyncio
import time
from collections.abc import Collection, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.config import SmppConnectionConfig
from smsgate.delivery.dispatcher import Dispatcher
from smsgate.delivery.intake import LocalIntake
from smsgate.delivery.link import Link
from smsgate.delivery.submit import Part
from smsgate.delivery.submitter import Sending
from smsgate.domain.encoding import segment
from smsgate.domain.model import Message, SenderCode

# code -> (its connection, its max_tps); "none" is no sender code at all (the default link)
CODES: dict[str, tuple[str | None, float | None]] = {
    "111": (None, None),
    "222": ("held", None),
    "333": ("unheld", None),  # this process holds no bind slot of it: given back
    "444": ("receiver", None),  # cannot submit: the message fails
    "555": ("missing", None),  # no such connection: the message fails
    "none": (None, None),
}
TEXTS = ("hi", "x" * 200, "y" * 400)  # 1, 2 and 3 parts
OPTED_OUT = "12065550199"


class FakeSenders:
    """The directory: every code is found; `warm`: `cached` answers (else it never does)."""

    def __init__(self, warm: bool) -> None:
        self.warm = warm

    def _sender(self, code: str) -> SenderCode | None:
        if code == "none":
            return None
        connection, max_tps = CODES[code]
        return SenderCode(1, code, connection, max_tps)

    async def get(self, code: str) -> SenderCode | None:
        return self._sender(code)

    def cached(self, code: str) -> tuple[SenderCode | None, float] | None:
        return (self._sender(code), 0.0) if self.warm else None


class FakeOptOuts:
    async def is_opted_out(self, realm_id: int, sender_code: str, phone: str) -> bool:
        return phone == OPTED_OUT


class FakeQueue:
    def __init__(self) -> None:
        self.released: list[str] = []

    async def queued_ids(self, limit: int) -> list[str]:
        return []

    async def claim(
        self, ids: Sequence[str], *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]:
        return [], []

    async def claim_next(
        self, limit: int, *, unheld: Collection[str] = ()
    ) -> tuple[list[Message], list[str]]:
        return [], []

    async def recover(self) -> int:
        return 0

    async def release(self, ids: Sequence[str]) -> None:
        self.released.extend(ids)


class FakeStatuses:
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def message_failed(self, message_id: str, error: str, smpp_status: int | None = None) -> None:
        self.events.append(("failed", message_id, error, smpp_status))

    async def flush(self) -> None:
        self.events.append(("flush",))


def link(name: str, window: int, *, held: bool = True, bind: str = "transceiver") -> Link:
    config = SmppConnectionConfig(
        name=name, host="127.0.0.1", port=2775, system_id="s", password="p", window=window,
        bind=bind,  # type: ignore[arg-type]
    )  # fmt: skip
    made = Link(config, lambda *_: None)
    if held:
        made._slots = frozenset({0})  # as set_slots would, without binding
    return made


def message(n: int, code: str, text: str, done: frozenset[int], kind: str, phone: str) -> Message:
    segmented = segment(text)
    return Message(
        id=f"m{n:03}", realm_id=1, sender_code=code, phone=phone, text=text,
        encoding=segmented.encoding.value, parts=segmented.count, created_at=0.0, kind=kind,
        done_parts=done,
    )  # fmt: skip


async def run(claimed: list[tuple[Message, float]], window: int, warm: bool) -> Any:
    """What the dispatcher does with one batch: parts started (in order), status events,
    messages given back, and messages still counted in memory."""
    queue, statuses = FakeQueue(), FakeStatuses()
    links = {
        "held": link("held", window),
        "unheld": link("unheld", window, held=False),
        "receiver": link("receiver", window, bind="receiver"),
    }
    dispatcher = Dispatcher(
        LocalIntake(queue),
        queue,
        statuses,  # type: ignore[arg-type]
        links,
        FakeSenders(warm),
        FakeOptOuts(),
        default_link="held",
    )
    started: list[tuple[str, int, bytes]] = []

    def start(sending: Sending, part: Part) -> None:
        started.append((sending.message.id, part.number, part.body))
        if sending.remaining == 1:
            dispatcher._finish()
        sending.remaining -= 1

    dispatcher._submitter.start = start  # type: ignore[method-assign]
    dispatcher._claimed = len(claimed)
    await dispatcher._place(claimed)
    released = 0
    for _ in range(200):  # the SMSC answers: one window slot back per part started, in turn
        for _ in range(3):
            await asyncio.sleep(0)
        if released < len(started):
            dispatcher._windows["held"].release()
            released += 1
    return started, statuses.events, queue.released, dispatcher._claimed


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(CODES)),
            st.sampled_from(TEXTS),
            st.frozensets(st.integers(1, 3), max_size=2),
            st.sampled_from(["api", "reply"]),
            st.sampled_from(["12065550100", OPTED_OUT]),
            st.booleans(),  # claimed long ago: the opt-outs are read again
        ),
        max_size=12,
    ),
    st.integers(1, 6),
)
async def test_sending_at_once_is_what_the_lane_tasks_did(
    specs: list[tuple[str, str, frozenset[int], str, str, bool]], window: int
) -> None:
    now = time.monotonic()
    claimed = [
        (message(n, code, text, done, kind, phone), now - 5.0 if old else now)
        for n, (code, text, done, kind, phone, old) in enumerate(specs)
    ]
    assert await run(claimed, window, warm=True) == await run(claimed, window, warm=False)


async def test_a_part_left_waiting_is_given_back_at_stop_before_its_task_ran() -> None:
    queue, statuses = FakeQueue(), FakeStatuses()
    dispatcher = Dispatcher(
        LocalIntake(queue),
        queue,
        statuses,  # type: ignore[arg-type]
        {"held": link("held", 1)},
        FakeSenders(warm=True),
        FakeOptOuts(),
        default_link="held",
    )
    started: list[str] = []
    dispatcher._submitter.start = lambda s, _: started.append(s.message.id)  # type: ignore[method-assign]
    now = time.monotonic()
    first, second = (message(n, "111", "hi", frozenset(), "api", "12065550100") for n in (0, 1))
    dispatcher._claimed = 2
    await dispatcher._place([(first, now), (second, now)])
    assert started == ["m000"]  # the window holds one: the second waits, for its lane's task
    await dispatcher.stop()  # before that task took the second over
    assert started == ["m000"]
    assert queue.released == ["m001"]
