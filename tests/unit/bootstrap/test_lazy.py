"""The wiring root loads lazily: a CLI command does not import the delivery stack, the SMPP
layer or the HTTP server, and `smsgate.bootstrap`'s names still resolve on first use.
Run in a child interpreter: the test runner has imported everything already."""

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import sys
    import smsgate.cli.main  # every command registered, none run

    heavy = ("smsgate.delivery", "smsgate.smpp", "smsgate.bootstrap.gateway", "uvicorn")
    print(sorted(m for m in sys.modules if m.startswith(heavy)))
    from smsgate.bootstrap import Gateway, build
    print(Gateway.__module__, build.__module__, "smsgate.delivery.dispatcher" in sys.modules)
    """
)


def test_cli_commands_do_not_import_the_gateway_until_asked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.splitlines()
    assert before == "[]"
    assert after == "smsgate.bootstrap.gateway smsgate.bootstrap.gateway True"


def test_an_unknown_name_is_an_attribute_error() -> None:
    import smsgate.bootstrap

    with pytest.raises(AttributeError, match="nothing_here"):
        smsgate.bootstrap.nothing_here  # noqa: B018
