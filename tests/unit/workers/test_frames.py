"""Frames between API workers and the core: any chunking of the stream gives the same values."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.constants import WORKER_MAX_FRAME_BYTES
from smsgate.workers.frames import FrameError, FrameReader, encode

values = st.recursive(
    st.none() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=5).map(tuple) | st.lists(inner, max_size=5),
    max_leaves=20,
)


@given(st.lists(values, max_size=10), st.lists(st.integers(1, 50), min_size=1, max_size=20))
def test_any_chunking_gives_back_the_values(sent: list[object], cuts: list[int]) -> None:
    stream = b"".join(encode(v) for v in sent)
    reader = FrameReader()
    received: list[object] = []
    position = 0
    for size in cuts * (len(stream) // sum(cuts) + 1):
        received += reader.feed(stream[position : position + size])
        position += size
        if position >= len(stream):
            break
    assert received == sent


def test_a_frame_arrives_only_when_complete() -> None:
    frame = encode(("accept", [(1, "x")]))
    reader = FrameReader()
    assert reader.feed(frame[:-1]) == []
    assert reader.feed(frame[-1:]) == [("accept", [(1, "x")])]


def test_an_announced_length_over_the_limit_is_refused() -> None:
    with pytest.raises(FrameError, match="over the limit"):
        FrameReader().feed(struct.pack(">I", WORKER_MAX_FRAME_BYTES + 1))


def test_garbage_is_refused() -> None:
    with pytest.raises(FrameError, match="undecodable"):
        FrameReader().feed(struct.pack(">I", 3) + b"\xff\xfe\xfd")


def test_an_oversized_value_is_not_sent() -> None:
    with pytest.raises(FrameError):
        encode(b"x" * (WORKER_MAX_FRAME_BYTES + 1))
