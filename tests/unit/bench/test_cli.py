"""The options of `bench.run` and `bench.kannel`: defaults, presets and refusals."""

import pytest
from bench import kannel, run
from bench.harness.cli import parse
from bench.harness.options import SMOKE_REQUESTS, Options


def test_no_arguments_give_the_default_options() -> None:
    _, opts = parse(run.parser(), [])
    assert opts == Options()
    assert opts.access_log is True  # smsgate as scripts/run starts it
    assert (opts.serve_api_workers, opts.api_workers) == (None, 0)


def test_the_tuned_setups_are_options() -> None:
    _, opts = parse(run.parser(), ["--no-access-log", "--serve-api-workers", "2"])
    assert (opts.access_log, opts.serve_api_workers) == (False, 2)
    url = "postgresql+asyncpg://postgres@127.0.0.1/x"
    _, opts = parse(run.parser(), ["--database-url", url, "--api-workers", "2"])
    assert (opts.database_url, opts.api_workers) == (url, 2)


def test_smoke_is_one_short_count_bounded_run() -> None:
    args, opts = parse(run.parser(), ["--smoke", "--runs", "5", "--json", "x.json"])
    assert (opts.runs, opts.requests, opts.warmup, opts.connections) == (1, SMOKE_REQUESTS, 0, 4)
    assert opts.drain_timeout == 15.0
    assert str(args.json) == "x.json"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--api-workers", "2"], "--api-workers needs --database-url postgresql"),
        (["--serve-api-workers", "-1"], "must not be negative"),
        (
            [
                "--database-url",
                "postgresql://x/y",
                "--api-workers",
                "2",
                "--serve-api-workers",
                "1",
            ],
            "use either --api-workers or --serve-api-workers",
        ),
    ],
)
def test_a_topology_that_cannot_run_is_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(run.parser(), argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_kannel_takes_the_same_options_and_its_own() -> None:
    args, opts = parse(
        kannel.parser(), ["--kannel-store", "spool", "--no-smsgate", "--no-access-log"]
    )
    assert (opts.kannel_store, opts.access_log, args.smsgate) == ("spool", False, False)
    assert not hasattr(args, "api_workers")


def test_count_bounded_runs_split_the_messages_over_the_wrk_threads() -> None:
    assert Options(requests=10, threads=3).per_thread == 4
    assert Options(requests=0, threads=3).per_thread == 0
    assert Options(threads=8, connections=2).wrk_threads == 2
