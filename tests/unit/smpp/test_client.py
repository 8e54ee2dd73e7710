"""try_acquire: a non-blocking acquire of an asyncio.Semaphore that never jumps the queue."""

import asyncio

from smsgate.smpp.client import try_acquire


async def test_takes_a_free_slot_as_acquire_would() -> None:
    window = asyncio.Semaphore(2)
    assert try_acquire(window) and try_acquire(window)
    assert not try_acquire(window) and window.locked()
    window.release()
    assert try_acquire(window)


async def test_never_takes_a_slot_a_waiter_is_owed() -> None:
    window = asyncio.Semaphore(1)
    assert try_acquire(window)
    waiter = asyncio.create_task(window.acquire())
    await asyncio.sleep(0)  # waiting
    window.release()  # the slot is the waiter's now
    assert not try_acquire(window)
    assert await waiter
    window.release()
    assert try_acquire(window)


async def test_a_cancelled_waiter_does_not_hold_a_slot() -> None:
    window = asyncio.Semaphore(1)
    assert try_acquire(window)
    waiter = asyncio.create_task(window.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    window.release()
    assert not window.locked()  # asyncio: the cancelled waiter is owed nothing
    assert try_acquire(window)
    assert window.locked()
    await asyncio.gather(waiter, return_exceptions=True)
