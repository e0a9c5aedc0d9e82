"""The built wheel installs into a clean virtual environment and serves; without the
openstack extra, `serve --backend openstack` names the extra to install."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(600)
def test_the_wheel_installs_into_a_clean_venv_and_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("occi_server-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # A PYTHONPATH naming a checkout's src/ (a worktree's) shows pip the occi_server.egg-info
    # the build left there: "already installed", and the wheel would not be.
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel],
        capture_output=True,
        text=True,
        timeout=400,
        env=clean_env,
    )
    assert installed.returncode == 0, installed.stderr
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        env=clean_env,
    ).stdout.lower()
    for extra_only in ("pytest", "mypy", "selenium", "openstacksdk", "keystoneauth1"):
        assert f"{extra_only}==" not in listed
    binary = env_dir / "bin" / "occi-server"
    version = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, env=clean_env
    )
    assert version.returncode == 0 and version.stdout.startswith("occi-server ")

    openstack = subprocess.run(
        [str(binary), "serve", "--backend", "openstack", "--auth", "keystone"],
        capture_output=True, text=True, timeout=60, env=clean_env, cwd=tmp_path,
    )  # fmt: skip
    assert openstack.returncode == 2
    assert openstack.stderr.strip().splitlines() == [
        "occi-server: this needs the openstack extra (keystoneauth1 is not installed): "
        "pip install 'occi-server[openstack]'"
    ]

    data = tmp_path / "data"
    data.mkdir()
    server = ServerProcess(data_dir=data, database_url=f"sqlite:///{data / 'occi.sqlite'}")
    server.env = {"PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}"}
    server.binary = str(binary)
    server.start()
    try:
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
        assert httpx.get(server.url + "/readyz").status_code == 200
        assert httpx.get(server.url + "/-/").status_code == 401  # it serves OCCI, with auth
    finally:
        assert server.stop() == 0
