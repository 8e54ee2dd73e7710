"""delivery/ holds no SQL: none of its modules imports SQLAlchemy or anything of `store`
(it reaches the store through ports that bootstrap fills in), and the services it calls
import no SQLAlchemy either."""

import ast
from pathlib import Path

import pytest

import smsgate

PACKAGE = Path(smsgate.__file__).parent


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).glob("*.py"))


@pytest.mark.parametrize("path", modules("delivery"), ids=lambda p: p.name)
def test_delivery_imports_no_sql_and_no_store(path: Path) -> None:
    bad = {
        name
        for name in imports(path)
        if name.split(".")[0] == "sqlalchemy" or name.startswith("smsgate.store")
    }
    assert not bad, f"delivery/{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", ["statuses.py", "inbound.py"])
def test_the_delivery_services_import_no_sql_and_no_store(name: str) -> None:
    found = imports(PACKAGE / "services" / name)
    assert not {n for n in found if n.split(".")[0] == "sqlalchemy"}
    assert not {n for n in found if n.startswith("smsgate.store")}
