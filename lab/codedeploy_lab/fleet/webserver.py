"""A host's web server (what httpd, apache2 or nginx would be on a real instance), run inside the host's sandbox.

It is a standard-library Python program started in the host (``Host.run``), so it sees the host's files only: a
symlink in ``/var/www/html`` that points at ``/etc/passwd`` serves the *host's* ``/etc/passwd``, and no swap of files
and symlinks can make it read the machine's. It serves on two sockets:

* a unix socket the lab creates in a lab-only folder (``<state>/sockets/<instance-id>/web.sock``, outside the
  host's root, so no hook can replace it) and passes to the program as a listening descriptor: the load balancers
  and health checks connect there (``HostWebServer.connection()``);
* ``127.0.0.1:80`` in the host's own network, for hooks that ``curl http://localhost/``.

Every response carries ``X-Lab-Host: <instance-id>``. ``mark_unhealthy(status)`` sends the program a control line
on its stdin, after which it answers everything with that status (a fault of the lab, see ``faults.py``).
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import threading
import typing as t
from pathlib import Path

from .sandbox import host_python
from .sandbox import kill_group

LOG = logging.getLogger("codedeploy_lab.fleet")

DOCUMENT_ROOT = "/var/www/html"

# The server inside the host: argv = listening fd, instance id, fault status (0 = healthy).
WEB_PROGRAM = r"""
import mimetypes, os, posixpath, socket, stat, sys, threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

FD, INSTANCE_ID, FAULT = int(sys.argv[1]), sys.argv[2], [int(sys.argv[3]) or None]
ROOT = "/var/www/html"


def lookup(url_path):
    if FAULT[0] is not None:
        return FAULT[0], b"unhealthy (lab fault)\n", "text/plain"
    path = posixpath.normpath(ROOT + "/" + unquote(urlsplit(url_path).path))
    if path != ROOT and not path.startswith(ROOT + "/"):
        return 404, b"Not Found\n", "text/plain"
    if os.path.isdir(path):
        path = path + "/index.html"
        if not os.path.isfile(path):
            return 403, b"Forbidden\n", "text/plain"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO planted here must not hang the server
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return 403, b"Forbidden\n", "text/plain"
            body = handle.read()
    except FileNotFoundError:
        return 404, b"Not Found\n", "text/plain"
    except OSError:
        return 403, b"Forbidden\n", "text/plain"
    return 200, body, mimetypes.guess_type(path)[0] or "application/octet-stream"


class Handler(BaseHTTPRequestHandler):
    server_version = "codedeploy-lab-httpd"
    protocol_version = "HTTP/1.1"

    def respond(self, head_only):
        status, body, content_type = lookup(self.path)
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        self.send_response(status, phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Lab-Host", INSTANCE_ID)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def do_GET(self):
        self.respond(False)

    def do_HEAD(self):
        self.respond(True)

    def address_string(self):
        return "lab"

    def log_message(self, format, *args):
        pass


def serve(server):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()


unix = ThreadingHTTPServer("", Handler, bind_and_activate=False)
unix.socket.close()
unix.socket = socket.socket(fileno=FD)
serve(unix)
try:
    serve(ThreadingHTTPServer(("127.0.0.1", 80), Handler))
except OSError as error:  # a hook holds the port: the load balancers still reach us
    sys.stderr.write(f"port 80: {error}\n")
for line in sys.stdin:  # control lines from the lab; end of input: the lab stopped us
    words = line.split()
    if words[:1] == ["fault"]:
        FAULT[0] = int(words[1])
    elif words[:1] == ["healthy"]:
        FAULT[0] = None
    sys.stdout.write("ok\n")  # the lab waits for this: requests after mark_unhealthy() see the fault
    sys.stdout.flush()
"""


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a unix socket (a host's web server)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class HostWebServer:
    """Start/stop/health of one host's HTTP server; ``run`` starts a process inside the host (``Host.run``)."""

    def __init__(self, instance_id: str, socket_dir: Path, run: t.Callable[..., subprocess.Popen[bytes]]) -> None:
        self.instance_id = instance_id
        self.socket_dir = Path(socket_dir)
        self.socket_path = self.socket_dir / "web.sock"
        self._run = run
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._fault_status: int | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def healthy(self) -> bool:
        return self._fault_status is None

    def connection(self, timeout: float = 10.0) -> UnixHTTPConnection:
        return UnixHTTPConnection(str(self.socket_path), timeout)

    def describe(self) -> dict[str, t.Any]:
        return {"socket": str(self.socket_path), "running": self.running, "healthy": self.healthy}

    def mark_unhealthy(self, status: int = 503) -> None:
        """Answer every request with ``status`` until ``mark_healthy()`` (for fault injection)."""
        self._fault_status = status
        self._tell(f"fault {status}")

    def mark_healthy(self) -> None:
        self._fault_status = None
        self._tell("healthy")

    def _tell(self, line: str) -> None:
        with self._lock:
            process = self._process
            if process is not None and process.poll() is None and process.stdin is not None:
                try:
                    process.stdin.write(line.encode() + b"\n")
                    process.stdin.flush()
                    process.stdout.readline()  # type: ignore[union-attr]
                except OSError:
                    pass

    def start(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.socket_path.unlink(missing_ok=True)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(str(self.socket_path))
                listener.listen(128)
                self._process = self._run(
                    [
                        host_python(),
                        "-I",
                        "-c",
                        WEB_PROGRAM,
                        str(listener.fileno()),
                        self.instance_id,
                        str(self._fault_status or 0),
                    ],
                    pass_fds=(listener.fileno(),),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            LOG.info("host %s: web server started (%s)", self.instance_id, self.socket_path)

    def stop(self) -> None:
        """Stop the server: it exits, and with it every connection it had open (keep-alive ones too)."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        kill_group(process, grace=5)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        self.socket_path.unlink(missing_ok=True)
        LOG.info("host %s: web server stopped", self.instance_id)

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        try:
            os.rmdir(self.socket_dir)
        except OSError:
            pass
