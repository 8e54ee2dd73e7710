"""Gateway processes as nodes: their roles, their identity, and what a reaper pass found.

On PostgreSQL every process registers as a node (`store.nodes`, `delivery.membership`).
"""

from dataclasses import dataclass

ROLE_API = "api"  # serve --no-dispatch
ROLE_DISPATCH = "dispatch"  # smsgate dispatch
ROLE_ALL = "all"  # serve: API and dispatcher
ROLES = (ROLE_API, ROLE_DISPATCH, ROLE_ALL)
DISPATCH_ROLES = (ROLE_DISPATCH, ROLE_ALL)


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    node_id: str
    role: str
    hostname: str
    pid: int


@dataclass(frozen=True, slots=True)
class Reaped:
    dead: list[str]  # node ids whose rows were deleted
    requeued: int  # `sending` messages queued again
    freed_slots: int  # SMPP bind slots released
    alive: dict[str, int]  # the nodes left, by role: every one of them counts as alive
