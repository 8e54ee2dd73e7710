"""The collector and a gateway process: what it allocates at start is never collected again.

A full (generation 2) collection visits every object the collector tracks. A started gateway
holds about 100,000 of them (modules, classes, functions, the app and its stores), nearly all
alive until the process ends; on the benchmark machine one full pass over them took 50-70 ms,
while the event loop and the SQLite writer thread both stood still. Short-lived objects that
survive two young collections (a delivery receipt waits for its commit, a request for its
reply) trigger a full pass every few seconds under load, so these passes were the p99 of
api_web with delivery receipts on (bench/README.md, "Fourth round").

`freeze_startup_heap` moves everything allocated so far out of the collector's view
(`gc.freeze`), so a full pass visits only what was allocated after it. Objects of that start-up
set that later become garbage in a reference cycle are not reclaimed: the set is fixed in size,
so this costs a bounded amount of memory. Called by the process entry points (`smsgate serve`,
its API workers and core, `smsgate dispatch`) once the gateway is built, never by library code
or tests.
"""

import gc


def freeze_startup_heap() -> None:
    """Collect what start-up left over, then keep every surviving object out of later passes."""
    gc.collect()
    gc.freeze()
