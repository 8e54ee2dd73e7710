"""What this process's SMPP connections are doing right now, for `/readyz` and the console.
(`smsgate status` runs in another process: it reads the same counts from the gateway's
/metrics, services/status_report.py.)

`connection_states` reads the live `Link`s of this process (a dispatcher's): per connection the
binds configured, the bind slots this process holds, the sessions bound, the submits waiting
for a response (the windows in use) and whether the SMSC has throttled the link, and per bind
slot held whether it is up and its window in use. `Gateway.connections()` is this for the
gateway's own dispatcher (the console's overview calls it). A pure view: nothing here talks to
an SMSC or the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class LinkConfig(Protocol):
    @property
    def binds(self) -> int: ...

    @property
    def window(self) -> int: ...


class LinkView(Protocol):
    """What `delivery.link.Link` shows of itself."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> LinkConfig: ...

    @property
    def slots(self) -> frozenset[int]: ...

    @property
    def bound_sessions(self) -> int: ...

    @property
    def in_flight(self) -> int: ...

    @property
    def paused(self) -> bool: ...

    def slot_sessions(self) -> list[tuple[int, int | None]]: ...

    @property
    def leased(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class BindState:
    """One bind slot this process holds: bound or not, and its window in use."""

    slot: int
    up: bool
    in_flight: int  # submits waiting for their response on this bind (0 when down)


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """One SMPP connection as this process sees it."""

    name: str
    binds: int  # sessions the connection is configured for (all processes together)
    slots_held: int  # bind slots this process may bind (all of them unless leased)
    bound: int  # sessions bound now
    window: int  # outstanding submits allowed per session
    in_flight: int  # submits waiting for their response, over the bound sessions
    throttled: bool  # paused because the SMSC asked us to slow down
    leased: bool  # slots shared with other dispatchers through leases (PostgreSQL)
    bind_states: tuple[BindState, ...] = ()  # each slot held, in slot order

    @property
    def up(self) -> bool:
        return self.bound > 0


def connection_states(links: Iterable[LinkView]) -> list[ConnectionState]:
    """The state of each link, by connection name."""
    return sorted(
        (
            ConnectionState(
                name=link.name,
                binds=link.config.binds,
                slots_held=len(link.slots),
                bound=link.bound_sessions,
                window=link.config.window,
                in_flight=link.in_flight,
                throttled=link.paused,
                leased=link.leased,
                bind_states=tuple(
                    BindState(slot, in_flight is not None, in_flight or 0)
                    for slot, in_flight in link.slot_sessions()
                ),
            )
            for link in links
        ),
        key=lambda state: state.name,
    )


def binds_problem(states: list[ConnectionState]) -> str | None:
    """Why the binds make this process not ready, or None.

    Ready needs at least one session bound, among the connections this process holds slots of.
    A dispatcher sharing the binds (PostgreSQL) that holds no slot at all is a standby: the
    others bind, and it takes over when one of them dies, so it is ready."""
    held = [state for state in states if state.slots_held]
    if not held or any(state.up for state in held):
        return None
    return "no SMPP bind up (" + ", ".join(state.name for state in held) + ")"
