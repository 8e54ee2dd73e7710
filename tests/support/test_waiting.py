"""The polling helper's progress deadlines: slow but moving work passes, a stall fails."""

import asyncio

import pytest

from tests.support.waiting import eventually, progressing, scaled

STALL = 0.05  # seconds: far shorter than the polls below take in all


async def test_progress_moves_the_deadline() -> None:
    polls = 0

    async def moved() -> int:
        nonlocal polls
        polls += 1
        return polls

    async def done() -> bool:
        return polls >= 12  # the intervals alone (10 ms doubling to 200 ms) exceed STALL

    await eventually(done, timeout=STALL, what="moving work", progress=moved)
    assert polls >= 12


async def test_a_stall_fails_naming_where_it_stood() -> None:
    async def stuck() -> int:
        return 7

    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"stuck work: not within .*s of no progress \(at 7\)"):
        await eventually(never, timeout=STALL, what="stuck work", progress=stuck)


async def test_progressing_returns_the_result_or_cancels_the_stalled_work() -> None:
    async def none() -> int:
        return 0

    async def answer() -> int:
        return 42

    assert await progressing(answer(), progress=none, stall=STALL, what="quick") == 42

    never = asyncio.Event()
    cancelled = asyncio.Event()

    async def stalled() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(AssertionError, match="stalled work"):
        await progressing(stalled(), progress=none, stall=STALL, what="stalled work")
    async with asyncio.timeout(scaled(5)):
        await cancelled.wait()
