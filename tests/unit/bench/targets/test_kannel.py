"""The generated kannel.conf: access logs on by default, like smsgate's."""

from pathlib import Path

from bench.harness.options import Options
from bench.harness.targets.kannel import KannelTarget


def _config(opts: Options) -> str:
    target = KannelTarget(opts)
    target.admin_port, target.port = 13000, 13013
    return target.config(Path("/w"), sink_port=2775, smsbox_port=13001)


def _group(conf: str, name: str) -> str:
    (group,) = [g for g in conf.split("\n\n") if g.startswith(f"group = {name}\n")]
    return group


def test_bearerbox_and_smsbox_write_access_logs_by_default() -> None:
    conf = _config(Options())
    assert 'access-log = "/w/bearerbox-access.log"' in _group(conf, "core").splitlines()
    assert 'access-log = "/w/smsbox-access.log"' in _group(conf, "smsbox").splitlines()


def test_no_access_log_leaves_both_out() -> None:
    assert "access-log" not in _config(Options(access_log=False))


def test_one_smsc_group_per_bind_with_the_window() -> None:
    conf = _config(Options(binds=2, window=64))
    smscs = [g for g in conf.split("\n\n") if g.startswith("group = smsc\n")]
    assert len(smscs) == 2
    assert all("max-pending-submits = 64" in g and "port = 2775" in g for g in smscs)


def test_the_store_is_an_option() -> None:
    assert 'store-type = file\nstore-location = "/w/kannel.store"' in _config(Options())
    assert "store-type" not in _config(Options(kannel_store="none"))
