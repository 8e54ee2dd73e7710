"""Errors of the use cases, each with a one-line message a door shows as it is.

A service raises `InvalidInput` for what a caller gave wrong (a bad phone, a sender code that
is not the realm's); the store's `NotFound`/`AlreadyExists` (store/errors.py) pass through
unchanged, `StoreUnavailable` means nothing was written, and `DataDirUnusable` that the
database's directory cannot be used (the gateway must not start).
"""

from smsgate.store.errors import (
    AlreadyExists,
    DataDirUnusable,
    NotFound,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "AlreadyExists",
    "DataDirUnusable",
    "InvalidInput",
    "NotFound",
    "StoreError",
    "StoreUnavailable",
]


class InvalidInput(ValueError):
    """Input a use case refuses; the message names what and why, in one line."""
