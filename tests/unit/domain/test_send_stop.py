"""The rules of `smsstopsubscribersend`: the command, the phone and sender code checks (those
of `smssendmessagetophone`, in the same order) and the reply line."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain import send
from smsgate.domain.model import SenderCode
from smsgate.domain.phone import PHONE_NOT_DIGITS, PHONE_REQUIRED, PHONE_TOO_LONG
from smsgate.domain.send import SendArgs, ValidStop, validate, validate_stop

REALM_ID = 7
SENDER = SenderCode(realm_id=REALM_ID, code="55501", connection=None, max_tps=None)
OTHER_REALMS_SENDER = SenderCode(realm_id=8, code="55502", connection=None, max_tps=None)
STOP = SendArgs(
    command="smsstopsubscribersend",
    realm="acme",
    password="pw",
    phone=" 12065551212 ",
    sender_code="55501",
)


def test_good_stop_is_valid_and_ignores_the_text() -> None:
    assert validate_stop(STOP, REALM_ID, SENDER) == ValidStop(phone="12065551212", sender=SENDER)
    with_text = replace(STOP, message_text="\x00 not checked")
    assert validate_stop(with_text, REALM_ID, SENDER) == ValidStop("12065551212", SENDER)


@pytest.mark.parametrize(
    ("change", "sender", "reason"),
    [
        ({"phone": None}, SENDER, PHONE_REQUIRED),
        ({"phone": "  "}, SENDER, PHONE_REQUIRED),
        ({"phone": "206-555-1212"}, SENDER, PHONE_NOT_DIGITS),
        ({"phone": "1" * 16}, SENDER, PHONE_TOO_LONG),
        ({"sender_code": None}, None, send.SENDER_REQUIRED),
        ({"sender_code": " "}, None, send.SENDER_REQUIRED),
        ({"sender_code": "99999"}, None, "Sender code 99999 not found in realm"),
        ({"sender_code": "55502"}, OTHER_REALMS_SENDER, "Sender code 55502 not found in realm"),
        ({"phone": "x", "sender_code": None}, None, PHONE_NOT_DIGITS),  # phone first
    ],
)
def test_each_failure_row(
    change: dict[str, str | None], sender: SenderCode | None, reason: str
) -> None:
    assert validate_stop(replace(STOP, **change), REALM_ID, sender) == reason  # type: ignore[arg-type]


@given(
    phone=st.one_of(st.none(), st.text(max_size=20)),
    code=st.one_of(st.none(), st.sampled_from(["", " ", "55501", "55502", "99999"])),
)
def test_stop_and_send_check_phone_and_sender_code_alike(
    phone: str | None, code: str | None
) -> None:
    """Whatever the phone and sender code, a stop fails exactly where a send with a good text
    fails, with the same reason."""
    sender = {"55501": SENDER, "55502": OTHER_REALMS_SENDER}.get((code or "").strip())
    stop = replace(STOP, phone=phone, sender_code=code)
    sending = replace(stop, command="smssendmessagetophone", message_text="hello")
    stopped = validate_stop(stop, REALM_ID, sender)
    sent = validate(sending, REALM_ID, sender)
    if isinstance(sent, str):
        assert stopped == sent
    else:
        assert stopped == ValidStop(phone=sent.phone, sender=sent.sender)


@pytest.mark.parametrize(
    "command", ["smsstopsubscribersend", "SMSStopSubscriberSend", " smsstopsubscribersend\t"]
)
def test_stop_command_in_any_case(command: str) -> None:
    assert send.is_stop(command)
    assert not send.is_supported(command)


@pytest.mark.parametrize("command", [None, "", "smssendmessagetophone", "smsstopsubscriber"])
def test_other_commands_are_not_stops(command: str | None) -> None:
    assert not send.is_stop(command)


def test_stop_success_line() -> None:
    assert send.stop_success() == "SUCCESS: Stopping message to phone was successful"
