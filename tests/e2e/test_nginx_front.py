"""docs/deployment.md's nginx front, as written (port, paths and certificate swapped for the
test's), over a server with two workers and trusted_proxies = 127.0.0.1: public URLs under the
prefix, nginx's request id in our answers and logs, /metrics kept inside."""

from __future__ import annotations

import re
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.support.occi_client import COMPUTE_KIND
from tests.support.server import ServerProcess, free_port
from tests.test_deployment import block

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def nginx_config(root: Path, port: int, upstream: int, cert: Path, key: Path) -> str:
    site = (
        block("nginx")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
        .replace("server 127.0.0.1:8787;", f"server 127.0.0.1:{upstream};")
        .replace("/etc/ssl/cloud.example.org.pem", str(cert))
        .replace("/etc/ssl/private/cloud.example.org.key", str(key))
    )
    temp = " ".join(
        f"{kind}_temp_path {root / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"pid {root / 'nginx.pid'};\nerror_log {root / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\naccess_log {root / 'access.log'};\n{temp}\n{site}\n}}\n"
    )


@pytest.fixture
def front(tmp_path: Path) -> Iterator[tuple[ServerProcess, str, ssl.SSLContext]]:
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    trust = ssl.create_default_context()
    authority.configure_trust(trust)
    server = ServerProcess(
        data_dir=tmp_path,
        extra_args=("--workers", "2"),
        env={"OCCI_TRUSTED_PROXIES": "127.0.0.1/32", "OCCI_METRICS_ALLOW_FROM": "127.0.0.1/32"},
    ).start()
    root = tmp_path / "nginx"
    root.mkdir()
    port = free_port()
    (root / "nginx.conf").write_text(nginx_config(root, port, server.port, cert, key))
    nginx = subprocess.Popen(
        [str(NGINX), "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/occi/healthz", verify=trust, timeout=2)
                break
            except httpx.TransportError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not start: {nginx.stderr.read() if nginx.stderr else ''}"
                    ) from None
                time.sleep(0.1)
        yield server, url, trust
    finally:
        nginx.send_signal(signal.SIGQUIT)  # graceful stop, by PID
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
        server.stop()


def test_behind_nginx_urls_are_public_and_one_request_id_runs_through(
    front: tuple[ServerProcess, str, ssl.SSLContext],
) -> None:
    server, url, trust = front
    token = server.token("behind-nginx", "ivy")
    headers = {"X-Auth-Token": token, "Content-Type": "text/occi", "Category": COMPUTE_KIND}
    created = httpx.post(url + "/occi/compute/", headers=headers, verify=trust)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert location.startswith(url + "/occi/compute/")
    shown = httpx.get(
        location, headers={"X-Auth-Token": token, "Accept": "text/occi"}, verify=trust
    )
    assert shown.status_code == 200
    request_id = shown.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, kept
    (line,) = server.lines(f"request_id={request_id}")
    assert '"GET /compute/' in line and "project=behind-nginx user=ivy" in line
    # Metrics are served on this host, but never through the front.
    assert httpx.get(server.url + "/metrics").status_code == 200
    assert httpx.get(url + "/occi/metrics", verify=trust).status_code == 404
    assert httpx.get(url + "/occi/readyz", verify=trust).json()["status"] == "ok"
