"""Every fixed limit of the gateway in one place, each with the reason for its value.

Tunables that an operator may want to change live in `settings.py`; these are the limits that
come from the WhatCounts contract, the SMS standards or the SMPP 3.4 specification.
"""

from typing import Final

# --- WhatCounts api_web contract (shared/reference/whatcounts-send-message-to-phone.txt) ---
SUPPORTED_COMMAND: Final = "smssendmessagetophone"  # send a text to a phone
STOP_COMMAND: Final = "smsstopsubscribersend"  # opt a phone out of a sender code
MAX_MESSAGE_CHARS: Final = 160  # "limited to 160 characters" (Unicode code points)
MAX_PHONE_DIGITS: Final = 15  # E.164 allows at most 15 digits including the country code
SUCCESS_REPLY: Final = "SUCCESS: Sending message to phone was successful"
STOP_SUCCESS_REPLY: Final = "SUCCESS: Stopping message to phone was successful"
# A valid request is under 3 KiB (160 four-byte characters percent-encoded are 1,920 bytes).
# Over these limits a request is answered `FAILURE: Request too large` and not kept in memory.
MAX_REQUEST_HEAD_BYTES: Final = 16 * 1024  # request line and headers (Node.js's default too)
MAX_REQUEST_BODY_BYTES: Final = 16 * 1024  # a POST form body
# Distinct api_web replies whose header lines an HTTP process keeps rendered (http/direct.py):
# the replies are a handful of fixed lines, so this bounds the memory, not the hits.
REPLY_HEADS_KEPT: Final = 64

# --- GSM 03.38 / 03.40 message sizes (TP-UD is 140 octets) ---
GSM7_SINGLE_SEPTETS: Final = 160  # 140 octets * 8 / 7
GSM7_CONCAT_SEPTETS: Final = 153  # 6-octet UDH + 1 fill bit leave 153 septets per part
UCS2_SINGLE_UNITS: Final = 70  # 140 octets / 2 octets per UTF-16 unit
UCS2_CONCAT_UNITS: Final = 67  # (140 - 6 UDH octets) / 2
MAX_CONCAT_PARTS: Final = 255  # the 8-bit UDH part counter

# --- SMPP 3.4 ---
SMPP_HEADER_LEN: Final = 16  # command_length, command_id, command_status, sequence_number
SMPP_MAX_PDU_LEN: Final = 64 * 1024  # larger frames are treated as garbage (spec has no limit)
SMPP_MAX_SEQUENCE: Final = 0x7FFFFFFF  # sequence_number range is 0x00000001..0x7FFFFFFF
DATA_CODING_GSM7: Final = 0x00  # SMSC default alphabet
DATA_CODING_UCS2: Final = 0x08  # ISO/IEC 10646 (UCS-2, big endian)
ESM_CLASS_UDHI: Final = 0x40  # user data begins with a UDH
ESM_CLASS_RECEIPT: Final = 0x04  # deliver_sm carries an SMSC delivery receipt
REGISTERED_DELIVERY_FINAL: Final = 0x01  # request a receipt on final outcome
SMPP_INTERFACE_VERSION: Final = 0x34  # interface_version sent in bind: SMPP 3.4
SMPP_MAX_SHORT_MESSAGE: Final = 254  # sm_length limit (5.2.21); longer data needs message_payload
MAX_ALPHANUMERIC_SENDER: Final = 11  # GSM 03.40 TP-OA: an alphanumeric address of 11 characters

