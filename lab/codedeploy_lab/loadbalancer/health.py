"""Health checks as Elastic Load Balancing defines them, and the probe that runs one against a lab host.

A Classic Load Balancer has one check per load balancer (``HTTP:80/index.html``, ``TCP:80``, ...); a target group
has its own (protocol, port or ``traffic-port``, path, matcher). Both are reduced to one ``HealthCheck``; its
durations stay in AWS seconds and are scaled by the lab clock where they are waited on.
"""

from __future__ import annotations

import http.client
import typing as t
from dataclasses import dataclass

from ..fleet.webserver import UnixHTTPConnection

# A backend: a lab host's web server socket path (``HostWebServer.socket_path``), or a TCP (host, port).
Address = str | tuple[str, int]


def backend_connection(address: Address, timeout: float) -> http.client.HTTPConnection:
    """An unopened HTTP connection to a backend."""
    if isinstance(address, str):
        return UnixHTTPConnection(address, timeout)
    return http.client.HTTPConnection(*address, timeout=timeout)


# A probe never waits less than this many real seconds, whatever the time factor: a scaled 5-second timeout is 83 ms
# at the default factor, shorter than a busy 2-core machine may need to schedule the host's web server.
MINIMUM_PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class HealthCheck:
    protocol: str  # "HTTP" or "TCP" (HTTPS and SSL are probed as HTTP and TCP: lab hosts serve plain HTTP)
    port: int | None  # None: the port the traffic goes to
    path: str
    interval: float  # AWS seconds
    timeout: float  # AWS seconds
    healthy_threshold: int
    unhealthy_threshold: int
    success_codes: tuple[tuple[int, int], ...] = ((200, 200),)

    def describe(self) -> str:
        port = "traffic-port" if self.port is None else str(self.port)
        target = f"{self.protocol}:{port}{self.path if self.protocol == 'HTTP' else ''}"
        return (
            f"{target} every {self.interval:g}s, healthy after {self.healthy_threshold}, "
            f"unhealthy after {self.unhealthy_threshold}"
        )

    def accepts(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.success_codes)

    @classmethod
    def from_classic(cls, health_check: t.Any, default_port: int) -> HealthCheck:
        """From moto's ``FakeHealthCheck`` (``target`` like ``HTTP:80/index.html``), or AWS's default when None."""
        if (
            health_check is None
        ):  # AWS's check of a Classic Load Balancer never given one (DescribeLoadBalancers shows it)
            return cls(
                protocol="TCP",
                port=default_port,
                path="",
                interval=30,
                timeout=5,
                healthy_threshold=10,
                unhealthy_threshold=2,
            )
        protocol, _, rest = str(health_check.target).partition(":")
        protocol = protocol.upper()
        if protocol in ("HTTP", "HTTPS"):
            port_text, slash, path = rest.partition("/")
            path = slash + path or "/"
        else:
            port_text, path = rest, ""
        return cls(
            protocol="HTTP" if protocol in ("HTTP", "HTTPS") else "TCP",
            port=int(port_text) if port_text.isdigit() else default_port,
            path=path,
            interval=float(health_check.interval),
            timeout=float(health_check.timeout),
            healthy_threshold=int(health_check.healthy_threshold),
            unhealthy_threshold=int(health_check.unhealthy_threshold),
        )

    @classmethod
    def from_target_group(cls, target_group: t.Any) -> HealthCheck:
        """From moto's ``FakeTargetGroup``."""
        protocol = str(target_group.health_check_protocol or target_group.protocol or "HTTP").upper()
        port_text = str(target_group.health_check_port or "traffic-port")
        matcher = getattr(target_group, "matcher", None) or {}
        return cls(
            protocol="HTTP" if protocol in ("HTTP", "HTTPS") else "TCP",
            port=int(port_text) if port_text.isdigit() else None,
            path=target_group.health_check_path or "/",
            interval=float(target_group.health_check_interval_seconds or 30),
            timeout=float(target_group.health_check_timeout_seconds or 5),
            healthy_threshold=int(target_group.healthy_threshold_count or 5),
            unhealthy_threshold=int(target_group.unhealthy_threshold_count or 2),
            success_codes=parse_matcher(str(matcher.get("HttpCode", "200"))),
        )


def parse_matcher(http_code: str) -> tuple[tuple[int, int], ...]:
    """``"200"``, ``"200,302"`` or ``"200-299"`` as inclusive ranges."""
    ranges = []
    for part in http_code.split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit():
            ranges.append((int(low), int(high) if high.isdigit() else int(low)))
    return tuple(ranges) or ((200, 200),)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    reason: str  # why it failed, in the words DescribeInstanceHealth/DescribeTargetHealth use; "" when ok


def probe(check: HealthCheck, address: Address | None, timeout: float) -> ProbeResult:
    """Run one health check against ``address`` (the host's web server), waiting at most ``timeout`` real seconds."""
    if address is None:
        return ProbeResult(False, "Instance has no web server the lab knows of (not a lab host, or not running).")
    connection = backend_connection(address, timeout)
    if check.protocol == "TCP":
        try:
            connection.connect()
            return ProbeResult(True, "")
        except OSError as error:
            return ProbeResult(False, f"Instance has failed the TCP health check: {error.strerror or error}.")
        finally:
            connection.close()
    try:
        connection.request("GET", check.path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as error:
        return ProbeResult(False, f"Request timed out or connection failed: {error}.")
    finally:
        connection.close()
    if check.accepts(response.status):
        return ProbeResult(True, "")
    return ProbeResult(False, f"Health checks failed with these codes: [{response.status}]")
