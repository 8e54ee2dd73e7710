"""Errors the store raises; adapters turn them into FAILURE lines or CLI messages."""


class StoreError(Exception):
    """Base class for store errors with a user-facing one-line message."""


class NotFound(StoreError):
    """The named realm, sender code or opt-out does not exist."""


class AlreadyExists(StoreError):
    """A realm or sender code with that name already exists."""


class StoreUnavailable(StoreError):
    """The database could not commit (down, locked too long, disk full)."""


class DataDirUnusable(StoreError):
    """The SQLite database's directory cannot be created or written (read-only, not a
    directory, no permission): the gateway cannot keep anything, so it must not start."""
