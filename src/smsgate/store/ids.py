"""Message ids: ULIDs, made by the gateway before the commit.

A ULID is 48 bits of milliseconds and 80 random bits in 26 sortable characters, so every node can
make ids without asking the database, and ordering by id is ordering by arrival time.
"""

from ulid import ULID


def new_message_id() -> str:
    return str(ULID())
