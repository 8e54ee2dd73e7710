"""The default region setting, and the older default country code that still names one."""

import pytest
from pydantic import ValidationError

from smsgate.settings import Settings


def test_default_is_us(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSGATE_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("SMSGATE_DEFAULT_COUNTRY_CODE", raising=False)
    assert Settings().resolved_default_region == "US"


def test_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSGATE_DEFAULT_REGION", "GB")
    assert Settings().resolved_default_region == "GB"


def test_the_country_code_names_its_main_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSGATE_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("SMSGATE_DEFAULT_COUNTRY_CODE", "44")
    assert Settings().resolved_default_region == "GB"
    assert Settings(default_region="CA", default_country_code="1").resolved_default_region == "CA"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"default_region": "XX"}, "default_region", "not a region"),
        ({"default_region": "us"}, "default_region", "pattern"),
        ({"default_country_code": "999"}, "default_country_code", "no region has"),
        ({"default_country_code": "800"}, "default_country_code", "no region has"),
        (
            {"default_region": "GB", "default_country_code": "1"},
            "default_country_code",
            "GB has the country code 44",
        ),
    ],
)
def test_bad_values_name_the_setting(values: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**values)
    [error] = raised.value.errors()
    assert error["loc"] == (field,)
    assert message in error["msg"]


def test_the_log_format_is_text_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSGATE_LOG_FORMAT", raising=False)
    assert Settings().log_format == "text"
    monkeypatch.setenv("SMSGATE_LOG_FORMAT", "json")
    assert Settings().log_format == "json"
    monkeypatch.setenv("SMSGATE_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings()
