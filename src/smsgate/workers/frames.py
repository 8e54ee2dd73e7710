"""Length-prefixed frames between an API worker and its core process.

A frame is a 4-byte big-endian length and a `marshal`-encoded value (tuples, lists, str, int,
float, bytes, None). marshal is the fastest serialiser in the standard library for such plain
values, and it is safe here: both ends are processes of this gateway, connected by a socketpair
the core made (never a listening socket), so no untrusted byte ever reaches `marshal.loads`.

Written by hand because this is a dozen lines over `struct` and `marshal`; a messaging library
(ZeroMQ, a broker) would add a dependency and a hop for what one socketpair does.
"""

import marshal
import struct
from typing import Any

from smsgate.constants import WORKER_MAX_FRAME_BYTES

_LENGTH = struct.Struct(">I")


class FrameError(Exception):
    """The peer sent something that is not a frame of ours: drop the connection."""


def encode(value: Any) -> bytes:
    body = marshal.dumps(value)
    if len(body) > WORKER_MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(body)} bytes is over the limit")
    return _LENGTH.pack(len(body)) + body


class FrameReader:
    """Cuts a byte stream into decoded values."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        self._buffer += data
        values: list[Any] = []
        start = 0
        size = len(self._buffer)
        while size - start >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self._buffer, start)
            if length > WORKER_MAX_FRAME_BYTES:
                raise FrameError(f"frame of {length} bytes announced, over the limit")
            end = start + _LENGTH.size + length
            if end > size:
                break
            try:
                values.append(marshal.loads(self._buffer[start + _LENGTH.size : end]))
            except (EOFError, ValueError, TypeError) as exc:
                raise FrameError(f"undecodable frame: {exc}") from exc
            start = end
        del self._buffer[:start]
        return values
