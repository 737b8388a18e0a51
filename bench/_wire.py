"""A lean HTTP/1.1 client for the load generator: keep-alive connections, requests written as prepared
bytes, responses read with the least parsing (status, Content-Length or chunked body).

aiohttp's client spent about a quarter of a millisecond of CPU per request here; at 3,000 requests a second
the generator then took most of a core of the two the machine has, and its own lag showed as the server's
latency. This one costs a fraction of that, so the server, not the generator, sets the capacity measured.
Only what the vote storm needs: POST to one host, one request at a time per connection (new connections
when all are busy, as an unlimited connection pool would), no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
from typing import cast
from urllib.parse import urlsplit


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `request` sends prepared bytes and waits for the whole response."""

    def __init__(self, pool: Wire) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.reusable = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of asyncio's

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        parsed = _response(self.buffer)
        if parsed is not None and self.waiter is not None and not self.waiter.done():
            status, body, used, keep = parsed
            del self.buffer[:used]
            self.reusable = keep
            self.waiter.set_result((status, body))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


def _response(buffer: bytearray) -> tuple[int, bytes, int, bool] | None:
    """(status, body, bytes used, keep-alive) once `buffer` holds a whole response, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    keep = headers.get("connection") != "close"
    start = end + 4
    if headers.get("transfer-encoding") == "chunked":
        body = bytearray()
        pos = start
        while True:
            line_end = buffer.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buffer[pos:line_end]).split(b";")[0], 16)
            if len(buffer) < line_end + 2 + size + 2:
                return None
            body += buffer[line_end + 2:line_end + 2 + size]
            pos = line_end + 2 + size + 2
            if size == 0:
                return status, bytes(body), pos, keep
    length = int(headers.get("content-length", "0"))
    if len(buffer) < start + length:
        return None
    return status, bytes(buffer[start:start + length]), start + length, keep


class Wire:
    """POSTs to one URL over a pool of keep-alive connections (a new one whenever all are busy)."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()

    async def post(self, body: bytes) -> tuple[int, bytes]:
        """(status, body) of the response; raises OSError, ConnectionError or TimeoutError."""
        conn = self._idle.pop() if self._idle else await self._open()
        try:
            answer = await asyncio.wait_for(conn.request(self._head + b"%d\r\n\r\n" % len(body) + body),
                                            self.timeout)
        except BaseException:
            self._drop(conn)
            raise
        if conn.reusable:
            self._idle.append(conn)
        else:
            self._drop(conn)
        return answer

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        self._all.add(conn)
        return conn

    def _drop(self, conn: _Connection) -> None:
        self._all.discard(conn)
        if conn.transport is not None:
            conn.transport.close()

    async def close(self) -> None:
        for conn in list(self._all):
            self._drop(conn)
        self._idle.clear()
