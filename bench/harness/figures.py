"""One run's figures, computed from what was measured (pure functions; see the table in
bench/README.md for what each one means)."""

import statistics
from dataclasses import dataclass
from typing import Any

from bench.harness.sampling import Usage

# (key, label, format) of the figures summarised over runs, in print order
FIGURES: list[tuple[str, str, str]] = [
    ("http_rps", "HTTP req/s", "{:,.0f}"),
    ("e2e_msg_s", "e2e msg/s", "{:,.0f}"),
    ("p50_ms", "latency p50 ms", "{:.2f}"),
    ("p90_ms", "latency p90 ms", "{:.2f}"),
    ("p99_ms", "latency p99 ms", "{:.2f}"),
    ("cpu_us_per_msg", "CPU µs/msg", "{:,.0f}"),
    ("delivered", "delivered msgs", "{:,.0f}"),
    ("rss_before_mb", "RSS before MB", "{:.1f}"),
    ("rss_after_mb", "RSS after MB", "{:.1f}"),
    ("decay_pct", "rate decay %", "{:.1f}"),
    ("cpu_growth_pct", "CPU/msg growth %", "{:.1f}"),
    ("lost", "lost", "{:.0f}"),
    ("errors", "errors", "{:.0f}"),
    ("sink_cpu_pct", "sink CPU %", "{:.0f}"),
    ("wrk_cpu_pct", "wrk CPU %", "{:.0f}"),
    ("db_cpu_us_per_msg", "DB CPU µs/msg", "{:,.0f}"),
    ("db_msgs_per_commit", "msgs/DB commit", "{:.1f}"),
    ("db_commits_per_s", "DB commits/s", "{:,.0f}"),
    ("other_cpu_pct", "other CPU %", "{:.0f}"),
]


@dataclass
class Measurements:
    """Everything one measured load produced (times are time.monotonic(), CPU in seconds)."""

    wrk: dict[str, Any]  # counts and latency percentiles (µs) of the load, from load.run_wrk
    sink: dict[str, Any]  # the sink's final counters
    drained: bool  # the sink received every accepted message in time
    load_start: float
    load_end: float
    drain_end: float
    wrk_cpu: float  # the load generator's CPU from load start to load end
    usage: Usage  # the other processes' CPU and memory, load start to drain end
    db_before: dict[str, int] | None = None  # the database's counters (PostgreSQL)
    db_after: dict[str, int] | None = None


def full_second_rates(per_second: dict[str, int], start: float, end: float) -> list[int]:
    """Submits per second for the whole seconds that lie inside [start, end]."""
    first, last = int(start) + 1, int(end) - 1
    return [per_second.get(str(s), 0) for s in range(first, last + 1)]


def decay_pct(rates: list[int]) -> float | None:
    """How much lower the rate was in the last third of the load than in the first third."""
    if len(rates) < 6:
        return None
    third = len(rates) // 3
    head = statistics.fmean(rates[:third])
    tail = statistics.fmean(rates[-third:])
    return None if head <= 0 else round((head - tail) / head * 100, 1)


def cpu_growth_pct(
    samples: list[tuple[float, int, int]], per_second: dict[str, int], start: float, end: float
) -> float | None:
    """How much more CPU per message the target spent in the last third of the load than in
    the first third: a decay measure that other work on the machine hardly disturbs (the rate
    itself moves with the machine's load). Samples are (monotonic time, RSS kB, CPU ticks)."""
    seconds = list(range(int(start) + 1, int(end)))
    if len(seconds) < 6 or not samples:
        return None
    third = len(seconds) // 3

    def ticks_at(t: float) -> int:
        return min(samples, key=lambda s: abs(s[0] - t))[2]

    def per_msg(first: int, last: int) -> float | None:
        msgs = sum(per_second.get(str(s), 0) for s in range(first, last + 1))
        return (ticks_at(last + 1) - ticks_at(first)) / msgs if msgs else None

    head, tail = per_msg(seconds[0], seconds[third - 1]), per_msg(seconds[-third], seconds[-1])
    if not head or tail is None:
        return None
    return round((tail - head) / head * 100, 1)