# --- Authentication ---
AUTH_CACHE_TTL_SECONDS: Final = 300.0  # a verified (realm, password) pair skips argon2 this long
AUTH_CACHE_MAX_ENTRIES: Final = 10_000  # bound memory; oldest entries are evicted first
# Wrong passwords slow their sender down instead of locking anyone out (ADR 0008). Attempts
# are counted per (realm, client address) and per client address; after the free ones each
# further attempt of that key waits base * 2^k seconds, up to the cap.
AUTH_FREE_ATTEMPTS_PER_PAIR: Final = 5  # one realm from one address: typos, a stale config
AUTH_FREE_ATTEMPTS_PER_ADDRESS: Final = 20  # all realms from one address (an office's NAT)
AUTH_DELAY_BASE_SECONDS: Final = 1.0  # the first delay, doubled for each further attempt ...
AUTH_DELAY_CAP_SECONDS: Final = 60.0  # ... up to this: at most ~1 guess a minute per key
AUTH_FORGET_AFTER_SECONDS: Final = 900.0  # a key with no attempt for 15 min starts again
AUTH_MAX_DELAYED_REQUESTS: Final = 1000  # sleeping at once; over it, refused unchecked at once
AUTH_ALERT_FAILURES: Final = 10  # wrong passwords for one realm, from anywhere, within ...
AUTH_ALERT_WINDOW_SECONDS: Final = 60.0  # ... this long: a WARNING and smsgate_auth_realm_alerts

# The connection to the built-in SMSC simulator, used when no [[smpp]] connection is configured
# (bootstrap.py); one bind. `smsgate status` names it too.
SIMULATOR_CONNECTION: Final = "simulator"

# --- Readiness (/readyz, services/readiness.py) ---
READINESS_PROBE_TIMEOUT_SECONDS: Final = 5.0  # a write probe not committed by then: not ready
# One probe answers every /readyz for this long: orchestrators ask every few seconds, and an
# unauthenticated endpoint must not turn a flood of requests into a flood of writes.
READINESS_CACHE_SECONDS: Final = 1.0

# --- Storage ---
PARKED_SWEEP_SECONDS: Final = 10.0  # how often parked receipts are matched again (scale-out race)
PARKED_SWEEP_BATCH: Final = 1000  # parked receipts looked at per sweep
PARKED_TTL_SECONDS: Final = 3 * 24 * 3600  # a receipt matching no message for 3 days is dropped
# Parts of a multipart MO whose set is still incomplete this long after its oldest part are
# dropped (logged). Handsets send the parts back to back, and an SMSC retries a part the gateway
# could not take for hours at most (its validity period); an 8-bit concatenation reference of
# one phone to one sender code is unlikely to come round again within a day.
MO_PARTS_TTL_SECONDS: Final = 24 * 3600
GROUP_COMMIT_MAX_BATCH: Final = 2000  # rows in one accept transaction; bounds commit latency
# accept batches handed to the writer before one commits. A batch that finds every slot taken
# waits for a loop turn after a commit and misses the writer round that starts meanwhile; at 2
# that wait was 0.6 of the core's 2.7 ms per request (bench/README.md, "Sixth round"). A bound,
# not a target: on PostgreSQL each one in flight holds a pooled connection (pool 10 + 10).
ACCEPT_COMMITS_IN_FLIGHT: Final = 8
SQLITE_BUSY_TIMEOUT_MS: Final = 5000  # CLI and server share the file; wait rather than fail
# rows per multi-row INSERT: SQLite allows 32766 parameters; 500 x 11 columns stays far below
SQLITE_INSERT_CHUNK_ROWS: Final = 500
SQLITE_MAX_JOBS_PER_COMMIT: Final = 64  # hot transactions coalesced into one commit; bounds a round
# Prepared statements the writer keeps (the stdlib default is 128). The hot statements come in a
# variant per batch size (multi-row INSERTs; IN lists are padded, see store/rawsql.py): ~350
# distinct texts in a 10 s benchmark, which thrashed a cache of 128.
SQLITE_CACHED_STATEMENTS: Final = 512
IN_LIST_POWER_OF_TWO_UP_TO: Final = 1024  # IN lists pad to 1, 2, 4, ... 1024 values (rawsql.py)
IN_LIST_STEP_ABOVE: Final = 256  # and above that to a multiple of 256
SQLITE_IN_LISTS_MADE: Final = 65  # IN lists of 0-64 values are made once at import (rawsql.py)
# The database driver thread hands each result back through the GIL; Python's default 5 ms
# switch interval would make every statement wait that long while the event loop is busy.
GIL_SWITCH_INTERVAL: Final = 0.0002

