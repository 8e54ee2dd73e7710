"""The live view of a gateway's SMPP connections (`Gateway.connections()`, for readiness and
the console): its binds up and down with a real SMSC, and readiness following them."""

from smsgate.bootstrap import Gateway
from smsgate.services.readiness import ReadinessCheck
from smsgate.services.status import BindState, ConnectionState
from smsgate.smpp.simulator import SmscSimulator
from smsgate.store.probe import probe_write
from tests.integration.delivery.conftest import CONNECTION, StartGateway, StartSmsc
from tests.support.waiting import eventually


async def connection_state(gateway: Gateway) -> ConnectionState:
    (state,) = gateway.connections()
    return state


async def test_binds_up_then_down_and_readiness_follows(
    start_smsc: StartSmsc, start_gateway: StartGateway
) -> None:
    smsc = await start_smsc(SmscSimulator())
    gateway = await start_gateway(smsc, binds=2, window=7)
    # the gateway's own check, without its one-second cache
    ready = ReadinessCheck(
        lambda: probe_write(gateway.transactions), gateway.connections, cache_seconds=0
    )

    async def both_bound() -> bool:
        return (await connection_state(gateway)).bound == 2

    await eventually(both_bound, timeout=30, what="two binds up")
    state = await connection_state(gateway)
    assert (state.name, state.binds, state.slots_held, state.window) == (CONNECTION, 2, 2, 7)
    assert state.bind_states == (BindState(0, True, 0), BindState(1, True, 0))
    assert not state.throttled and not state.leased
    assert (await ready.check()).ready

    await smsc.stop()  # every session closes; the gateway keeps trying to bind again

    async def down() -> bool:
        return not (await connection_state(gateway)).up

    await eventually(down, timeout=30, what="binds down")
    assert (await connection_state(gateway)).bind_states == (
        BindState(0, False, 0),
        BindState(1, False, 0),
    )
    answer = await ready.check()
    assert (answer.ready, answer.reason) == (False, f"no SMPP bind up ({CONNECTION})")


async def test_a_gateway_without_a_dispatcher_has_no_connections(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(None, dispatch=False)
    assert gateway.connections() == []
    assert (await gateway.readiness.check()).ready
