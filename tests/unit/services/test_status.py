"""The live view of SMPP connections: what each link shows, sorted by name."""

from dataclasses import dataclass

from smsgate.services.status import BindState, binds_problem, connection_states


@dataclass
class Config:
    binds: int
    window: int


@dataclass
class FakeLink:
    name: str
    config: Config
    slots: frozenset[int]
    bound_sessions: int
    in_flight: int
    paused: bool
    leased: bool = False
    sessions: dict[int, int] | None = None  # slot -> in flight, for the bound slots

    def slot_sessions(self) -> list[tuple[int, int | None]]:
        bound = self.sessions or {}
        return [(slot, bound.get(slot)) for slot in sorted(self.slots)]


def test_each_link_is_one_state_in_name_order() -> None:
    links = [
        FakeLink("zeta", Config(2, 50), frozenset({0, 1}), 1, 7, True, sessions={1: 7}),
        FakeLink("alpha", Config(4, 10), frozenset({3}), 0, 0, False, leased=True),
    ]
    states = connection_states(links)
    assert [s.name for s in states] == ["alpha", "zeta"]
    alpha, zeta = states
    assert (alpha.binds, alpha.slots_held, alpha.bound, alpha.leased) == (4, 1, 0, True)
    assert not alpha.up
    assert (zeta.window, zeta.in_flight, zeta.throttled, zeta.up) == (50, 7, True, True)
    assert zeta.bind_states == (BindState(0, False, 0), BindState(1, True, 7))
    assert alpha.bind_states == (BindState(3, False, 0),)
    assert binds_problem(states) is None  # zeta is up


def test_no_bound_session_names_the_connections_held() -> None:
    links = [
        FakeLink("b", Config(1, 10), frozenset({0}), 0, 0, False),
        FakeLink("a", Config(1, 10), frozenset(), 0, 0, False, leased=True),
    ]
    assert binds_problem(connection_states(links)) == "no SMPP bind up (b)"
