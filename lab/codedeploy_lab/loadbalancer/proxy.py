"""One listener of a lab load balancer: an HTTP proxy on 127.0.0.1 that round-robins over healthy targets."""

from __future__ import annotations

import http.client
import itertools
import logging
import socket
import threading
import typing as t
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from .health import backend_connection
from .pool import Target
from .pool import TargetPool

LOG = logging.getLogger("codedeploy_lab.loadbalancer")

# Headers that belong to one connection and are not forwarded (RFC 9110 section 7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
}

# How long the proxy waits on a target's answer, in real seconds (ELB's default idle timeout, not scaled: it is
# about the network, not about how long AWS makes you wait).
UPSTREAM_TIMEOUT = 60.0


class FixedResponse(t.NamedTuple):
    status: int
    content_type: str
    body: str


class Route(t.NamedTuple):
    """Where a listener sends requests: target pools (with their weights), or a fixed response."""

    pools: tuple[tuple[TargetPool, int, int | None], ...] = ()  # (pool, weight, port override)
    fixed: FixedResponse | None = None


class Listener:
    """A running proxy for one listener; ``route`` is replaced by the manager when the load balancer changes."""

    def __init__(
        self, *, load_balancer: str, kind: str, port: int, protocol: str, route: Route, host: str = "127.0.0.1"
    ) -> None:
        self.load_balancer = load_balancer
        self.kind = kind  # "classic" or "application"
        self.port = port  # the listener port AWS knows
        self.protocol = protocol
        self.route = route
        self._counter = itertools.count()
        self._server = ThreadingHTTPServer((host, 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.listener = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.5},
            daemon=True,
            name=f"lb-{load_balancer}-{port}",
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def close(self) -> threading.Thread:
        """Stop serving; returns the thread that does it (serve_forever notices within its poll interval)."""

        def shut_down() -> None:
            self._server.shutdown()
            self._server.server_close()

        closer = threading.Thread(target=shut_down, daemon=True, name=f"lb-close-{self.load_balancer}-{self.port}")
        closer.start()
        return closer

    def choose(self) -> tuple[TargetPool, Target, int] | None:
        """The next healthy target and its traffic port, round robin over the listener's pools.

        A Classic listener sends to its instance port (``port override``); a target group to each target's port.
        Weights only include (> 0) or leave out (0) a target group.
        """
        candidates = [
            (pool, target, port or target.port)
            for pool, weight, port in self.route.pools
            if weight > 0
            for target in pool.healthy()
        ]
        if not candidates:
            return None
        return candidates[next(self._counter) % len(candidates)]


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "awselb/2.0"
    sys_version = ""

    def do_GET(self) -> None:  # http.server's naming
        self._forward()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: t.Any) -> None:  # http.server's signature
        LOG.debug("%s %s", self.address_string(), format % args)

    def _forward(self) -> None:
        listener: Listener = self.server.listener  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        route = listener.route
        if route.fixed is not None:
            self._reply(route.fixed.status, [("Content-Type", route.fixed.content_type)], route.fixed.body.encode())
            return
        for _attempt in range(3):  # a target picked just as it stopped taking traffic: pick again
            chosen = listener.choose()
            if chosen is None:
                break
            pool, target, port = chosen
            request = pool.begin(target)
            if request is None:
                continue
            try:
                status, headers, payload = self._call_target(pool, target, port, request, body, listener)
            finally:
                pool.end(request)
            self._reply(status, headers, payload)
            return
        self._reply(
            503,
            [("Content-Type", "text/html")],
            b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n",
        )

    def _call_target(
        self, pool: TargetPool, target: Target, port: int, request: t.Any, body: bytes | None, listener: Listener
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        address = pool.address_of(target, port)
        if address is None:
            return 502, [("Content-Type", "text/html")], b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"
        connection = backend_connection(address, UPSTREAM_TIMEOUT)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        forwarded_for = ", ".join(filter(None, [self.headers.get("X-Forwarded-For"), self.client_address[0]]))
        headers.update(
            {
                "X-Forwarded-For": forwarded_for,
                "X-Forwarded-Port": str(listener.port),
                "X-Forwarded-Proto": listener.protocol.lower() if listener.protocol else "http",
                "Connection": "close",
            }
        )
        try:
            connection.connect()
            # Shutting the socket down wakes a thread blocked reading it (closing it would not).
            request.on_cut(lambda: connection.sock.shutdown(socket.SHUT_RDWR))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = b"" if self.command == "HEAD" else response.read()
            # A HEAD answer keeps the target's Content-Length (the size a GET would return); others get ours.
            dropped = HOP_BY_HOP if self.command == "HEAD" else HOP_BY_HOP | {"content-length"}
            return (
                response.status,
                [(name, value) for name, value in response.getheaders() if name.lower() not in dropped],
                payload,
            )
        except (OSError, http.client.HTTPException) as error:
            LOG.info("%s: request to %s failed: %s", listener.load_balancer, target.instance_id, error)
            status = 504 if isinstance(error, TimeoutError) else 502
            reason = "Gateway Timeout" if status == 504 else "Bad Gateway"
            return (
                status,
                [("Content-Type", "text/html")],
                f"<html><body><h1>{status} {reason}</h1></body></html>\n".encode(),
            )
        finally:
            connection.close()

    def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
