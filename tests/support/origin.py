"""Another server the cloud fetches from: a real HTTP server on 127.0.0.1 (a free port) in a
thread of the test process, serving data objects as a CDMI server does: the object's bytes to
a plain GET (CDMI's non-CDMI mode, what the cloud asks for), its JSON to an
`Accept: application/cdmi-object` GET. An object can be held back until the test releases
it, stall after part of its body, or answer an error status."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CDMI_OBJECT = "application/cdmi-object"


@dataclass
class Blob:
    data: bytes = b""
    status: int = 200
    hold: threading.Event | None = None  # the answer waits until it is set
    stall: float = 0.0  # seconds of silence after half the body
    headers: dict[str, str] = field(default_factory=dict)


class Origin:
    def __init__(self) -> None:
        self.objects: dict[str, Blob] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                origin.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                blob = origin.objects.get(self.path)
                if blob is None:
                    self._answer(404, b"no such object\n", {})
                    return
                if blob.hold is not None:
                    blob.hold.wait(30)
                if blob.status != 200:
                    self._answer(blob.status, b"refused\n", blob.headers)
                elif CDMI_OBJECT in self.headers.get("Accept", ""):
                    body = _cdmi_json(self.path, blob.data)
                    self._answer(200, body, {"Content-Type": CDMI_OBJECT})
                else:
                    self._answer(200, blob.data, blob.headers, blob.stall)

            def _answer(
                self, status: int, body: bytes, headers: dict[str, str], stall: float = 0.0
            ) -> None:
                headers = dict(headers)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                kind = headers.pop("Content-Type", "application/octet-stream")
                self.send_header("Content-Type", kind)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if stall:
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        time.sleep(stall)
                        body = body[len(body) // 2 :]
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the cloud gave up on this answer (a cap, a timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Origin:
        self._thread.start()
        return self

    def stop(self) -> None:
        for blob in self.objects.values():  # no handler left waiting
            if blob.hold is not None:
                blob.hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


def _cdmi_json(path: str, data: bytes) -> bytes:
    body = {
        "objectType": CDMI_OBJECT,
        "objectName": path.rpartition("/")[2],
        "parentURI": path.rpartition("/")[0] + "/",
        "completionStatus": "Complete",
        "mimetype": "application/octet-stream",
        "metadata": {"cdmi_size": str(len(data))},
        "valuetransferencoding": "base64",
        "value": base64.b64encode(data).decode(),
    }
    return json.dumps(body).encode()
