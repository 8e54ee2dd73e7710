"""An ESME built on the `smpp34` package's client, used by tests/interop/test_smpp34.py to check
OUR SMSC side (smsgate.smpp.simulator) against an SMPP stack we did not write.

    python smpp34_esme.py PORT

Binds as a transceiver to 127.0.0.1:PORT (system_id "esme1", password "pw"), submits one GSM
and one UCS-2 message with receipts requested, then logs every deliver_sm it receives until the
first one that is not a receipt (the test injects that MO), unbinds and exits. Every event is
one JSON object per line on stdout, byte strings in hex.
"""

import asyncio
import json
import os
import sys
from typing import Any

import smpp34

ESM_CLASS_RECEIPT = 0x04
SOURCE = "12345"
PHONE = "12065550100"
GSM_TEXT = b"Hello from smpp34"
UCS2_TEXT = "Привет 👋".encode("utf-16-be")


def emit(**fields: Any) -> None:
    print(json.dumps(fields, sort_keys=True), flush=True)


async def main(port: int) -> None:
    client = smpp34.Client("127.0.0.1", port, "esme1", "pw", bind_type="TRX")
    smsc = await client.connect()
    try:
        emit(event="bound", system_id=smsc.system_id)
        for data_coding, text in ((0, GSM_TEXT), (8, UCS2_TEXT)):
            resp = await smsc.submit_sm(
                PHONE,
                text,
                source_addr=SOURCE,
                source_addr_ton=3,
                dest_addr_ton=1,
                dest_addr_npi=1,
                registered_delivery=1,
                data_coding=data_coding,
            )
            emit(event="submit_sm_resp", message_id=resp.message_id, status=resp.command_status)
        while True:
            ev = await smsc.next()
            if not isinstance(ev, smpp34.DeliverSmEvent):
                emit(event="disconnected")
                return
            emit(
                event="deliver_sm",
                source_addr=ev.source_addr,
                destination_addr=ev.destination_addr,
                esm_class=ev.esm_class,
                data_coding=ev.data_coding,
                short_message=ev.short_message.hex(),
                tlvs={f"0x{t.tag:04x}": t.value.hex() for t in ev.tlvs},
            )
            if not ev.esm_class & ESM_CLASS_RECEIPT:
                break
        await smsc.unbind()
        emit(event="unbound")
    finally:
        await client.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
    # See smpp34_smsc.py: smpp34 1.5.0 may crash the interpreter while it finalizes.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
