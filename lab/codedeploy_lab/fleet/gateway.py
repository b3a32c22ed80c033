"""A host's way out: the lab serves the listening sockets the host's sandbox opened in its own network namespace.

A host has only ``lo``. Its ``127.0.0.1:<lab port>`` and ``169.254.169.254:80`` are sockets the holder opened inside
the host's network namespace and handed to the lab; this gateway accepts on them in the lab process:

* ``169.254.169.254:80``, and ``/latest/...`` on the lab port: this host's instance metadata (``metadata.py``);
  an on-premises host has none: its metadata socket is closed (connection refused) and ``/latest/`` is relayed;
* ``/_lab/host/services[/<name>]`` and ``/_lab/host/packages``: this host's shims (``shims.py``), answered for this
  host only: a host cannot name another;
* any other ``/_lab/...`` or ``/moto-api/...`` path: 403, those are the lab's controls, not AWS;
* everything else is relayed to the lab's AWS endpoint (``Connection: close``, then bytes both ways, so large S3
  bodies stream), as an EC2 instance reaches AWS.

So a host reaches the AWS APIs, its own metadata and its shims, and nothing else on the machine.
"""

from __future__ import annotations

import json
import logging
import posixpath
import select
import socket
import threading
import typing as t
from http import HTTPStatus
from urllib.parse import unquote
from urllib.parse import urlsplit

from .metadata import MetadataService

LOG = logging.getLogger("codedeploy_lab.fleet")

MAX_HEAD = 64 * 1024
HEAD_TIMEOUT = 30.0
IDLE_TIMEOUT = 300.0  # a relayed connection with no byte either way for this long is closed
MAX_CONNECTIONS = 128  # open connections per host; more are closed at once (a host cannot tie up the lab's threads)
HOP_BY_HOP = (b"connection", b"keep-alive", b"proxy-connection")
LAB_CONTROLS = ("/_lab", "/moto-api")
HOST_PREFIX = "/_lab/host/"


class Host(t.Protocol):
    """The host a gateway serves (``host.Host``, which owns its gateway): its id, metadata service and shims."""

    instance_id: str
    metadata: MetadataService | None

    def shim_request(self, method: str, path: str, body: bytes) -> tuple[int, t.Any]: ...


class Gateway:
    """Accepts on a host's listening sockets and answers or relays each connection (one thread per connection)."""

    def __init__(self, host: Host, endpoint: socket.socket, metadata: socket.socket, upstream: tuple[str, int]) -> None:
        self.host = host
        self.upstream = upstream
        self._listeners = [(endpoint, False)]
        if host.metadata is not None:
            self._listeners.append((metadata, True))
        else:  # on premises: nothing listens at 169.254.169.254, so a connection is refused as off EC2
            metadata.close()
        self._stopped = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def start(self) -> None:
        for listener, metadata_only in self._listeners:
            listener.settimeout(0.5)
            threading.Thread(
                target=self._accept,
                args=(listener, metadata_only),
                daemon=True,
                name=f"gateway-{self.host.instance_id}",
            ).start()

    def stop(self) -> None:
        self._stopped.set()

    def _accept(self, listener: socket.socket, metadata_only: bool) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the sandbox closed the listener
            if not self._slots.acquire(blocking=False):
                client.close()
                continue
            client.settimeout(HEAD_TIMEOUT)
            threading.Thread(
                target=self._serve,
                args=(client, metadata_only),
                daemon=True,
                name=f"gateway-{self.host.instance_id}-connection",
            ).start()

    def _serve(self, client: socket.socket, metadata_only: bool) -> None:
        try:
            with client:
                head, rest = _read_head(client)
                if head is None:
                    return
                method, target, headers = _parse_head(head)
                path = _normalised_path(target)
                metadata = self.host.metadata
                if metadata is not None and (metadata_only or path == "/latest" or path.startswith("/latest/")):
                    _read_body(client, rest, headers)
                    status, extra, body = metadata.handle(method, path.lstrip("/"), _text(headers))
                    _respond(client, status, body if method != "HEAD" else b"", extra)
                elif path.startswith(HOST_PREFIX):
                    payload = _read_body(client, rest, headers)
                    status, answer = self.host.shim_request(method, path[len(HOST_PREFIX) :], payload)
                    _respond(client, status, json.dumps(answer).encode(), {"Content-Type": "application/json"})
                elif any(path == prefix or path.startswith(prefix + "/") for prefix in LAB_CONTROLS):
                    message = {
                        "error": "Forbidden",
                        "message": f"{path} is the lab's own control, not an AWS API: "
                        "lab hosts reach AWS APIs, instance metadata and their "
                        "shims only",
                    }
                    _respond(client, 403, json.dumps(message).encode(), {"Content-Type": "application/json"})
                else:
                    self._relay(client, head, rest)
        except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: the host stopped meanwhile
            LOG.debug("host %s gateway: %s", self.host.instance_id, error)
        finally:
            self._slots.release()

    def _relay(self, client: socket.socket, head: bytes, rest: bytes) -> None:
        lines = [line for line in head.split(b"\r\n") if line.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP]
        with socket.create_connection(self.upstream, timeout=HEAD_TIMEOUT) as upstream:
            upstream.sendall(b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + rest)
            _splice(client, upstream)


def _read_head(client: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            _respond(client, 431, b"request head too large\n")
            return None, b""
        chunk = client.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[bytes, bytes]]]:
    first, *lines = head.split(b"\r\n")
    parts = first.decode("latin-1").split(" ")
    if len(parts) != 3:
        raise ValueError(f"bad request line {first[:80]!r}")
    headers = [(name.strip().lower(), value.strip()) for name, _, value in (line.partition(b":") for line in lines)]
    return parts[0], parts[1], headers


def _normalised_path(target: str) -> str:
    """The path as a server would route it: decoded, dot segments and repeated slashes gone."""
    # Only an absolute-form target has a scheme and host; "//latest/..." is a path (urlsplit would see a host).
    raw = urlsplit(target).path if "://" in target.split("?", 1)[0] else target.split("?", 1)[0]
    path = unquote(raw) or "/"
    return "/" + posixpath.normpath(path).lstrip("/") if path != "/" else "/"


def _text(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in headers}


def _read_body(client: socket.socket, rest: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    length = int(dict(headers).get(b"content-length", b"0") or 0)
    if length > MAX_HEAD:
        raise ValueError("request body too large for a local answer")
    body = rest
    while len(body) < length:
        chunk = client.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return body[:length]


def _respond(client: socket.socket, status: int, body: bytes, headers: t.Mapping[str, str] | None = None) -> None:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    lines = [
        f"HTTP/1.1 {status} {phrase}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def _splice(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until the lab's server has answered and closed (it was told ``Connection: close``)."""
    peers = {client: upstream, upstream: client}
    open_for_reading = [client, upstream]
    while upstream in open_for_reading:
        readable, _, _ = select.select(open_for_reading, [], [], IDLE_TIMEOUT)
        if not readable:
            return
        for source in readable:
            chunk = source.recv(1 << 16)
            if not chunk:
                open_for_reading.remove(source)
                if source is client:
                    upstream.shutdown(socket.SHUT_WR)
                continue
            peers[source].sendall(chunk)
