"""The client parses what servers send by itself: it never imports the server package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import occi_client

PACKAGE = Path(occi_client.__file__).parent


def test_no_module_of_the_client_imports_occi_server() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "occi_server" for n in names), path


def test_importing_the_client_and_its_cli_loads_no_server_module() -> None:
    code = (
        "import sys, occi_client, occi_client.cli, occi_client.cli.commands;"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'occi_server'];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
