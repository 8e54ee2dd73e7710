"""The /v1 send rules: which refusal a request gets, and what an Idempotency-Key binds to."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.submission import (
    SendRequest,
    check_send,
    idempotency_key_refusal,
    phone_refusal,
    request_hash,
)

requests = st.builds(
    SendRequest,
    to=st.text(max_size=16),
    sender_code=st.text(max_size=8),
    text=st.text(max_size=40),
    client_ref=st.none() | st.text(max_size=8),
    validity_seconds=st.none() | st.integers(0, 10**6),
)


@given(requests)
def test_the_hash_is_of_the_fields(request: SendRequest) -> None:
    assert request_hash(request) == request_hash(dataclasses.replace(request))
    assert len(request_hash(request)) == 64


@given(requests, st.sampled_from(["to", "sender_code", "text", "client_ref"]), st.text(max_size=8))
def test_any_changed_field_changes_the_hash(request: SendRequest, field: str, value: str) -> None:
    changed = dataclasses.replace(request, **{field: value})
    assert (request_hash(changed) == request_hash(request)) == (changed == request)


def test_a_good_request_passes_and_the_first_broken_rule_wins() -> None:
    good = SendRequest("+12065551212", "55501", "hi", "ref", 3600)
    assert check_send(good) is None
    both = dataclasses.replace(good, to="x", text="")
    refusal = check_send(both)
    assert refusal is not None and refusal.code == "invalid_phone"


@pytest.mark.parametrize("phone", ["12065551212", "+12065551212", " 2065551212 "])
def test_phones_as_people_write_them(phone: str) -> None:
    assert phone_refusal(phone) is None


@pytest.mark.parametrize("phone", ["", "+", "206-555", "1" * 16, "++1206"])
def test_phones_refused(phone: str) -> None:
    refusal = phone_refusal(phone)
    assert refusal is not None and refusal.code == "invalid_phone"


def test_idempotency_keys() -> None:
    assert idempotency_key_refusal("order-1001:retry") is None
    for bad in ("", "\u00e9", "a\nb", "k" * 256):
        assert idempotency_key_refusal(bad) is not None
