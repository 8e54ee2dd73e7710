"""Prometheus metrics, defined once and shared by the adapters (scraped at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

API_REQUESTS = Counter(
    "smsgate_api_requests", "api_web requests by result", ["result"]
)  # accepted | opted_out | bad_request | unauthorised | unavailable | error
COMMIT_BATCH = Histogram(
    "smsgate_commit_batch_size",
    "messages per group-commit transaction",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000),
)
COMMIT_FAILURES = Counter("smsgate_commit_failures", "group-commit transactions that failed")
SUBMITS = Counter("smsgate_smpp_submits", "submit_sm responses by result", ["connection", "result"])
RECEIPTS = Counter("smsgate_receipts", "delivery receipts by state", ["state"])
INBOUND = Counter("smsgate_inbound", "inbound (MO) messages by keyword", ["keyword"])
RESENT_AFTER_RESTART = Counter(
    "smsgate_resent_after_restart", "messages found `sending` at start and queued again"
)
SESSIONS_BOUND = Gauge("smsgate_smpp_sessions_bound", "SMPP sessions bound", ["connection"])
QUEUE_DEPTH = Gauge("smsgate_queue_depth", "messages waiting in the in-memory dispatch queue")
