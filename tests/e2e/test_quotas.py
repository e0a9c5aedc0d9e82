"""Quotas through the real server and the `occi-server quota` command."""

from __future__ import annotations

from pathlib import Path

from tests.support.occi_client import COMPUTE_KIND, STORAGE_KIND, OcciClient
from tests.support.server import ServerProcess, cli


def test_quota_set_then_the_next_create_is_403_naming_it_and_show_counts_usage(
    tmp_path: Path,
) -> None:
    server = ServerProcess(data_dir=tmp_path).start()
    try:
        client = OcciClient(server.url, server.token("capped"))
        db = ["--database", server.database]
        cli("quota", "set", "--project", "capped", "computes=1", "gigabytes=2", *db)
        assert client.post("/compute/", categories=[COMPUTE_KIND]).status_code == 201
        refused = client.post("/compute/", categories=[COMPUTE_KIND])
        assert refused.status_code == 403
        assert "quota exceeded for computes: 1 computes asked, 1 of 1 in use" in refused.text
        too_big = client.post(
            "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=3"]
        )
        assert too_big.status_code == 403
        assert "quota exceeded for gigabytes" in too_big.text
        shown = cli("quota", "show", "--project", "capped", *db)
        rows = {line.split()[0]: line.split()[1:] for line in shown.splitlines()[2:]}
        assert rows["computes"] == ["1", "1"]
        assert rows["gigabytes"] == ["2", "0"]
        assert rows["floating_ips"] == ["50", "0"]  # the configured default
        # Another project keeps the defaults.
        other = OcciClient(server.url, server.token("free"))
        assert other.post("/compute/", categories=[COMPUTE_KIND]).status_code == 201
    finally:
        server.stop()
