"""A fast SMSC sink for benchmarks: accepts binds, answers every submit_sm, counts.

    python -m bench.sink --port 0 --stats /tmp/sink.json [--receipts] [--receipt-delay 0.05]

Hand-rolled minimal SMPP 3.4 (struct only, no PDU objects), asyncio + uvloop, loopback only.

* bind_transmitter / bind_transceiver / bind_receiver -> *_resp (any credentials);
  enquire_link -> enquire_link_resp; unbind -> unbind_resp, then close;
* submit_sm -> submit_sm_resp ESME_ROK with an incrementing hex message id, and with
  `--receipts`, when the submit_sm asked for one (registered_delivery bit 0) and the session
  can receive, a deliver_sm receipt (esm_class 4, receipted_message_id and message_state TLVs,
  text `id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD
  err:000 text:`), after `--receipt-delay` seconds (0: in the same write as the response);
* counts submit_sm, distinct destination numbers, submits per second, and records the
  time.monotonic() of the first and last submit_sm (CLOCK_MONOTONIC: comparable with other
  processes on the same machine).

The first line on stdout is `listening <port>`. The counters are written as one JSON object to
the `--stats` file (atomically, write + rename) every 0.2 s and on exit (SIGTERM/SIGINT).
SIGUSR1 resets every counter and bumps `generation` (used after a warm-up).
"""

import argparse
import asyncio
import contextlib
import json
import os
import signal
import struct
import sys
import time
from typing import Any

HEADER = struct.Struct(">IIII")
BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER = 0x01, 0x02, 0x09
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x04, 0x05, 0x06, 0x15
RESP = 0x80000000
GENERIC_NACK = 0x80000000
ESME_RINVCMDID = 0x03
ESME_RINVMSGLEN = 0x01
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
MAX_PDU = 65536


class Stats:
    """Everything the sink counts; `reset()` on SIGUSR1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.generation = 0
        self.next_id = 0  # never reset: message ids stay unique over the sink's life
        self.connections = 0  # currently open
        self.binds = 0  # not reset: binds happen before a warm-up
        self.reset()

    def reset(self) -> None:
        self.generation += 1
        self.submits = 0
        self.destinations: set[bytes] = set()
        self.first_submit: float | None = None
        self.last_submit: float | None = None
        self.per_second: dict[int, int] = {}
        self.deliver_sm_sent = 0
        self.deliver_sm_resp = 0
        self.deliver_sm_resp_errors = 0
        self.submit_errors = 0
        self.enquire_links = 0
        self.unbinds = 0
        self.other_commands = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "port": self.port,
            "generation": self.generation,
            "connections": self.connections,
            "binds": self.binds,
            "submits": self.submits,
            "distinct_destinations": len(self.destinations),
            "first_submit": self.first_submit,
            "last_submit": self.last_submit,
            "per_second": {str(k): v for k, v in sorted(self.per_second.items())},
            "deliver_sm_sent": self.deliver_sm_sent,
            "deliver_sm_resp": self.deliver_sm_resp,
            "deliver_sm_resp_errors": self.deliver_sm_resp_errors,
            "submit_errors": self.submit_errors,
            "enquire_links": self.enquire_links,
            "unbinds": self.unbinds,
            "other_commands": self.other_commands,
            "written_at": time.monotonic(),
        }


_date_cache: tuple[int, bytes] = (0, b"")


def _receipt_date() -> bytes:
    """YYMMDDhhmm of now, computed once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, time.strftime("%y%m%d%H%M", time.localtime(now)).encode())
    return _date_cache[1]


