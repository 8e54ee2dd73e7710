"""`bench.callgrind --receipts`: the gateway asks for receipts, the sink sends them, and the
dump waits for every receipt's deliver_sm_resp."""

import json
from pathlib import Path

import pytest
from bench import callgrind
from bench.harness.processes import BenchError
from bench.harness.targets.sink import Sink

from smsgate.config import load_config


def test_receipts_is_an_option_off_by_default() -> None:
    assert callgrind.parser().parse_args([]).receipts is False
    assert callgrind.parser().parse_args(["--receipts"]).receipts is True


@pytest.mark.parametrize("receipts", [False, True])
def test_the_config_asks_for_receipts_with_the_option(tmp_path: Path, receipts: bool) -> None:
    path = tmp_path / "smsgate.toml"
    path.write_text(callgrind.config(4321, receipts))
    (connection,) = load_config(path).smpp
    assert (connection.port, connection.default) == (4321, True)
    assert connection.request_receipts is True  # without the option: the gateway's default
    assert ("request_receipts" in path.read_text()) is receipts


def _sink(tmp_path: Path, **stats: int) -> Sink:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps(stats))
    return Sink(proc=None, port=0, stats_path=path)  # type: ignore[arg-type]


def test_with_receipts_a_message_is_done_once_its_receipt_is_answered(tmp_path: Path) -> None:
    sink = _sink(tmp_path, submits=10, deliver_sm_resp=7)
    assert callgrind._processed(sink, receipts=True) == 7
    assert callgrind._processed(sink, receipts=False) == 10
    sink = _sink(tmp_path, submits=10, deliver_sm_resp=12)  # resent receipts answered again
    assert callgrind._processed(sink, receipts=True) == 10


def test_unreadable_stats_are_not_done(tmp_path: Path) -> None:
    sink = Sink(proc=None, port=0, stats_path=tmp_path / "missing.json")  # type: ignore[arg-type]
    assert callgrind._processed(sink, receipts=True) == -1


@pytest.mark.parametrize("receipts", [False, True])
def test_measure_starts_the_sink_sending_receipts_with_the_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, receipts: bool
) -> None:
    asked: list[bool] = []

    def start(procs: object, workdir: Path, receipts: bool) -> Sink:
        asked.append(receipts)
        raise BenchError("stop here")

    monkeypatch.setattr(callgrind.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(Sink, "start", start)
    monkeypatch.setattr(callgrind.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    with pytest.raises(BenchError, match="stop here"):
        callgrind.measure(1, 0, None, keep=False, receipts=receipts)
    assert asked == [receipts]
