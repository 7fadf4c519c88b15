"""The connection layer under `http.py`: connect only to vetted addresses, and never wait past a deadline.

httpx resolves host names itself when it connects, which would let a name pass `reach.check` on one address
and connect to another (DNS rebinding). `PinnedBackend` connects each host only to the addresses the check
resolved; TLS still verifies the certificate against the host name. `Deadline` cuts every socket wait
(connect, TLS handshake, each read and write) to what is left of the fetch's overall time, so a server that
drips a byte at a time cannot hold a fetch open past its deadline.
"""

from __future__ import annotations

import functools
import ssl
import time
from typing import Any

import httpcore
import httpx


class Deadline:
    """The overall deadline of one fetch; every socket wait is cut to what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.seconds = seconds

    def left(self) -> float:
        """Seconds left (negative once it has passed)."""
        return self.start + self.seconds - time.monotonic()

    def cut(self, timeout: float | None) -> float:
        """A socket timeout that ends no later than the deadline (raising once it has passed)."""
        left = self.left()
        if left <= 0:
            raise httpcore.ReadTimeout("the overall deadline passed")
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.cut(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cut(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> _Stream:
        # The certificate is checked against the host name, not the address connected to.
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, self._deadline.cut(timeout)), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.SyncBackend):
    """Connects a host only to the addresses `reach.check` vetted for it; an unvetted host is never connected."""

    def __init__(self, deadline: Deadline) -> None:
        self.pins: dict[str, tuple[str, ...]] = {}
        self.deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        addresses = self.pins.get(host)
        if not addresses:
            raise httpcore.ConnectError(f"{host} was not checked before connecting")
        error: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(address, port, self.deadline.cut(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _Stream(stream, self.deadline)
        assert error is not None
        raise error


class PinnedTransport(httpx.HTTPTransport):
    """httpx's default transport, connecting through a PinnedBackend."""

    def __init__(self, backend: PinnedBackend) -> None:
        # Not super().__init__(): httpx takes no network backend, so this builds the pool it would build by default,
        # with ours, and without loading the CA certificates again (about 0.1 s each time).
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context(), network_backend=backend)


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CA bundle, certificates and host names verified), built once."""
    return httpx.create_ssl_context()
