"""The TOML connection file: every problem is one `ConfigError` line naming the key, and
`smsgate serve` prints that line and exits non-zero, without a traceback."""

import subprocess
from pathlib import Path

import pytest

from smsgate.config import ConfigError, GatewayConfig, load_config
from tests.e2e.support import SMSGATE, clean_env

GOOD = """
[[smpp]]
name = "carrier"
host = "127.0.0.1"
port = 2775
system_id = "smsgate"
password = "pw"
"""

BAD = {
    "bad-toml": ("[[smpp]\nname = 'x'\n", "not valid TOML"),
    "unknown-key": (GOOD + "colour = 'blue'\n", "smpp[0].colour"),
    "bad-port": (GOOD.replace("2775", "70000"), "smpp[0].port"),
    "second-connection-bad": (
        GOOD + GOOD.replace("carrier", "b").replace("2775", "0"),
        "smpp[1].port",
    ),
    "long-password": (GOOD.replace('"pw"', '"much-too-long"'), "smpp[0].password"),
    "duplicate-name": (GOOD + GOOD, "duplicate connection name carrier"),
    "top-level-typo": (GOOD + "[routing]\nx = 1\n", "routing"),
}


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "smsgate.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD + "window = 7\nmax_tps = 2.5\n"))
    assert isinstance(config, GatewayConfig)
    [connection] = config.smpp
    assert (connection.name, connection.port, connection.window, connection.max_tps) == (
        "carrier",
        2775,
        7,
        2.5,
    )
    assert config.default_connection == "carrier"


@pytest.mark.parametrize(("content", "names"), list(BAD.values()), ids=list(BAD))
def test_a_bad_file_is_one_line_naming_the_key(tmp_path: Path, content: str, names: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert names in message


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize("case", ["bad-port", "unknown-key"])
def test_serve_with_a_bad_file_exits_with_one_line(tmp_path: Path, case: str) -> None:
    path = write(tmp_path, BAD[case][0])
    done = subprocess.run(
        [str(SMSGATE), "serve", "--port", "1"],  # never reached: the config is read first
        env=clean_env(tmp_path / "data", SMSGATE_CONFIG=str(path)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(path) in lines[0] and BAD[case][1] in lines[0]
