"""Receipts built by the simulator look like real SMSC receipts."""

import re

from smsgate.smpp.pdu import (
    TLV_MESSAGE_STATE,
    TLV_RECEIPTED_MESSAGE_ID,
    MessageState,
    SubmitSm,
    get_tlv,
)
from smsgate.smpp.receipt_builder import make_receipt

RECEIPT = re.compile(
    rb"id:(\d+) sub:001 dlvrd:(\d{3}) submit date:(\d{10}) done date:(\d{10}) "
    rb"stat:([A-Z]{7}) err:(\d{3}) text:(.*)",
    re.DOTALL,
)


def test_receipt_format_addresses_and_tlvs() -> None:
    submit = SubmitSm(
        source_addr="ACME",
        source_addr_ton=5,
        destination_addr="15551234567",
        dest_addr_ton=1,
        short_message=b"Hello there, this is longer than twenty",
    )
    receipt = make_receipt(submit, text_id="2712847104", tlv_id="a1b2c300")
    match = RECEIPT.fullmatch(receipt.short_message)
    assert match is not None
    assert match.group(1) == b"2712847104"
    assert match.group(2) == b"001" and match.group(5) == b"DELIVRD"
    assert match.group(7) == b"Hello there, this is"
    assert receipt.esm_class == 0x04
    assert (receipt.source_addr, receipt.source_addr_ton) == ("15551234567", 1)
    assert (receipt.destination_addr, receipt.dest_addr_ton) == ("ACME", 5)
    assert get_tlv(receipt.tlvs, TLV_RECEIPTED_MESSAGE_ID) == b"a1b2c300\x00"
    assert get_tlv(receipt.tlvs, TLV_MESSAGE_STATE) == bytes([MessageState.DELIVERED])


def test_failure_receipt_state() -> None:
    receipt = make_receipt(SubmitSm(), text_id="1", tlv_id="1", stat="UNDELIV", err="012")
    assert (
        b"dlvrd:000" in receipt.short_message and b"stat:UNDELIV err:012" in receipt.short_message
    )
    assert get_tlv(receipt.tlvs, TLV_MESSAGE_STATE) == bytes([MessageState.UNDELIVERABLE])


def test_excerpt_skips_udh_and_reads_ucs2() -> None:
    udh = b"\x05\x00\x03\x2a\x02\x01"
    concat = SubmitSm(esm_class=0x40, short_message=udh + b"part one")
    assert make_receipt(concat, text_id="1", tlv_id="1").short_message.endswith(b"text:part one")
    ucs2 = SubmitSm(data_coding=8, short_message="Grüße €".encode("utf-16-be"))
    assert make_receipt(ucs2, text_id="1", tlv_id="1").short_message.endswith(b"text:Gr??e ?")
    binary = SubmitSm(short_message=b"\x00\x01ab")
    assert make_receipt(binary, text_id="1", tlv_id="1").short_message.endswith(b"text:??ab")
