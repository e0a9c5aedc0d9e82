"""docs/deployment.md's systemd unit is valid as written (systemd-analyze verify, where it is
installed), with its paths pointed at this environment's occi-server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.server import BIN

DOC = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"


def block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"no {language} block in {DOC}"
    return found.group(1)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = block("ini").replace("/opt/occi-server/bin/occi-server", str(BIN))
    assert "ExecStart=" in unit and "KillSignal=SIGTERM" in unit
    path = tmp_path / "occi-server.service"
    path.write_text(unit)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(unit.replace("ExecStart=", "ExecStartt="))
    assert subprocess.run(
        ["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=60
    ).stderr  # the check can fail


def test_the_config_in_the_guide_passes_config_check(tmp_path: Path) -> None:
    config = tmp_path / "occi-server.toml"
    config.write_text(block("toml"))
    result = subprocess.run(
        [str(BIN), "config", "check", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