# --- API worker processes (serve --api-workers; workers/) ---
WORKER_LISTEN_BACKLOG: Final = 2048  # pending connections on the port the workers share
WORKER_MAX_FRAME_BYTES: Final = 16 * 1024 * 1024  # one frame carries one loop turn of requests
WORKER_RESTART_DELAY_SECONDS: Final = 1.0  # a worker that died is started again after this
WORKER_STOP_TIMEOUT_SECONDS: Final = 30.0  # SIGTERM, then this long to finish, then SIGKILL
# The routes the workers pass on to the core (http/core_proxy.py, workers/core_http.py):
CORE_PROXY_CONNECT_SECONDS: Final = 5.0  # the core's socket not accepting by then: 502
CORE_PROXY_READ_SECONDS: Final = 60.0  # the core silent this long in an answer: 502 / cut
CORE_PROXY_CONNECTIONS: Final = 64  # open connections from one worker to the core, at most
CORE_HTTP_STOP_SECONDS: Final = 10  # at stop, requests in flight in the core get this long
UNIX_SOCKET_PATH_MAX: Final = 107  # bytes of a Unix socket's path on Linux (sun_path: 108)

# --- API keys (/v1; domain/api_key.py) ---
API_KEY_PREFIX: Final = "sg"  # keys read sg_<id>_<secret>; secret scanners can look for it
API_KEY_ID_HEX_DIGITS: Final = 12  # 48 random bits: a collision is retried, never likely
API_KEY_SECRET_BYTES: Final = 32  # 256 random bits: no slow hash needed (domain/api_key.py)
API_KEY_NAME_MAX_CHARS: Final = 64  # the `api_keys.name` column
# A key's last use is written at most this often: a write per request would cost the JSON API
# more than its own work, and "used in the last minute" is all an operator needs to know.
API_KEY_LAST_USED_RESOLUTION_SECONDS: Final = 60.0

# --- Webhooks (issue 17; domain/webhook_*.py, delivery/webhook_sender.py) ---
WEBHOOK_SECRET_BYTES: Final = 32  # whsec_ secrets: 256 random bits (HMAC-SHA256's key size)
WEBHOOK_TIMEOUT_SECONDS: Final = 10.0  # one attempt, connect to last byte: then it has failed
WEBHOOK_MAX_RESPONSE_BYTES: Final = 4096  # of a receiver's answer, kept for `deliveries`
WEBHOOK_RETRY_JITTER: Final = 0.2  # a retry delay is spread up to 20% later
# A failure this long after the event is the last (the issue: retries "for at least 24 h").
WEBHOOK_RETRY_WINDOW_SECONDS: Final = 24 * 3600.0
WEBHOOK_FAILING_AFTER_SECONDS: Final = 24 * 3600.0  # no success for a day: endpoint "failing"
# A claimed delivery is due again this long after its claim if its node dies mid-attempt: more
# than an attempt's timeout (3x), so a live node always records its result first.
WEBHOOK_CLAIM_LEASE_SECONDS: Final = 30.0
WEBHOOK_CLAIM_BATCH: Final = 100  # deliveries claimed at once by one sender
WEBHOOK_CONCURRENCY: Final = 20  # attempts in flight per sender (a slow receiver holds one)
WEBHOOK_IDLE_POLL_SECONDS: Final = 1.0  # a sender with nothing due looks again this often
# Webhook events and deliveries are kept this long (listed, replayable), then deleted: the
# outbox would otherwise grow by a row per event and endpoint for ever (store/webhook_retention.py)
WEBHOOK_RETENTION_SECONDS: Final = 30 * 24 * 3600.0
WEBHOOK_PRUNE_EVERY_SECONDS: Final = 3600.0  # how often a sender deletes what is past it
WEBHOOK_PRUNE_BATCH: Final = 500  # events looked at per pruning transaction (a short one)
WEBHOOK_URL_MAX_CHARS: Final = 2048  # the longest endpoint URL accepted