def db_figures(
    cpu: float | None,
    before: dict[str, int] | None,
    after: dict[str, int] | None,
    submits: int,
    window: float,
) -> dict[str, Any]:
    """The database server's share: CPU (all of the local PostgreSQL server's processes, so
    approximate when other databases are busy; see other_db_commits) and its counters."""
    out: dict[str, Any] = {
        "db_cpu_seconds": round(cpu, 2) if cpu is not None else None,
        "db_cpu_us_per_msg": cpu * 1e6 / submits if cpu is not None and submits else None,
        "db_cpu_pct": cpu / window * 100 if cpu is not None else None,
    }
    if before is None or after is None:
        return out
    delta = {k: after[k] - before[k] for k in before}
    commits = delta["commits"]
    out.update(
        {
            "db_commits": commits,
            "db_commits_per_s": commits / window,
            "db_msgs_per_commit": submits / commits if commits else None,
            "db_rows_inserted_per_msg": delta["inserted"] / submits if submits else None,
            "db_rows_updated_per_msg": delta["updated"] / submits if submits else None,
            # less the commits of our own two stats queries (in database postgres)
            "other_db_commits": max(0, delta["other_commits"] - 2),
        }
    )
    return out


def http_figures(wrk: dict[str, Any]) -> dict[str, Any]:
    """Requests, answers and latency as wrk saw them."""
    seconds = wrk["duration_us"] / 1e6
    lat = wrk["latency_us"]
    return {
        "ok": wrk["ok"],
        "other": wrk["other"],
        "requests": wrk["requests"],
        "wrk_errors": wrk["errors"],
        "other_sample": wrk["other_sample"],
        "errors": wrk["other"] + sum(wrk["errors"].values()),
        # a count-bounded run ends (SIGINT) within ~0.05 s of its last answer; its idle
        # requests (see api_web.lua) are left out
        "http_rps": (wrk["requests"] - wrk["idle"]) / seconds,
        "http_ok_rps": wrk["ok"] / seconds,
        "p50_ms": lat["p50"] / 1000,
        "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000,
        "p999_ms": lat["p999"] / 1000,
        "max_ms": lat["max"] / 1000,
    }


def delivery_figures(m: Measurements) -> dict[str, Any]:
    """What reached the sink, and how fast, against what wrk saw accepted."""
    ok, stats = m.wrk["ok"], m.sink
    submits, distinct, last = stats["submits"], stats["distinct_destinations"], stats["last_submit"]
    elapsed = (last - m.load_start) if last else None
    rates = full_second_rates(stats["per_second"], m.load_start, m.load_end)
    return {
        "sink_submits": submits,
        "distinct_submits": distinct,
        "duplicates": submits - distinct,
        "lost": max(0, ok - distinct),
        # accepted (committed) but wrk stopped before reading the reply
        "unanswered_accepted": max(0, distinct - ok),
        "drained": m.drained,
        "load_seconds": round(m.load_end - m.load_start, 3),
        "drain_seconds": round(m.drain_end - m.load_end, 3),
        "e2e_msg_s": submits / elapsed if elapsed else 0.0,
        "e2e_seconds": round(elapsed, 3) if elapsed else None,
        "delivered": submits,
        "rate_per_second": rates,
        "decay_pct": decay_pct(rates),
        "receipts_sent": stats["deliver_sm_sent"],
        "receipts_acked": stats["deliver_sm_resp"],
        "sink_binds": stats["binds"],
    }


def cost_figures(m: Measurements) -> dict[str, Any]:
    """CPU and memory of the target, and of everything else on the machine."""
    u, submits = m.usage, m.sink["submits"]
    window = m.drain_end - m.load_start
    others = u.target_cpu + u.sink_cpu + m.wrk_cpu + (u.db_cpu or 0)
    return {
        "cpu_seconds": round(u.target_cpu, 2),
        "cpu_us_per_msg": u.target_cpu * 1e6 / submits if submits else None,
        "cpu_cores_used": round(u.target_cpu / window, 2),
        "rss_before_mb": u.rss_before_kb / 1024,
        "rss_after_mb": u.rss_after_kb / 1024,
        "rss_peak_mb": max([u.rss_before_kb, u.rss_after_kb, *(r for _, r, _ in u.samples)]) / 1024,
        "rss_timeline_mb": [
            (round(t - m.load_start, 1), round(r / 1024, 1)) for t, r, _ in u.samples[::4]
        ],
        "cpu_growth_pct": cpu_growth_pct(u.samples, m.sink["per_second"], m.load_start, m.load_end),
        "sink_cpu_pct": u.sink_cpu / window * 100,
        "wrk_cpu_pct": m.wrk_cpu / (m.load_end - m.load_start) * 100,
        "machine_busy_pct": u.machine_busy / window * 100,
        "other_cpu_pct": max(0.0, u.machine_busy - others) / window * 100,
        "processes": u.processes,
        "per_process": u.per_process,
        **db_figures(u.db_cpu, m.db_before, m.db_after, submits, window),
    }


def run_figures(m: Measurements) -> dict[str, Any]:
    """Every figure of one run (the keys of a run in the results JSON)."""
    return {**http_figures(m.wrk), **delivery_figures(m), **cost_figures(m)}
