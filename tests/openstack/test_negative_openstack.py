"""Keystone refusals, project isolation, and OpenStack down -> 503 then recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.openstack.conftest import TESTBED, OpenStackServer

NOVA = "http://127.0.0.1:8774/"  # the test bed's nova-api (scripts/testbed/configs.sh)
COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
ITSY = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
CIRROS = (
    'cirros-0.3.0-x86_64-uec; scheme="http://schemas.openstack.org/template/os#"; class="mixin"'
)


def _get(server: OpenStackServer, path: str, token: str | None, **extra: str) -> httpx.Response:
    headers = {"X-Auth-Token": token} if token else {}
    return httpx.get(server.url + path, headers={**headers, **extra}, timeout=60)


def test_no_or_bad_token_is_401_with_keystone_uri(os_server: OpenStackServer) -> None:
    for token in (None, "gAAAAAB-not-a-token"):
        response = _get(os_server, "/compute/", token)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith(
            "Keystone uri='http://127.0.0.1:5000"
        )


def test_claimed_identity_must_match(os_server: OpenStackServer, alice: str) -> None:
    assert (
        _get(os_server, "/compute/", alice, **{"X-Auth-Tenant-Id": "someone-else"}).status_code
        == 401
    )
    assert _get(os_server, "/compute/", alice, **{"X-Auth-User": "mallory"}).status_code == 401


def test_other_projects_resources_are_404(os_server: OpenStackServer, alice: str, bob: str) -> None:
    created = httpx.post(
        os_server.url + "/compute/",
        headers=[
            ("X-Auth-Token", alice),
            ("Content-Type", "text/occi"),
            ("Category", COMPUTE),
            ("Category", ITSY),
            ("Category", CIRROS),
        ],
        timeout=60,
    )
    assert created.status_code == 201, created.text
    path = "/compute/" + created.headers["location"].rsplit("/", 1)[1]
    other = _get(os_server, path, bob)
    assert other.status_code == 404, other.text
    assert path not in _get(os_server, "/compute/", bob).text
    assert (
        httpx.delete(os_server.url + path, headers={"X-Auth-Token": bob}, timeout=60).status_code
        == 404
    )
    assert (
        httpx.delete(os_server.url + path, headers={"X-Auth-Token": alice}, timeout=60).status_code
        == 200
    )


def test_nova_down_is_503_then_recovers(
    os_server: OpenStackServer, alice: str, outage: None
) -> None:
    """Nova hung (SIGSTOP), then Nova stopped and started again (SIGTERM): 503, then 200.

    One test, in this order: the hung case must stop the test bed's own nova-api, never one
    restarted by this process (a stopped child of a live parent behaves differently)."""
    _nova_hung(os_server, alice)
    _nova_stopped(os_server, alice)


def _nova_hung(os_server: OpenStackServer, alice: str) -> None:
    """The compute listing always asks Nova (servers are never cached), and Nova itself is
    first shown not to answer, so a 200 cannot hide here."""
    pid = _live_pid("nova-api")
    os.killpg(pid, signal.SIGSTOP)
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.get(NOVA, timeout=2)
        response = _get(os_server, "/compute/", alice)
    finally:
        os.killpg(pid, signal.SIGCONT)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    _until_ok(os_server, "/compute/", alice)


def _nova_stopped(os_server: OpenStackServer, alice: str) -> None:
    """Stop nova-api by PID, see 503, start it again the way the test bed does, see 200."""
    run = TESTBED / "run"
    pid = _live_pid("nova-api")
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    environ = dict(
        item.split(b"=", 1)
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if b"=" in item
    )
    os.killpg(pid, signal.SIGTERM)
    _wait_gone(pid)
    response = _get(os_server, "/compute/", alice)
    assert response.status_code == 503, response.text
    assert "Retry-After" in response.headers or "retry-after" in response.headers
    log = open(TESTBED / "log" / "nova-api-uwsgi.log", "ab")  # noqa: SIM115
    started = subprocess.Popen(
        [c.decode() for c in command],
        env={k.decode(): v.decode() for k, v in environ.items()},
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    (run / "nova-api.pid").write_text(str(started.pid))
    _until_ok(os_server, "/compute/", alice)


def _live_pid(service: str) -> int:
    """The test bed's process for `service`, checked to be running (not a stale pid file)."""
    pid = int((TESTBED / "run" / f"{service}.pid").read_text())
    stat = Path(f"/proc/{pid}/stat")
    assert stat.exists() and stat.read_text().split()[2] not in "ZX", f"{service} is not running"
    return pid


def _until_ok(server: OpenStackServer, path: str, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (status := _get(server, path, token).status_code) != 200:
        assert time.monotonic() < deadline, f"no recovery: still {status}"
        time.sleep(0.5)


def _wait_gone(pid: int) -> None:
    for _ in range(150):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        state = (
            Path(f"/proc/{pid}/stat").read_text().split()[2]
            if Path(f"/proc/{pid}/stat").exists()
            else "X"
        )
        if state == "Z":
            return
        time.sleep(0.1)