# --- Message history retention (SMSGATE_MESSAGE_RETENTION_DAYS; services/message_retention.py) ---
MESSAGE_PRUNE_EVERY_SECONDS: Final = 3600.0  # how often a dispatching process deletes old ones
MESSAGE_PRUNE_BATCH: Final = 500  # messages looked at per pruning transaction (a short one)

# --- Operator console (/console; services/console_auth.py) ---
CONSOLE_TOKEN_BYTES: Final = 32  # 256 random bits per session token and per CSRF token
# A session's last use is written at most this often (a write per page would cost the writer
# for nothing); so a session may outlive its idle timeout by up to this much.
CONSOLE_TOUCH_SECONDS: Final = 30.0
CONSOLE_PAGE_ROWS: Final = 50  # rows per page of the console's lists (cursor pagination)
# The overview's counts of today's messages scan today's rows (~0.3 s for 100,000 on SQLite,
# bench/console.py) and every open overview asks every 2 s. An answer that took t seconds is
# reused for FACTOR * t (at most MAX), so open consoles keep the database busy ~1/FACTOR of
# the time at most, and a small database's figures stay live.
CONSOLE_OVERVIEW_REUSE_FACTOR: Final = 10.0
CONSOLE_OVERVIEW_REUSE_MAX_SECONDS: Final = 30.0
CONSOLE_OVERVIEW_CACHED_SCOPES: Final = 1000  # (day, realm) answers kept; bounds memory
CONSOLE_IMPORT_JOBS_KEPT: Final = 100  # finished opt-out imports whose result can be shown
CONSOLE_IMPORT_BAD_ROWS_SHOWN: Final = 20  # bad rows named on an import's page (all counted)
# A new webhook endpoint's secret waits this long (its id in console_reveals) for the page that
# shows it once, the one its add redirects to (services/console_webhooks.py).
CONSOLE_SECRET_KEPT_SECONDS: Final = 300.0

# --- JSON API (/v1) ---
# Texts up to 1,600 characters go out as concatenated parts (api_web keeps WhatCounts' 160):
# ten full GSM parts, the length the larger aggregators accept without a contract of their own.
MAX_V1_MESSAGE_CHARS: Final = 1600
MAX_CLIENT_REF_CHARS: Final = 64  # the `messages.client_ref` column
MAX_IDEMPOTENCY_KEY_CHARS: Final = 255  # the `idempotency_keys.key` column
# A retry with the same Idempotency-Key returns the first answer for at least this long: a day
# covers any client's retry schedule (Stripe keeps keys 24 h too).
IDEMPOTENCY_TTL_SECONDS: Final = 24 * 3600
# SMPP validity_period: from a minute (less is not worth queueing) to the 7 days SMSCs keep at most.
MIN_VALIDITY_SECONDS: Final = 60
MAX_VALIDITY_SECONDS: Final = 7 * 24 * 3600
V1_PAGE_DEFAULT: Final = 50  # rows per page of GET /v1/messages, /v1/inbound, /v1/optouts ...
V1_PAGE_MAX: Final = 500  # ... and at most this many
# A /v1 body: 1,600 characters written as JSON \u escapes (6 bytes each, 12 for an emoji's
# surrogate pair) plus the other fields stay under 32 KiB; more is refused unread (413).
V1_MAX_BODY_BYTES: Final = 32 * 1024
REALM_NAME_MAX_CHARS: Final = 64  # the `realms.name` column
CONNECTION_NAME_MAX_CHARS: Final = 64  # the `sender_codes.connection` column
