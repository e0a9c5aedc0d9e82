"""Streaming through CDMI: upload then download one large volume, timing both and sampling the
server's resident memory, to show that bytes move in chunks (flat RSS) and at what rate.

    .venv/bin/python -m bench.cdmi_stream [--mib 1024]

Starts `occi-server serve` on loopback with its own data directory (removed after), PUTs
`--mib` MiB as a new volume (non-CDMI, one request), GETs it back and checks the SHA-256 both
ways. The client runs on the same machine, so the rates are end-to-end loopback figures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.harness import current_rss_mb, make_token, peak_rss_mb, start_occi

BLOCK = 1 << 20


class Sampler:
    """The server's RSS every 50 ms while a transfer runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(current_rss_mb(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _blocks(mib: int, digest: hashlib._Hash) -> Iterator[bytes]:
    seed = os.urandom(BLOCK)
    for index in range(mib):
        block = index.to_bytes(8, "big") + seed[8:]  # every block differs
        digest.update(block)
        yield block


def run(mib: int) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="cdmi-bench-"))
    try:
        token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "bench")
        server, url = start_occi(data, token)
        try:
            return _measure(server.pid, url, token, mib)
        finally:
            server.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _measure(pid: int, url: str, token: str, mib: int) -> dict[str, float]:
    client = httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=600)
    project = client.get("/cdmi/").json()["children"][0]
    path = f"/cdmi/{project}volumes/big"
    idle = current_rss_mb(pid)
    sent = hashlib.sha256()
    with Sampler(pid) as up:
        start = time.monotonic()
        answer = client.put(path, content=_blocks(mib, sent))
        upload_s = time.monotonic() - start
    assert answer.status_code == 201, answer.text
    received = hashlib.sha256()
    count = 0
    with Sampler(pid) as down:
        start = time.monotonic()
        with client.stream("GET", path) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes(BLOCK):
                received.update(chunk)
                count += len(chunk)
        download_s = time.monotonic() - start
    assert count == mib * BLOCK and received.digest() == sent.digest(), "bytes differ"
    return {
        "MiB": mib,
        "upload MB/s": mib * BLOCK / 1e6 / upload_s,
        "download MB/s": mib * BLOCK / 1e6 / download_s,
        "RSS idle MB": idle,
        "RSS max during upload MB": max(up.samples, default=idle),
        "RSS max during download MB": max(down.samples, default=idle),
        "VmHWM MB": peak_rss_mb(pid),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    for name, value in run(parser.parse_args().mib).items():
        print(f"{name}: {value:.1f}")


if __name__ == "__main__":
    main()
