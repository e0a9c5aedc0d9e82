"""HTTPS served directly (--ssl-certfile/--ssl-keyfile, a certificate made by trustme), and
X-Forwarded-* believed from trusted proxies only, against real server processes."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from tests.support.occi_client import COMPUTE_KIND, OcciClient
from tests.support.server import ServerProcess

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "cloud.example.org",
    "X-Forwarded-Prefix": "/occi",
    "X-Forwarded-For": "203.0.113.7",
}


def test_https_with_a_generated_certificate(tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    for pem in certificate.cert_chain_pems[1:]:
        pem.write_to_path(str(cert), append=True)
    certificate.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    server = ServerProcess(
        data_dir=tmp_path,
        extra_args=("--ssl-certfile", str(cert), "--ssl-keyfile", str(key)),
        ca_file=str(ca),
    ).start()
    try:
        token = server.token("tls")
        headers = {"X-Auth-Token": token, "Content-Type": "text/occi", "Category": COMPUTE_KIND}
        created = httpx.post(server.url + "/compute/", headers=headers, verify=server.verify)
        assert created.status_code == 201
        assert created.headers["location"].startswith(f"https://127.0.0.1:{server.port}/compute/")
        assert httpx.get(server.url + "/healthz", verify=server.verify).status_code == 200
        with pytest.raises(httpx.ConnectError):  # not trusted without the CA
            httpx.get(server.url + "/healthz", verify=ssl.create_default_context())
        with pytest.raises(httpx.TransportError):  # no plain HTTP on that port
            httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5)
        assert any("serving OCCI on https://" in line for line in server.output)
    finally:
        assert server.stop() == 0


def test_forwarded_headers_from_a_trusted_proxy_shape_urls_and_logs(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path, env={"OCCI_TRUSTED_PROXIES": "127.0.0.1"}).start()
    try:
        client = OcciClient(server.url, server.token("proxied", "gina"), fmt="text/occi")
        created = client.post("/compute/", categories=[COMPUTE_KIND], headers=FORWARDED)
        assert created.status_code == 201
        location = created.headers["location"]
        assert location.startswith("https://cloud.example.org/occi/compute/")
        listing = client.get("/compute/", headers={**FORWARDED, "X-Request-Id": "fwd-1"})
        assert listing.headers["x-occi-location"].startswith("https://cloud.example.org/occi/")
        line = server.lines("request_id=fwd-1")[0]
        assert line.split(" INFO occi_server.access: ")[1].startswith("203.0.113.7 ")
        # A made-up host is not taken, and without forwarded headers nothing changes.
        bad = client.post(
            "/compute/", categories=[COMPUTE_KIND], headers={"X-Forwarded-Host": "a b/c"}
        )
        assert bad.headers["location"].startswith(f"http://127.0.0.1:{server.port}/compute/")
    finally:
        server.stop()


def test_forwarded_headers_from_anyone_else_are_ignored(server: ServerProcess) -> None:
    """The suite's server trusts no proxy (and uvicorn's own proxy handling is off)."""
    client = OcciClient(server.url, server.token("unproxied", "hal"), fmt="text/occi")
    created = client.post("/compute/", categories=[COMPUTE_KIND], headers=FORWARDED)
    assert created.headers["location"].startswith(f"http://127.0.0.1:{server.port}/compute/")
    client.get("/-/", headers={**FORWARDED, "X-Request-Id": "fwd-2"})
    line = server.lines("request_id=fwd-2")[0]
    assert line.split(" INFO occi_server.access: ")[1].startswith("127.0.0.1 ")
