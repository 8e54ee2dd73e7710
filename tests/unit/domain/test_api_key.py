"""The API key format and its hash check."""

import base64
import secrets

from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.api_key import (
    ApiKey,
    display_prefix,
    format_key,
    hash_key,
    key_id_of,
    matches,
)

KEY_ID = "0123456789ab"
SECRET = secrets.token_urlsafe(32)


def test_a_formatted_key_parses_back_to_its_id() -> None:
    key = format_key(KEY_ID, SECRET)
    assert key == f"sg_{KEY_ID}_{SECRET}"
    assert key_id_of(key) == KEY_ID


@given(st.binary(min_size=32, max_size=32))
def test_every_secret_of_32_bytes_makes_a_key(raw: bytes) -> None:
    # token_urlsafe(32) is the unpadded URL-safe base64 of 32 bytes: "_" and "-" included
    secret = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert key_id_of(format_key(KEY_ID, secret)) == KEY_ID


def test_anything_else_is_not_a_key() -> None:
    good = format_key(KEY_ID, SECRET)
    for bad in (
        "",
        "sg_",
        good[:-1],  # secret too short
        good + "A",  # too long
        good.replace("sg_", "SG_"),
        good.replace(KEY_ID, KEY_ID.upper()),  # ids are lower-case hex
        good.replace(KEY_ID, KEY_ID[:-1]),
        f"sg_{KEY_ID}_{SECRET[:-1]}!",
        " " + good,
        "Bearer " + good,
    ):
        assert key_id_of(bad) is None, bad


def test_hash_matches_only_its_own_key() -> None:
    key = format_key(KEY_ID, SECRET)
    stored = hash_key(key)
    assert len(stored) == 64 and SECRET not in stored
    assert matches(key, stored)
    assert not matches(format_key(KEY_ID, secrets.token_urlsafe(32)), stored)
    assert not matches(format_key("ba9876543210", SECRET), stored)  # the id is hashed too


def test_display_prefix_keeps_the_secret_back() -> None:
    key = format_key(KEY_ID, SECRET)
    assert display_prefix(key) == f"sg_{KEY_ID}_{SECRET[:4]}"


def test_repr_leaves_the_hash_out() -> None:
    key = ApiKey(id=KEY_ID, realm_id=1, name="ci", key_hash="f" * 64, prefix="sg_x", created_at=0.0)
    assert "f" * 64 not in repr(key)
