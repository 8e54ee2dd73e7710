"""The Nevers of the layering (docs/architecture.md), checked from the import graph.

Every module under src/smsgate is parsed (not imported) and every `import` in it is collected,
including imports inside functions and under `TYPE_CHECKING`: a layer that needs another one
only lazily still depends on it. A failure names the importing module, the line and the module
it imports.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "smsgate"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. smsgate.http.api_web
    line: int
    target: str  # the imported module (or module.name for `from module import name`)

    def __str__(self) -> str:
        path = self.module.replace(".", "/")
        return f"src/{path}.py:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[Import]:
    """Every import in `source`, the text of `module`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield Import(module, node.lineno, f"{base}.{alias.name}")


def _imports() -> Iterator[Import]:
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        if "migrations" in path.parts:  # Alembic scripts: run by Alembic, part of the store
            continue
        yield from imports_of(
            path.read_text(), _module_name(path), is_package=path.name == "__init__.py"
        )


IMPORTS = [i for i in _imports() if i.target.split(".")[0] == PACKAGE]


def _layer(name: str) -> str:
    """The top-level part of smsgate a module belongs to ("domain", "store", "constants")."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def _under(name: str, *layers: str) -> bool:
    return _layer(name) in layers


def _violations(
    importers: tuple[str, ...],
    allowed: set[str] | None = None,
    *,
    forbidden: set[str] | None = None,
    imports: list[Import] | None = None,
) -> list[str]:
    """The imports by modules of the `importers` layers of a layer not `allowed`, or
    `forbidden`, each as "src/...py:LINE imports TARGET"."""
    found = []
    for i in IMPORTS if imports is None else imports:
        if not i.target.startswith(f"{PACKAGE}.") or not _under(i.module, *importers):
            continue
        layer = _layer(i.target)
        if allowed is not None and layer not in allowed:
            found.append(str(i))
        if forbidden is not None and layer in forbidden:
            found.append(str(i))
    return found


def test_the_import_graph_is_read() -> None:
    """The rules below would pass vacuously on an empty graph."""
    modules = {i.module for i in IMPORTS}
    assert {"smsgate.http.api_web", "smsgate.store.accept", "smsgate.services.sending"} <= modules
    assert any(i.target.startswith("smsgate.domain.") for i in IMPORTS)


def test_domain_imports_nothing_of_smsgate_but_constants_and_record() -> None:
    assert _violations(("domain",), {"domain", "constants", "record"}) == []


def test_smpp_imports_nothing_but_smpp_constants_and_record() -> None:
    assert _violations(("smpp",), {"smpp", "constants", "record"}) == []


def test_record_imports_nothing_of_smsgate() -> None:
    """The leaf both `domain` and `smpp` use: it must not bring either into the other."""
    assert _violations(("record",), set()) == []


def test_http_console_and_cli_never_import_store_or_delivery() -> None:
    assert _violations(("http", "console", "cli"), forbidden={"store", "delivery"}) == []


# What a front door may use besides services: the pure rules and the leaf modules (settings,
# constants, metrics), and for api_web the authenticator. The commands that run servers
# (`serve`, `dispatch`) also start the HTTP server and the API workers.
LEAVES = {"domain", "constants", "settings", "config", "metrics", "runtime", "__version__"}
SERVER_COMMANDS = ("smsgate.cli.serve", "smsgate.cli.dispatch")


def test_http_imports_services_and_leaves_only() -> None:
    assert _violations(("http",), {"http", "services", "auth", *LEAVES}) == []


def test_console_imports_services_and_leaves_only() -> None:
    assert _violations(("console",), {"console", "services", *LEAVES}) == []


def test_cli_imports_services_bootstrap_and_leaves_only() -> None:
    others = [i for i in IMPORTS if i.module not in SERVER_COMMANDS]
    allowed = {"cli", "services", "bootstrap", *LEAVES}
    assert _violations(("cli",), allowed, imports=others) == []
    allowed |= {"http", "workers"}
    assert _violations(("cli",), allowed) == []


def test_http_and_console_never_import_bootstrap() -> None:
    """http and the console are wired by bootstrap; the CLI, an entry point, may use it."""
    assert _violations(("http", "console"), forbidden={"bootstrap"}) == []


def test_store_never_imports_delivery_smpp_http_cli_or_auth() -> None:
    forbidden = {"delivery", "smpp", "http", "cli", "auth", "services", "bootstrap"}
    assert _violations(("store",), forbidden=forbidden) == []


def test_services_use_ports_not_adapters() -> None:
    """Services import domain rules and define the ports they need; of the store only its
    errors (store.errors), which are part of every port's contract."""
    found = [
        str(i)
        for i in IMPORTS
        if _under(i.module, "services")
        and (
            _under(i.target, "delivery", "smpp", "http", "cli", "bootstrap", "workers")
            or (_under(i.target, "store") and not i.target.startswith("smsgate.store.errors"))
        )
    ]
    assert found == []


ENTRY_POINTS = ("smsgate.cli.", "smsgate.workers.worker", "smsgate.bootstrap")


def test_nothing_imports_bootstrap_but_the_entry_points() -> None:
    found = [
        str(i)
        for i in IMPORTS
        if _under(i.target, "bootstrap") and not i.module.startswith(ENTRY_POINTS)
    ]
    assert found == []


SAMPLE = """
import json
from smsgate.domain.model import Message

def later():
    from smsgate.store.realms import RealmStore
    from ..delivery import link
"""


def test_every_import_is_found_with_its_line_and_relative_ones_resolved() -> None:
    found = [str(i) for i in imports_of(SAMPLE, "smsgate.http.sample")]
    assert found == [
        "src/smsgate/http/sample.py:2 imports json",
        "src/smsgate/http/sample.py:3 imports smsgate.domain.model.Message",
        "src/smsgate/http/sample.py:6 imports smsgate.store.realms.RealmStore",
        "src/smsgate/http/sample.py:7 imports smsgate.delivery.link",
    ]


def test_a_violation_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = [
        i for i in imports_of(SAMPLE, "smsgate.http.sample") if i.target.startswith("smsgate")
    ]
    monkeypatch.setattr(__import__(__name__, fromlist=["IMPORTS"]), "IMPORTS", sample)
    assert _violations(("http",), forbidden={"store", "delivery"}) == [
        "src/smsgate/http/sample.py:6 imports smsgate.store.realms.RealmStore",
        "src/smsgate/http/sample.py:7 imports smsgate.delivery.link",
    ]
