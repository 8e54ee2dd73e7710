"""max_tps, measured by when the SMSC received each submit (not by the test's clock)."""

from tests.fakes.more_smsc import InstrumentedSMSC
from tests.integration.delivery.conftest import (
    StartGateway,
    StartSmsc,
    add_realm,
    send_many,
    wait_status,
)
from tests.support.waiting import scaled


def max_in_one_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_connection_max_tps_spreads_the_submits(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(InstrumentedSMSC())
    gateway = await start_gateway(smsc, max_tps=20, request_receipts=False)
    realm_id = await add_realm(gateway)

    messages = await send_many(gateway, realm_id, 40)
    await smsc.wait_for_submits(40, timeout=scaled(30))
    stamps = [t for t, _ in smsc.stamps]

    assert max(stamps) - min(stamps) >= 1.5  # 39 intervals of 50 ms, ~1.95 s
    # the carrier's per-second limit holds: rate + burst (1), one more for network jitter
    assert max_in_one_second(stamps) <= 22
    await wait_status(gateway, messages, "sent")


async def test_sender_max_tps_slows_that_code_only(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(InstrumentedSMSC())
    gateway = await start_gateway(smsc, request_receipts=False)
    realm_id = await add_realm(gateway, "1111", max_tps=10)
    await gateway.realms.add_sender("acme", "2222")

    slow = await send_many(gateway, realm_id, 16, code="1111")
    fast = await send_many(gateway, realm_id, 16, code="2222")
    await smsc.wait_for_submits(32, timeout=scaled(30))
    by_code: dict[str, list[float]] = {"1111": [], "2222": []}
    for stamp, pdu in smsc.stamps:
        by_code[pdu.source_addr].append(stamp)

    slow_spread = max(by_code["1111"]) - min(by_code["1111"])
    assert slow_spread >= 1.3  # 15 intervals of 100 ms
    assert max_in_one_second(by_code["1111"]) <= 12
    # Not held back by the other code's limit: all 16 went while the slow code had sent at most
    # half of its own (held back, they would have gone one for one with it, or after it).
    fast_done = max(by_code["2222"])
    assert sum(1 for t in by_code["1111"] if t < fast_done) <= 8
    await wait_status(gateway, slow + fast, "sent")
