"""Each worker's own listening socket (http/workers.py)."""

from __future__ import annotations

import asyncio
import pickle
import socket

from occi_server.http.workers import WorkerSocket, listener


def _nodelay_of_accepted_connection(sock: socket.socket) -> int:
    async def run() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def accepted(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            seen.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        host, port = sock.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(run())


def test_connections_accepted_on_a_worker_socket_have_nagle_off() -> None:
    """Without TCP_NODELAY an answer written as head then body waits 40 ms for a delayed ACK;
    asyncio sets it only on sockets created as IPPROTO_TCP."""
    sock = listener("127.0.0.1", 0, 16)
    assert _nodelay_of_accepted_connection(sock) != 0


def test_the_stand_in_becomes_a_listening_reuseport_socket_when_unpickled() -> None:
    reserved = listener("127.0.0.1", 0, 16, listen=False)
    port = reserved.getsockname()[1]
    try:
        first = pickle.loads(pickle.dumps(WorkerSocket("127.0.0.1", port, 16)))
        second = pickle.loads(pickle.dumps(WorkerSocket("127.0.0.1", port, 16)))
        try:
            for sock in (first, second):
                assert sock.getsockname() == ("127.0.0.1", port)
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
            assert reserved.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
        finally:
            first.close()
            second.close()
    finally:
        reserved.close()
