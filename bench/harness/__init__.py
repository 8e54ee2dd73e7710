"""The benchmark harness: a library behind the commands `python -m bench.run` (smsgate),
`python -m bench.kannel` (Kannel, then smsgate, and the ratios) and `python -m bench.ab`.

    processes  start and stop the run's processes, wait for them
    sampling   CPU ticks and RSS from /proc, a process and its descendants, the Meter of a run
    targets/   the systems under test (smsgate, Kannel), their PostgreSQL database, the SMSC sink
    load       wrk with bench/api_web.lua
    figures    one run's figures from what was measured
    report     summaries over runs, the printed tables, the results JSON
    runner     one run, step by step, and the runs of one target
    options    the options of a benchmark; cli: their arguments and the commands' shared flow
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO = BENCH_DIR.parent
