"""A small SMSC built on the `smpp34` package's server (Rust/tokio core), used by
tests/interop/test_smpp34.py as an SMPP 3.4 peer we did not write.

    python smpp34_smsc.py [--connections N]

Listens on a free port of 127.0.0.1 and prints "LISTENING <port>" once ready; exits after N
bound sessions have ended (default 1). Same behaviour and stdout protocol as net_smpp_smsc.pl:
binds are accepted; submit_sm is answered with an incrementing decimal message id and, when
registered_delivery asks for one, followed by a receipt (esm_class 4, Appendix B text,
receipted_message_id and message_state TLVs); a GSM submit_sm whose text is "SENDSTOP" makes the
phone it was sent to answer "STOP" (a mobile-originated deliver_sm). Every event is one JSON
object per line on stdout, short_message in hex.
"""

import argparse
import asyncio
import json
import os
import socket
import sys
from typing import Any

import smpp34

ESM_CLASS_RECEIPT = 0x04
MESSAGE_STATE_DELIVERED = 2
TLV_RECEIPTED_MESSAGE_ID = 0x001E  # SMPP 3.4 section 5.3.2.12
TLV_MESSAGE_STATE = 0x0427  # SMPP 3.4 section 5.3.2.35
START_ATTEMPTS = 20  # a free port picked here may be taken before the server binds it


def emit(**fields: Any) -> None:
    print(json.dumps(fields, sort_keys=True), flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_server() -> tuple[smpp34.Server, int]:
    for attempt in range(START_ATTEMPTS):
        port = free_port()
        server = smpp34.Server(host="127.0.0.1", port=port, system_id="RUSTSMSC")
        try:
            await server.start()
        except smpp34.SmppError:
            if attempt == START_ATTEMPTS - 1:
                raise
            continue
        return server, port
    raise AssertionError("unreachable")


async def deliver(
    esme: smpp34.Esme, log: dict[str, Any], destination_addr: str, **fields: Any
) -> None:
    """Send a deliver_sm; log `log` with the status of its deliver_sm_resp."""
    resp = await esme.deliver_sm(destination_addr, **fields)
    emit(**log, status=resp.command_status)


async def main(connections: int) -> None:
    server, port = await start_server()
    print(f"LISTENING {port}", flush=True)
    sessions: dict[str, smpp34.Esme] = {}
    tasks: set[asyncio.Task[None]] = set()
    next_id = 1000001
    ended = 0
    try:
        while ended < connections:
            ev = await server.next()
            if isinstance(ev, smpp34.Esme):
                sessions[ev.session_id] = ev
                emit(event="bind", system_id=ev.system_id, can_receive=ev.can_receive)
            elif isinstance(ev, smpp34.SubmitSmEvent):
                message_id = str(next_id)
                next_id += 1
                emit(
                    event="submit_sm",
                    message_id=message_id,
                    source_addr_ton=ev.source_addr_ton,
                    source_addr_npi=ev.source_addr_npi,
                    source_addr=ev.source_addr,
                    dest_addr_ton=ev.dest_addr_ton,
                    dest_addr_npi=ev.dest_addr_npi,
                    destination_addr=ev.destination_addr,
                    esm_class=ev.esm_class,
                    registered_delivery=ev.registered_delivery,
                    data_coding=ev.data_coding,
                    short_message=ev.short_message.hex(),
                )
                ev.accept(message_id)
                esme = sessions[ev.session_id]
                jobs = []
                if ev.registered_delivery & 0x03:
                    text = (
                        f"id:{message_id} sub:001 dlvrd:001 submit date:2411241200 "
                        "done date:2411241200 stat:DELIVRD err:000 text:"
                    )
                    jobs.append(
                        deliver(
                            esme,
                            {"event": "receipt_acked", "message_id": message_id},
                            ev.source_addr,
                            short_message=text.encode("ascii"),
                            source_addr=ev.destination_addr,
                            source_addr_ton=ev.dest_addr_ton,
                            source_addr_npi=ev.dest_addr_npi,
                            dest_addr_ton=ev.source_addr_ton,
                            dest_addr_npi=ev.source_addr_npi,
                            esm_class=ESM_CLASS_RECEIPT,
                            tlvs=[
                                smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode() + b"\0"),
                                smpp34.Tlv(TLV_MESSAGE_STATE, bytes([MESSAGE_STATE_DELIVERED])),
                            ],
                        )
                    )
                if ev.data_coding == 0 and ev.short_message == b"SENDSTOP":
                    jobs.append(
                        deliver(
                            esme,
                            {"event": "mo_acked"},
                            ev.source_addr,
                            short_message=b"STOP",
                            source_addr=ev.destination_addr,
                            source_addr_ton=1,
                            source_addr_npi=1,
                            dest_addr_ton=ev.source_addr_ton,
                            dest_addr_npi=ev.source_addr_npi,
                        )
                    )
                for job in jobs:
                    task = asyncio.create_task(job)
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            elif isinstance(ev, smpp34.Unbound):
                sessions.pop(ev.session_id, None)
                emit(event="unbound")
                ended += 1
    finally:
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=1)
    asyncio.run(main(parser.parse_args().connections))
    # smpp34 1.5.0's tokio threads may call into Python while the interpreter finalizes: about
    # one exit in fifteen ends in SIGSEGV or "PyGILState_Release: thread state ... must be
    # current" (SIGABRT). Skip the finalization; everything worth keeping is flushed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
