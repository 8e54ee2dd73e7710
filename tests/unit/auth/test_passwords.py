"""argon2id hashing, verification, rehash detection and password generation."""

import re

import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY

from smsgate.auth.passwords import (
    DEFAULT_HASHER,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from tests.unit.auth.support import cheap_hasher

PASSWORD = "correct horse battery staple"


def test_hash_is_argon2id_and_hides_the_password() -> None:
    encoded = hash_password(PASSWORD, hasher=cheap_hasher())
    assert encoded.startswith("$argon2id$v=19$")
    assert encoded != PASSWORD
    assert PASSWORD not in encoded


def test_hashes_are_salted() -> None:
    hasher = cheap_hasher()
    assert hash_password(PASSWORD, hasher=hasher) != hash_password(PASSWORD, hasher=hasher)


def test_default_hasher_is_the_rfc_9106_low_memory_profile() -> None:
    params = RFC_9106_LOW_MEMORY
    assert DEFAULT_HASHER.time_cost == params.time_cost == 3
    assert DEFAULT_HASHER.memory_cost == params.memory_cost == 64 * 1024
    assert DEFAULT_HASHER.parallelism == params.parallelism == 4
    assert DEFAULT_HASHER.type is params.type


def test_verify_accepts_the_right_password() -> None:
    encoded = hash_password(PASSWORD, hasher=cheap_hasher())
    assert verify_password(encoded, PASSWORD) is True


@pytest.mark.parametrize("attempt", ["", "Correct horse battery staple", PASSWORD + " ", "x"])
def test_verify_rejects_a_wrong_password(attempt: str) -> None:
    encoded = hash_password(PASSWORD, hasher=cheap_hasher())
    assert verify_password(encoded, attempt) is False


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "garbage",
        PASSWORD,
        "$argon2id$v=19$m=8,t=1,p=1$",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$!!!notbase64",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$é",
        "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
    ],
)
def test_verify_returns_false_for_a_malformed_hash(malformed: str) -> None:
    assert verify_password(malformed, PASSWORD) is False


def test_verify_rejects_a_truncated_hash() -> None:
    encoded = hash_password(PASSWORD, hasher=cheap_hasher())
    assert verify_password(encoded[:-4], PASSWORD) is False


def test_needs_rehash() -> None:
    hasher = cheap_hasher()
    cheap = hash_password(PASSWORD, hasher=hasher)
    assert needs_rehash(cheap, hasher=hasher) is False
    assert needs_rehash(cheap) is True  # default parameters are stronger
    assert needs_rehash("garbage") is True


def test_generated_passwords_are_url_safe_without_colon_and_unique() -> None:
    generated = [generate_password() for _ in range(200)]
    for password in generated:
        assert re.fullmatch(r"[A-Za-z0-9_-]{20}", password), password
        assert ":" not in password
    assert len(set(generated)) == len(generated)
