"""The options of a benchmark, shared by every target, and the smoke preset of the CI check."""

from dataclasses import dataclass

SMOKE_REQUESTS = 300


@dataclass
class Options:
    duration: float = 10.0
    connections: int = 50
    threads: int = 1
    runs: int = 3
    warmup: float = 2.0
    receipts: bool = False
    binds: int = 1
    window: int = 500
    database_url: str | None = None
    requests: int = 0  # > 0: count-bounded (per run), see api_web.lua
    drain_timeout: float = 60.0
    min_messages: int = 0
    keep: bool = False
    tmp_root: str | None = None
    smoke: bool = False
    kannel_store: str = "file"
    api_workers: int = 0  # > 0 (PostgreSQL): serve --no-dispatch --workers N + one dispatch
    # None: plain `serve` (its default topology); N: serve --api-workers N (0: one process)
    serve_api_workers: int | None = None
    access_log: bool = True  # False: the targets' access logs off (serve --no-access-log)

    def apply_smoke(self) -> None:
        """The CI check: one run of SMOKE_REQUESTS requests on 4 connections, no warm-up."""
        self.runs, self.connections, self.threads = 1, 4, 1
        self.requests, self.duration, self.warmup = SMOKE_REQUESTS, 30.0, 0.0
        self.drain_timeout = min(self.drain_timeout, 15.0)

    @property
    def wrk_threads(self) -> int:
        """wrk threads: at least one, at most one per connection."""
        return max(1, min(self.threads, self.connections))

    @property
    def per_thread(self) -> int:
        """Messages per wrk thread of a count-bounded run (0: bounded by time)."""
        return -(-self.requests // self.wrk_threads) if self.requests else 0
