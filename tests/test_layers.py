"""The layering of docs/design.md, checked on the sources: nothing below the top imports http/."""

from __future__ import annotations

import ast
from pathlib import Path

import occi_server

PACKAGE = Path(occi_server.__file__).parent
# The command line starts the server: it is the one module above http/.
ENTRY_POINTS = {"cli.py"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_http_imports_http() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "http" or str(relative) in ENTRY_POINTS:
            continue
        if any(
            n == "occi_server.http" or n.startswith("occi_server.http.") for n in _imports(path)
        ):
            offenders.append(str(relative))
    assert offenders == []


def test_the_check_sees_an_import_of_http(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from occi_server.http.handler import Engine\n")
    assert "occi_server.http.handler" in _imports(module)


def test_the_ovf_model_knows_no_http_service_nor_cloud() -> None:
    # ovf/ reads and writes packages; jobs over a cloud are service/appliances.py's.
    banned = ("occi_server.http", "occi_server.service", "occi_server.backends", "starlette")
    offenders = [
        f"{path.name}: {name}"
        for path in sorted((PACKAGE / "ovf").glob("*.py"))
        for name in _imports(path)
        if name.startswith(banned)
    ]
    assert offenders == []
