"""Prometheus metrics, defined once and shared by the adapters (scraped at /metrics)."""

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

API_REQUESTS = Counter(
    "smsgate_api_requests", "api_web requests by result", ["result"]
)  # accepted | stopped | opted_out | bad_request | unauthorised | unavailable | error
REST_REQUESTS = Counter(
    "smsgate_rest_requests",
    "WhatCounts REST requests by command and HTTP status",
    ["command", "status"],
)  # command: sendMessageToPhone | stopSubscriberSend | other
HTTP_REFUSED = Counter(
    "smsgate_http_refused",
    "HTTP connections or requests refused by the front door's limits, by reason",
    ["reason"],
)  # connections (over SMSGATE_MAX_CONNECTIONS) | too_large | header_timeout | body_timeout
AUTH_FAILURES = Counter("smsgate_auth_failures", "wrong or missing realm passwords")
AUTH_THROTTLED = Counter(
    "smsgate_auth_throttled", "password checks slowed down, by outcome", ["outcome"]
)  # delayed (waited its turn, then checked) | refused (answered at once, not checked)
AUTH_REALM_ALERTS = Counter(
    "smsgate_auth_realm_alerts",
    "times a realm had AUTH_ALERT_FAILURES wrong passwords within the alert window",
)
COMMIT_BATCH = Histogram(
    "smsgate_commit_batch_size",
    "messages per group-commit transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)
COMMIT_FAILURES = Counter("smsgate_commit_failures", "group-commit transactions that failed")
SQLITE_SYNC_SECONDS = Histogram(
    "smsgate_sqlite_wal_sync_seconds",
    "fdatasync of the SQLite WAL behind the writer (each covers every round committed before it)",
    buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5),
)
SQLITE_SYNC_FAILURES = Counter(
    "smsgate_sqlite_wal_sync_failures", "fdatasyncs of the SQLite WAL that failed (disk errors)"
)
SUBMITS = Counter("smsgate_smpp_submits", "submit_sm responses by result", ["connection", "result"])
RECEIPTS = Counter("smsgate_receipts", "delivery receipts by state", ["state"])
RECEIPTS_PARKED = Counter(
    "smsgate_receipts_parked",
    "receipts stored to wait for their part (again when a sweep still finds none)",
)
INBOUND = Counter("smsgate_inbound", "inbound (MO) messages by keyword", ["keyword"])
MO_POSSIBLE_OPTOUT = Counter(
    "smsgate_mo_possible_optout",
    "inbound messages that are no keyword but mention a stop word later on: review them",
)
RESENT_AFTER_RESTART = Counter(
    "smsgate_resent_after_restart", "messages found `sending` at start and queued again"
)
SESSIONS_BOUND = Gauge("smsgate_smpp_sessions_bound", "SMPP sessions bound", ["connection"])
QUEUE_DEPTH = Gauge("smsgate_queue_depth", "messages waiting in the in-memory dispatch queue")

# --- several processes on one PostgreSQL database (delivery/membership.py, delivery/leases.py) ---
NODES_ALIVE = Gauge(
    "smsgate_nodes_alive", "gateway processes with a fresh heartbeat, by role", ["role"]
)
NODES_FENCED = Counter(
    "smsgate_node_fenced", "times this process found itself declared dead and registered again"
)
REQUEUED_FROM_DEAD_NODES = Counter(
    "smsgate_requeued_from_dead_nodes", "`sending` messages of dead nodes queued again"
)
BINDS_HELD = Gauge(
    "smsgate_smpp_binds_held", "SMPP bind slots this process holds a lease on", ["connection"]
)
QUEUE_OLDEST_AGE = Gauge(
    "smsgate_queue_oldest_age_seconds", "age of the oldest queued message (seen by dispatchers)"
)


# --- serve --api-workers: /metrics on a worker = the core's families + the worker's api_web ---
_API_FAMILIES = frozenset(
    {
        "smsgate_api_requests",
        "smsgate_http_refused",
        "smsgate_auth_failures",
        "smsgate_auth_throttled",
        "smsgate_auth_realm_alerts",
    }
)


class _Filtered:
    """A registry view for `generate_latest` with only some metric families."""

    def __init__(self, keep: Callable[[str], bool]) -> None:
        self._keep = keep

    def collect(self) -> Iterator[Metric]:
        return (m for m in REGISTRY.collect() if self._keep(m.name))


def core_exposition() -> bytes:
    """The core process's metrics, without api_web's (its workers serve those)."""
    return generate_latest(_Filtered(lambda name: name not in _API_FAMILIES))


def worker_exposition() -> bytes:
    """An API worker's own metrics: api_web's families only."""
    return generate_latest(_Filtered(lambda name: name in _API_FAMILIES))


# --- webhooks (delivery/webhook_sender.py) ---
WEBHOOK_ATTEMPTS = Counter(
    "smsgate_webhook_attempts", "webhook delivery attempts by result", ["result"]
)  # sent (2xx) | failed (retried later) | gave_up (retry window over) | refused (unsafe target)
WEBHOOK_BACKLOG = Gauge(
    "smsgate_webhook_backlog", "webhook deliveries still to make (pending, all nodes)"
)
WEBHOOK_LATENCY = Histogram(
    "smsgate_webhook_latency_seconds",
    "one webhook attempt, from connecting to the end of the answer",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBHOOK_ENDPOINTS_FAILING = Counter(
    "smsgate_webhook_endpoints_failing", "webhook endpoints marked failing (no success for a day)"
)
