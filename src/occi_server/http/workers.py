"""Several worker processes under uvicorn's supervisor, each on its own listening socket.

uvicorn hands every worker one shared socket, and asyncio accepts connections in batches: the
worker that wakes first takes a whole burst (all 32 of wrk's connections went to one of two
workers). With SO_REUSEPORT each worker listens on a socket of its own and the kernel spreads
new connections across them.

The supervisor (restarts, health checks, signals) stays uvicorn's; only the socket it passes to
each worker differs: a small picklable stand-in that becomes a fresh SO_REUSEPORT listener when
the spawned worker unpickles it.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


def listener(host: str, port: int, backlog: int, *, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP.
    # Without it, an answer sent in two writes (head, then body) waits for the client's delayed
    # ACK: 40 ms per request (uvicorn's own multi-worker socket has exactly that problem).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class WorkerSocket:
    """Stands for a worker's own listener until it reaches the worker process."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.address = (host, port, backlog)

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return (listener, self.address)


def run(config: uvicorn.Config) -> None:
    # Held, bound but not listening, for the supervisor's lifetime: it reserves the port (a
    # clear error now if another program has it) and never receives a connection itself.
    reserved = listener(config.host, config.port, config.backlog, listen=False)
    try:
        stand_in = WorkerSocket(config.host, config.port, config.backlog)
        Multiprocess(config, sockets=[stand_in]).run()  # type: ignore[list-item]
    finally:
        reserved.close()
