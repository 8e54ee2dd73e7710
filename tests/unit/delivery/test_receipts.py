"""to_receipt / is_receipt: a deliver_sm to the receipt the status writer matches."""

import pytest

from smsgate.delivery.receipts import is_receipt, to_receipt
from smsgate.domain.delivery_events import ReceiptIn
from smsgate.domain.receipt import ReceiptState
from smsgate.smpp.codes import TLV_MESSAGE_STATE, TLV_RECEIPTED_MESSAGE_ID, MessageState
from smsgate.smpp.pdu import DeliverSm

TEXT = (
    "id:2712847104 sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 "
    "stat:{stat} err:{err} text:hello"
)


def receipt(text: str = "", tlvs: tuple[tuple[int, bytes], ...] = (), **kw: int) -> DeliverSm:
    return DeliverSm(
        source_addr="12065550100",
        destination_addr="12345",
        esm_class=kw.pop("esm_class", 0x04),
        data_coding=kw.pop("data_coding", 0),
        short_message=text.encode("latin-1"),
        tlvs=tlvs,
    )


def tlv_id(value: str) -> tuple[int, bytes]:
    return (TLV_RECEIPTED_MESSAGE_ID, value.encode() + b"\0")


def tlv_state(state: int) -> tuple[int, bytes]:
    return (TLV_MESSAGE_STATE, bytes([state]))


@pytest.mark.parametrize(
    ("esm_class", "expected"),
    [(0x04, True), (0x44, True), (0x00, False), (0x40, False), (0x08, False), (0x20, False)],
)
def test_is_receipt_reads_the_message_type_bits(esm_class: int, expected: bool) -> None:
    assert is_receipt(receipt(esm_class=esm_class)) is expected


def test_from_text_only() -> None:
    pdu = receipt(TEXT.format(stat="DELIVRD", err="000"))
    assert to_receipt("c", pdu) == ReceiptIn(
        "c", "2712847104", ReceiptState.DELIVERED, "000", done_date="2401021531"
    )


def test_tlvs_win_over_the_text() -> None:
    pdu = receipt(
        TEXT.format(stat="DELIVRD", err="000"),
        (tlv_id("a1b2c300"), tlv_state(MessageState.UNDELIVERABLE)),
    )
    assert to_receipt("c", pdu) == ReceiptIn(
        "c", "a1b2c300", ReceiptState.UNDELIVERABLE, "000", done_date="2401021531"
    )


def test_tlvs_only() -> None:
    pdu = receipt("", (tlv_id(" 00A1B2 "), tlv_state(MessageState.EXPIRED)))
    assert to_receipt("c", pdu) == ReceiptIn("c", "00A1B2", ReceiptState.EXPIRED, None)


def test_state_tlv_fills_in_an_unknown_stat() -> None:
    pdu = receipt("id:77 stat:WHATEVER err:5", (tlv_state(MessageState.DELIVERED),))
    assert to_receipt("c", pdu) == ReceiptIn("c", "77", ReceiptState.DELIVERED, "5")


def test_a_malformed_state_tlv_does_not_override_the_text() -> None:
    pdu = receipt(TEXT.format(stat="UNDELIV", err="001"), ((TLV_MESSAGE_STATE, b"\x02\x00"),))
    assert to_receipt("c", pdu) == ReceiptIn(
        "c", "2712847104", ReceiptState.UNDELIVERABLE, "001", done_date="2401021531"
    )


def test_the_message_body_cannot_forge_the_state() -> None:
    pdu = receipt("id:5 stat:UNDELIV err:001 text:stat:DELIVRD id:6")
    assert to_receipt("c", pdu) == ReceiptIn("c", "5", ReceiptState.UNDELIVERABLE, "001")


def test_no_id_anywhere_is_no_receipt() -> None:
    assert to_receipt("c", receipt("stat:DELIVRD err:000")) is None
    assert to_receipt("c", receipt("", (tlv_id(""),))) is None
