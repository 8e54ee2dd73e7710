"""smsgate as the benchmark starts it: by default exactly what `scripts/run` starts."""

import shlex
import sys
import types
from pathlib import Path

import pytest
from bench.harness import REPO
from bench.harness.options import Options
from bench.harness.targets import smsgate as smsgate_target
from bench.harness.targets.smsgate import SmsgateTarget


def _scripts_run_command() -> list[str]:
    """The command `scripts/run` execs, without its arguments ("$@")."""
    (line,) = [
        x for x in (REPO / "scripts" / "run").read_text().splitlines() if x.startswith("exec ")
    ]
    words = shlex.split(line)[1:]
    assert words[-1] == "$@"
    return [Path(words[0]).name, *words[1:-1]]


def test_the_default_is_what_scripts_run_starts() -> None:
    assert _scripts_run_command() == ["smsgate", "serve"]
    (name_and_command,) = SmsgateTarget(Options()).commands("smsgate")
    assert name_and_command == ("smsgate", _scripts_run_command())


def test_the_default_environment_sets_only_where_things_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSGATE_ACCESS_LOG", "false")  # the caller's: not passed on
    monkeypatch.setenv("SMSGATE_LOG_LEVEL", "warning")
    target = SmsgateTarget(Options())
    target.port = 8123
    env = target.environment(tmp_path, tmp_path / "smsgate.toml")
    assert {k: v for k, v in env.items() if k.startswith("SMSGATE_")} == {
        "SMSGATE_DATA_DIR": str(tmp_path / "data"),
        "SMSGATE_CONFIG": str(tmp_path / "smsgate.toml"),
        "SMSGATE_HOST": "127.0.0.1",
        "SMSGATE_PORT": "8123",
    }


@pytest.mark.parametrize(
    ("opts", "commands"),
    [
        (Options(access_log=False), [["serve", "--no-access-log"]]),
        (Options(serve_api_workers=2), [["serve", "--api-workers", "2"]]),
        (Options(serve_api_workers=0), [["serve", "--api-workers", "0"]]),  # one process
        (
            Options(api_workers=2, access_log=False, database_url="postgresql://h/x"),
            [["serve", "--no-access-log", "--no-dispatch", "--workers", "2"], ["dispatch"]],
        ),
    ],
)
def test_the_tuned_setups(opts: Options, commands: list[list[str]]) -> None:
    started = SmsgateTarget(opts).commands("smsgate")
    assert [cmd[1:] for _, cmd in started] == commands


def test_the_config_points_one_transceiver_at_the_sink() -> None:
    toml = SmsgateTarget(Options(binds=2, window=100, receipts=True)).config(2775)
    assert "port = 2775\n" in toml
    assert 'bind = "transceiver"\nbinds = 2\nwindow = 100\nrequest_receipts = true\n' in toml


def test_describe_says_what_ran() -> None:
    config = SmsgateTarget(Options(serve_api_workers=1, access_log=False)).describe()
    assert config["topology"] == "serve --api-workers 1"
    assert config["access_log"] is False


def test_an_older_tree_without_the_default_topology_is_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`bench.ab` runs trees from before `default_api_workers`: their `serve` is one process."""
    monkeypatch.setitem(sys.modules, "smsgate.cli.serve", types.ModuleType("smsgate.cli.serve"))
    assert smsgate_target._default_api_workers() == 0
    title = SmsgateTarget(Options()).describe()["topology"]
    assert title == "serve (defaults: --api-workers 0)"
