import re
import threading
import time

from ulid_transform import ulid_to_timestamp

from smsgate.ids import new_message_id

_CROCKFORD = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")


def test_an_id_is_a_ulid_of_now() -> None:
    before = time.time()
    message_id = new_message_id()
    after = time.time()
    assert _CROCKFORD.fullmatch(message_id)
    assert int(before * 1000) <= ulid_to_timestamp(message_id) <= int(after * 1000) + 1  # ms


def test_ids_made_in_a_burst_are_distinct_and_increasing() -> None:
    ids = [new_message_id() for _ in range(20_000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_made_on_several_threads_are_distinct() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(new_message_id() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for out in made for i in out]
    assert len(set(every)) == len(every)
    assert all(out == sorted(out) for out in made)
