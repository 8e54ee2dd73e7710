"""Unit tests of `smsgate.auth`."""
