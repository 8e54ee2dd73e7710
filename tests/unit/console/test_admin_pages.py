"""How the console's admin forms are read: a sender code's settings (console/admin_pages.py)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData

from smsgate.console.admin_pages import sender_fields
from smsgate.services.errors import InvalidInput


def test_empty_fields_are_not_given() -> None:
    fields = sender_fields(FormData({"connection": "  ", "max_tps": "", "stop_reply": " Bye "}))
    assert fields.connection is None and fields.max_tps is None
    assert fields.replies == {"stop_reply": "Bye", "start_reply": None, "help_reply": None}


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_max_tps_is_a_positive_finite_number_or_refused(rate: float) -> None:
    form = FormData({"max_tps": repr(rate)})
    if math.isfinite(rate) and rate > 0:
        assert sender_fields(form).max_tps == rate
    else:
        with pytest.raises(InvalidInput):
            sender_fields(form)


@given(st.text().filter(lambda t: t.strip() != ""))
def test_max_tps_text_is_a_number_or_refused(text: str) -> None:
    try:
        expected = float(text.strip())
    except ValueError:
        expected = None
    form = FormData({"max_tps": text})
    if expected is not None and math.isfinite(expected) and expected > 0:
        assert sender_fields(form).max_tps == expected
    else:
        with pytest.raises(InvalidInput):
            sender_fields(form)
