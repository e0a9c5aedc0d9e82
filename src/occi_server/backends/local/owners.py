"""Who holds a piece of work: owner strings "host:pid[:tag]", and whether that process is gone."""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def this_process(*tags: str) -> str:
    return ":".join((HOST, str(os.getpid()), *tags))


def process_gone(owner: str) -> bool:
    """Whether the process an owner string names is gone. Only this host's processes can be
    looked at; work held on another host is taken over when its lease runs out."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True  # an earlier incarnation with our pid (a container restarted)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
