"""Standard Webhooks signatures: the spec's known vector, and the library's verifier agrees."""

import base64
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from smsgate.domain.webhook_signing import (
    is_secret,
    new_secret,
    signature,
    signed_headers,
)

# The known vector of the Standard Webhooks reference libraries' tests.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specs_known_vector() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_new_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    for secret in (first, second):
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
        assert is_secret(secret)


def test_what_is_not_a_secret() -> None:
    for bad in ("", "whsec_", "whsec_!!!", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_YQ=="):
        assert not is_secret(bad)


@given(body=st.binary(max_size=512), event_id=st.from_regex(r"evt_[0-9A-Z]{26}", fullmatch=True))
def test_the_library_verifies_what_we_sign(body: bytes, event_id: str) -> None:
    secret = new_secret()
    now = int(time.time())
    headers = signed_headers(secret, event_id, now, body)
    assert headers["webhook-id"] == event_id
    Webhook(secret).verify(body, headers, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers, json_parse=False)
