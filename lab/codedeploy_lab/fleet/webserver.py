"""A host's web server (what httpd, apache2 or nginx would be on a real instance), run as a thread of the lab.

It serves the host's ``/var/www/html`` as the host sees it (the merged overlay, read through the sandbox's
``/proc/<pid 1>/root``), on a loopback port the fleet allocated when the host was created, so the port stays the
same across restarts and the load balancer can be pointed at it before the service starts. Every response carries
``X-Lab-Host: <instance-id>``.

Paths are resolved component by component inside the host's root: a symlink in the document root that points at
``/etc/passwd`` serves the *host's* ``/etc/passwd``, never the machine's.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import socket
import stat
import threading
import typing as t
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

LOG = logging.getLogger("codedeploy_lab.fleet")

LOOPBACK = "127.0.0.1"
DOCUMENT_ROOT = "/var/www/html"
MAX_SYMLINK_HOPS = 40


def allocate_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def resolve_in_root(root: str, path: str) -> str | None:
    """The real path of ``path`` (absolute, in the host's terms) below ``root``, following symlinks inside it.

    Returns None when something along the way is missing or a loop is found.
    """
    parts = [p for p in PurePosixPath(path).parts if p not in ("/", "", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            info = os.lstat(candidate)
        except OSError:
            return None
        if stat.S_ISLNK(info.st_mode):
            hops += 1
            if hops > MAX_SYMLINK_HOPS:
                return None
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in PurePosixPath(target).parts if p not in ("/", "", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


class HostWebServer:
    """Start/stop/health of one host's HTTP server; ``root`` returns the host's root as seen from the lab."""

    def __init__(self, instance_id: str, root: t.Callable[[], str | None], port: int | None = None) -> None:
        self.instance_id = instance_id
        self._root = root
        self.port = port or allocate_port()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._fault_status: int | None = None
        self._connections: set[socket.socket] = set()  # open client connections, closed when the server stops
        self.requests_served = 0

    @property
    def address(self) -> tuple[str, int]:
        return (LOOPBACK, self.port)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def healthy(self) -> bool:
        return self._fault_status is None

    def mark_unhealthy(self, status: int = 503) -> None:
        """Answer every request with ``status`` until ``mark_healthy()`` (for fault injection)."""
        self._fault_status = status

    def mark_healthy(self) -> None:
        self._fault_status = None

    def start(self) -> None:
        with self._lock:
            if self._server is not None:
                return
            server = ThreadingHTTPServer(self.address, _handler_for(self))
            server.daemon_threads = True
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                      name=f"web-{self.instance_id}", daemon=True)
            thread.start()
            self._server, self._thread = server, thread
            LOG.info("host %s: web server listening on %s", self.instance_id, self.url)

    def stop(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            # A stopped httpd keeps no keep-alive connection open: close them, or a client would still be served.
            for connection in list(self._connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if thread is not None:
                thread.join(timeout=5)
            LOG.info("host %s: web server stopped", self.instance_id)

    def restart(self) -> None:
        self.stop()
        self.start()

    def lookup(self, url_path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) for a request path."""
        if self._fault_status is not None:
            return self._fault_status, b"unhealthy (lab fault)\n", "text/plain"
        root = self._root()
        if root is None:
            return 503, b"host is not running\n", "text/plain"
        path = unquote(urlsplit(url_path).path)
        target = resolve_in_root(root, f"{DOCUMENT_ROOT}/{path}")
        if target is None:
            return 404, b"Not Found\n", "text/plain"
        if os.path.isdir(target):
            index = resolve_in_root(root, f"{DOCUMENT_ROOT}/{path}/index.html")
            if index is None or not os.path.isfile(index):
                return 403, b"Forbidden\n", "text/plain"
            target = index
        if not os.path.isfile(target):
            return 404, b"Not Found\n", "text/plain"
        try:
            with open(target, "rb") as handle:
                body = handle.read()
        except OSError:
            return 403, b"Forbidden\n", "text/plain"
        content_type = mimetypes.guess_type(target)[0] or "application/octet-stream"
        return 200, body, content_type


def _handler_for(web: HostWebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "codedeploy-lab-httpd"
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            web._connections.add(self.connection)

        def finish(self) -> None:
            web._connections.discard(self.connection)
            super().finish()

        def _respond(self, head_only: bool) -> None:
            if web._server is not self.server:  # stopped (or restarted) since this connection was accepted
                self.close_connection = True
                return
            status, body, content_type = web.lookup(self.path)
            web.requests_served += 1
            self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "")
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Lab-Host", web.instance_id)
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._respond(head_only=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(head_only=True)

        def log_message(self, format: str, *args: t.Any) -> None:  # noqa: A002
            LOG.debug("host %s web: " + format, web.instance_id, *args)

    return Handler
