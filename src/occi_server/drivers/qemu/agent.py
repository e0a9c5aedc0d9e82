"""The QEMU guest agent (qemu-ga inside the guest) over its virtio-serial channel: JSON lines
on a UNIX socket QEMU serves. A guest that runs no agent never answers; `ping` says so after a
short wait instead of hanging."""

from __future__ import annotations

import base64
import json
import random
import socket
import time
from pathlib import Path
from typing import Any

from occi_server.drivers.hypervisor import DriverError

PING_TIMEOUT = 3.0
NO_AGENT = "the guest runs no QEMU guest agent (qemu-ga), so its password cannot be set"


def _exchange(path: Path, command: dict[str, Any], timeout: float) -> Any:
    """Send one command after a guest-sync (which discards what an earlier client left in
    the channel); its return value, or None when the agent did not answer in time."""
    token = random.randrange(1, 2**31)
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sync = {"execute": "guest-sync", "arguments": {"id": token}}
            sock.sendall((json.dumps(sync) + "\n" + json.dumps(command) + "\n").encode())
            buffer = b""
            replies: list[Any] = []
            while len(replies) < 2:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                sock.settimeout(remaining)
                chunk = sock.recv(65536)
                if not chunk:
                    return None
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        reply = json.loads(line)
                        if replies or reply.get("return") == token:
                            replies.append(reply)
    except (OSError, ValueError):
        return None
    answer = replies[1]
    if "error" in answer:
        raise DriverError(f"the guest agent refused: {answer['error'].get('desc', answer)}")
    return answer.get("return", {})


def ping(path: Path, timeout: float = PING_TIMEOUT) -> bool:
    return _exchange(path, {"execute": "guest-ping"}, timeout) is not None


def set_password(path: Path, user: str, password: str) -> None:
    encoded = base64.b64encode(password.encode()).decode()
    command = {
        "execute": "guest-set-user-password",
        "arguments": {"username": user, "password": encoded, "crypted": False},
    }
    if _exchange(path, command, 15.0) is None:
        raise DriverError(NO_AGENT)
