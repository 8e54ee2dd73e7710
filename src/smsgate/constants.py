"""Every fixed limit of the gateway in one place, each with the reason for its value.

Tunables that an operator may want to change live in `settings.py`; these are the limits that
come from the WhatCounts contract, the SMS standards or the SMPP 3.4 specification.
"""

from typing import Final

# --- WhatCounts api_web contract (shared/reference/whatcounts-send-message-to-phone.txt) ---
SUPPORTED_COMMAND: Final = "smssendmessagetophone"  # the only command this gateway serves
MAX_MESSAGE_CHARS: Final = 160  # "limited to 160 characters" (Unicode code points)
MAX_PHONE_DIGITS: Final = 15  # E.164 allows at most 15 digits including the country code
SUCCESS_REPLY: Final = "SUCCESS: Sending message to phone was successful"
# A valid request is under 3 KiB (160 four-byte characters percent-encoded are 1,920 bytes).
# Over these limits a request is answered `FAILURE: Request too large` and not kept in memory.
MAX_REQUEST_HEAD_BYTES: Final = 16 * 1024  # request line and headers (Node.js's default too)
MAX_REQUEST_BODY_BYTES: Final = 16 * 1024  # a POST form body

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
# The database driver thread hands each result back through the GIL; Python's default 5 ms
# switch interval would make every statement wait that long while the event loop is busy.
GIL_SWITCH_INTERVAL: Final = 0.0002

# --- API worker processes (serve --api-workers; workers/) ---
WORKER_LISTEN_BACKLOG: Final = 2048  # pending connections on the port the workers share
WORKER_MAX_FRAME_BYTES: Final = 16 * 1024 * 1024  # one frame carries one loop turn of requests
WORKER_RESTART_DELAY_SECONDS: Final = 1.0  # a worker that died is started again after this
WORKER_STOP_TIMEOUT_SECONDS: Final = 30.0  # SIGTERM, then this long to finish, then SIGKILL
