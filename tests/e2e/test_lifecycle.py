"""The server as a process: first start, restart without loss, clean shutdown, CLI."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.occi_client import COMPUTE_KIND, INFRA, STORAGE_KIND, OcciClient, parse
from tests.support.server import ServerProcess, cli


def test_first_start_prints_a_working_demo_token(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path).start()
    try:
        server.stop()
        output = "".join(server.output)
        token = next(
            line.split("=", 1)[1] for line in output.splitlines() if "export OCCI_TOKEN=" in line
        )
        assert "curl" in output
        server.start()
        response = httpx.get(server.url + "/-/", headers={"X-Auth-Token": token.strip()})
        assert response.status_code == 200
    finally:
        if server.process and server.process.poll() is None:
            server.stop()


def test_restart_keeps_every_acknowledged_resource(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path).start()
    token = server.token("persist")
    client = OcciClient(server.url, token)
    storage = client.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=2.5"]
    )
    compute = client.create(
        "/compute/",
        categories=[COMPUTE_KIND],
        links=[
            f'<{storage}>; rel="{INFRA}storage"; category="{INFRA}storagelink"; '
            'occi.storagelink.deviceid="/dev/vdb"'
        ],
        attributes=['occi.core.title="keep me"'],
    )
    mixin = 'kept; scheme="http://example.com/k#"; class="mixin"; location="/kept/"'
    assert client.post("/-/", categories=[mixin]).status_code == 200
    assert client.post("/kept/", locations=[compute]).status_code == 200
    before = {path: client.get(path).text for path in (storage, compute)}
    assert server.stop(signal.SIGTERM) == 0
    server.start()
    try:
        for path, text in before.items():
            assert client.get(path).text == text
        assert parse(client.get("/kept/")).locations == [server.url + compute]
    finally:
        server.stop()


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path).start()
    assert server.stop(signal.SIGTERM) == 0


def test_auth_none_maps_everyone_to_one_project(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path, auth="none").start()
    try:
        client = OcciClient(server.url, None)
        path = client.create("/compute/", categories=[COMPUTE_KIND])
        assert client.get(path).status_code == 200
    finally:
        server.stop()


def test_basic_auth_user_from_cli(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path).start()
    try:
        cli(
            "user",
            "create",
            "--project",
            "p",
            "--user",
            "bob",
            "--password",
            "s3cret",
            "--database",
            server.database,
        )
        ok = httpx.get(server.url + "/-/", auth=("bob", "s3cret"))
        assert ok.status_code == 200
        assert httpx.get(server.url + "/-/", auth=("bob", "wrong")).status_code == 401
    finally:
        server.stop()


def test_a_token_revoked_from_the_cli_is_refused(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path).start()
    try:
        args = ("--project", "p", "--user", "carol", "--database", server.database)
        token = cli("token", "create", *args).strip().splitlines()[-1]
        auth = {"X-Auth-Token": token}
        assert httpx.get(server.url + "/-/", headers=auth).status_code == 200
        assert "revoked" in cli("token", "revoke", "--database", server.database, "--", token)
        # This server cached the token when it accepted it: refused within its cache's 30 s.
        server.stop()
        server.start()
        assert httpx.get(server.url + "/-/", headers=auth).status_code == 401
        with pytest.raises(RuntimeError, match="no such token"):
            cli("token", "revoke", "--database", server.database, "--", token)
    finally:
        server.stop()


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first = cli("db", "upgrade", "--database", url)
    second = cli("db", "upgrade", "--database", url)
    assert first.split()[-1] == second.split()[-1]


def test_catalogue_comes_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "occi.toml"
    config.write_text(
        '[[cloud.flavors]]\nname = "tiny"\nvcpus = 2\nram_mb = 512\n'
        '[[cloud.images]]\nname = "debian-12"\n'
    )
    server = ServerProcess(data_dir=tmp_path, auth="none", extra_args=("--config", str(config)))
    server.start()
    try:
        client = OcciClient(server.url, None)
        text = client.get("/-/").text
        assert 'tiny; scheme="http://schemas.openstack.org/template/resource#"' in text
        assert 'debian-12; scheme="http://schemas.openstack.org/template/os#"' in text
        assert "itsy;" not in text
        path = client.create("/compute/", categories=[COMPUTE_KIND])
        got = parse(client.get(path))
        assert got.attr("occi.compute.cores") == "2"
        assert got.attr("occi.compute.memory") == "0.5"
    finally:
        server.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_taken_port_fails_in_one_line_before_serving(tmp_path: Path, workers: str) -> None:
    import socket
    import subprocess

    from tests.support.server import BIN

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        result = subprocess.run(
            [str(BIN), "serve", "--port", str(port), "--workers", workers,
             "--database", f"sqlite:///{tmp_path / 'taken.sqlite'}"],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "OCCI_DATA_DIR": str(tmp_path)},
        )  # fmt: skip
    assert result.returncode != 0
    said = (result.stdout + result.stderr).strip().splitlines()
    assert said == [f"occi-server: cannot listen on 127.0.0.1:{port}: address already in use"]
