"""freeze_startup_heap, run in a child interpreter: freezing the test runner's own heap would
keep every test's garbage alive."""

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc
    import smsgate.bootstrap.gateway  # a gateway's start-up set: modules, classes, functions

    from smsgate.runtime import freeze_startup_heap

    before = len(gc.get_objects())
    freeze_startup_heap()
    frozen, visible = gc.get_freeze_count(), len(gc.get_objects())
    assert frozen > 0.9 * before, (frozen, before)
    assert visible < 0.01 * frozen, (visible, frozen)

    class Node:
        pass

    for _ in range(100):  # garbage made after the freeze is still collected
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
    assert gc.collect() >= 200
    print("ok")
    """
)


def test_start_up_objects_leave_the_collector_and_later_garbage_is_collected() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