class SinkProtocol(asyncio.Protocol):
    def __init__(self, stats: Stats, receipts: bool, receipt_delay: float) -> None:
        self.stats = stats
        self.receipts = receipts
        self.receipt_delay = receipt_delay
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.can_receive = False  # bound as receiver or transceiver
        self.seq = 0
        self.pending_receipts: list[bytes] = []
        self.receipt_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.stats.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.connections -= 1
        self.transport = None
        if self.receipt_timer is not None:
            self.receipt_timer.cancel()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        size = len(buf)
        pos = 0
        out: list[bytes] = []
        stats = self.stats
        submits = 0
        unpack = HEADER.unpack_from
        pack = HEADER.pack
        while size - pos >= 16:
            length, command, _status, seq = unpack(buf, pos)
            if length < 16 or length > MAX_PDU:
                out.append(pack(16, GENERIC_NACK, 0x02, seq))
                self.transport.write(b"".join(out))  # type: ignore[union-attr]
                self._close()
                self.buf = b""
                return
            end = pos + length
            if end > size:
                break
            if command == SUBMIT_SM:
                try:
                    p = buf.index(b"\0", pos + 16, end) + 1  # service_type
                    src_ton, src_npi = buf[p], buf[p + 1]
                    q = buf.index(b"\0", p + 2, end)  # source_addr
                    source = buf[p + 2 : q]
                    dst_ton, dst_npi = buf[q + 1], buf[q + 2]
                    r = buf.index(b"\0", q + 3, end)  # destination_addr
                    dest = buf[q + 3 : r]
                    s = buf.index(b"\0", r + 4, end)  # schedule_delivery_time
                    t = buf.index(b"\0", s + 1, end)  # validity_period
                    registered = buf[t + 1]
                except (ValueError, IndexError):
                    stats.submit_errors += 1
                    out.append(pack(16, RESP | SUBMIT_SM, ESME_RINVMSGLEN, seq))
                    pos = end
                    continue
                submits += 1
                stats.destinations.add(dest)
                stats.next_id += 1
                mid = b"%x" % stats.next_id
                out.append(pack(17 + len(mid), RESP | SUBMIT_SM, 0, seq) + mid + b"\0")
                if self.receipts and registered & 1 and self.can_receive:
                    self._receipt(mid, dest, dst_ton, dst_npi, source, src_ton, src_npi, out)
            elif command == (RESP | DELIVER_SM):
                stats.deliver_sm_resp += 1
                if _status:
                    stats.deliver_sm_resp_errors += 1
            elif command in (BIND_TRANSCEIVER, BIND_TRANSMITTER, BIND_RECEIVER):
                stats.binds += 1
                self.can_receive = command != BIND_TRANSMITTER
                out.append(pack(21, RESP | command, 0, seq) + b"sink\0")
            elif command == ENQUIRE_LINK:
                stats.enquire_links += 1
                out.append(pack(16, RESP | ENQUIRE_LINK, 0, seq))
            elif command == UNBIND:
                stats.unbinds += 1
                out.append(pack(16, RESP | UNBIND, 0, seq))
                self.transport.write(b"".join(out))  # type: ignore[union-attr]
                self._close()
                self.buf = b""
                return
            elif command & RESP:
                pass  # enquire_link_resp and the like
            else:
                stats.other_commands += 1
                out.append(pack(16, GENERIC_NACK, ESME_RINVCMDID, seq))
            pos = end
        self.buf = buf[pos:] if pos < size else b""
        if submits:
            now = time.monotonic()
            if stats.first_submit is None:
                stats.first_submit = now
            stats.last_submit = now
            stats.submits += submits
            second = int(now)
            stats.per_second[second] = stats.per_second.get(second, 0) + submits
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _receipt(
        self,
        mid: bytes,
        handset: bytes,
        handset_ton: int,
        handset_npi: int,
        sender: bytes,
        sender_ton: int,
        sender_npi: int,
        out: list[bytes],
    ) -> None:
        date = _receipt_date()
        text = b"id:%s sub:001 dlvrd:001 submit date:%s done date:%s stat:DELIVRD err:000 text:" % (
            mid,
            date,
            date,
        )
        body = b"%c%c%c%s\0%c%c%s\0%c%c%c\0\0%c%c%c%c%c%s%s%s" % (
            0,  # service_type ""
            handset_ton,
            handset_npi,
            handset,
            sender_ton,
            sender_npi,
            sender,
            4,  # esm_class: delivery receipt
            0,  # protocol_id
            0,  # priority_flag
            0,  # registered_delivery
            0,  # replace_if_present_flag
            0,  # data_coding
            0,  # sm_default_msg_id
            len(text),
            text,
            struct.pack(">HH", TLV_RECEIPTED_MESSAGE_ID, len(mid) + 1) + mid + b"\0",
            struct.pack(">HHB", TLV_MESSAGE_STATE, 1, 2),  # DELIVERED
        )
        self.seq = self.seq + 1 if self.seq < 0x7FFFFFFF else 1
        frame = HEADER.pack(16 + len(body), DELIVER_SM, 0, self.seq) + body
        self.stats.deliver_sm_sent += 1
        if self.receipt_delay <= 0:
            out.append(frame)
            return
        self.pending_receipts.append(frame)
        if self.receipt_timer is None:
            loop = asyncio.get_running_loop()
            self.receipt_timer = loop.call_later(self.receipt_delay, self._flush_receipts)

    def _flush_receipts(self) -> None:
        self.receipt_timer = None
        frames, self.pending_receipts = self.pending_receipts, []
        if frames and self.transport is not None:
            self.transport.write(b"".join(frames))


def write_stats(stats: Stats, path: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(stats.as_dict(), f)
    os.replace(tmp, path)


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats(0)
    server = await loop.create_server(
        lambda: SinkProtocol(stats, args.receipts, args.receipt_delay),
        host="127.0.0.1",
        port=args.port,
        backlog=1024,
    )
    stats.port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, stats.reset)
    if args.stats:
        write_stats(stats, args.stats)
    print(f"listening {stats.port}", flush=True)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.interval)
            if args.stats:
                write_stats(stats, args.stats)
    finally:
        server.close()
        if args.stats:
            write_stats(stats, args.stats)
        else:
            print(json.dumps(stats.as_dict()), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--stats", help="write the counters as JSON to this file")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between writes")
    parser.add_argument("--receipts", action="store_true", help="send delivery receipts")
    parser.add_argument(
        "--receipt-delay", type=float, default=0.0, help="seconds before a receipt is sent"
    )
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.run(serve(args))
    except ImportError:
        asyncio.run(serve(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
