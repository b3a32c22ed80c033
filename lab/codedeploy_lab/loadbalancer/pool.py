"""The registered targets of one Classic Load Balancer or one target group: health, draining, in-flight requests.

Health follows Elastic Load Balancing: a newly registered target starts ``initial`` and takes traffic once it has
passed ``healthy_threshold`` consecutive checks; ``unhealthy_threshold`` consecutive failures take it out. A target
that is deregistered is ``draining``: it gets no new requests, the requests it is serving finish, and it leaves when
none is left or the draining timeout (Classic: connection draining; target group: deregistration delay) runs out,
whichever comes first; whatever is still in flight then is cut. Without draining it leaves at once.
"""

from __future__ import annotations

import itertools
import logging
import threading
import typing as t
from dataclasses import dataclass
from dataclasses import field

from ..clock import LabClock
from ..rooms import DRAINING
from ..rooms import HEALTHY
from ..rooms import INITIAL
from ..rooms import UNHEALTHY
from .health import MINIMUM_PROBE_TIMEOUT
from .health import Address
from .health import HealthCheck
from .health import probe

LOG = logging.getLogger("codedeploy_lab.loadbalancer")

Resolver = t.Callable[[str, int], "Address | None"]


@dataclass(eq=False)
class Request:
    """One request in flight to a target; ``cut()`` aborts it (draining ran out, or no draining at all)."""

    target: Target
    cancelled: bool = False
    _on_cut: list[t.Callable[[], t.Any]] = field(default_factory=list)

    def on_cut(self, callback: t.Callable[[], t.Any]) -> None:
        self._on_cut.append(callback)
        if self.cancelled:
            callback()

    def cut(self) -> None:
        self.cancelled = True
        for callback in self._on_cut:
            try:
                callback()
            except OSError:
                pass


@dataclass(eq=False)
class Target:
    instance_id: str
    port: int  # the traffic port AWS knows (listener instance port, or the port the target was registered with)
    state: str = INITIAL
    reason: str = "Instance registration is still in progress."
    successes: int = 0
    failures: int = 0
    in_flight: set[Request] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    registered_at: float = 0.0


class TargetPool:
    """Targets of one load balancer (``kind="classic"``) or target group (``kind="target-group"``)."""

    def __init__(
        self,
        *,
        kind: str,
        name: str,
        key: str,
        health_check: HealthCheck,
        draining_timeout: float,
        resolve: Resolver,
        clock: LabClock,
    ) -> None:
        self.kind = kind
        self.name = name
        self.key = key
        self.health_check = health_check
        self.draining_timeout = draining_timeout  # AWS seconds; 0 = no draining
        self._resolve = resolve
        self._clock = clock
        self._targets: dict[str, Target] = {}
        self._order = itertools.count()
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)  # notified on every health, draining or in-flight change

    # -- registration (from the load balancer's state in moto) ------------------------------------------------------

    def reconcile(self, registered: dict[str, int], health_check: HealthCheck, draining_timeout: float) -> None:
        """Make the pool follow ``registered`` (instance id -> traffic port)."""
        with self._lock:
            self.health_check = health_check
            self.draining_timeout = draining_timeout
            for instance_id, port in registered.items():
                target = self._targets.get(instance_id)
                if target is None or target.state == DRAINING:
                    if target is not None:  # registered again while draining: it starts over
                        self._remove(target, cut=False)
                    self._add(instance_id, port)
                else:
                    target.port = port
            for instance_id, target in list(self._targets.items()):
                if instance_id not in registered and target.state != DRAINING:
                    self._deregister(target)

    def close(self) -> None:
        """The load balancer or target group is gone: stop checking, cut what is in flight."""
        with self._lock:
            for target in list(self._targets.values()):
                self._remove(target, cut=True)

    def _add(self, instance_id: str, port: int) -> None:
        target = Target(instance_id=instance_id, port=port, registered_at=float(next(self._order)))
        self._targets[instance_id] = target
        self.changed.notify_all()
        threading.Thread(
            target=self._check_loop, args=(target,), daemon=True, name=f"lb-health-{self.name}-{instance_id}"
        ).start()

    def _deregister(self, target: Target) -> None:
        target.stop.set()  # no more health checks
        if not self.draining_timeout or not target.in_flight:
            self._remove(target, cut=True)
            return
        target.state, target.reason = DRAINING, "Target deregistration is in progress"
        self.changed.notify_all()
        threading.Thread(
            target=self._drain, args=(target,), daemon=True, name=f"lb-drain-{self.name}-{target.instance_id}"
        ).start()

    def _remove(self, target: Target, *, cut: bool) -> None:
        target.stop.set()
        if self._targets.get(target.instance_id) is target:
            del self._targets[target.instance_id]
        if cut:
            for request in list(target.in_flight):
                request.cut()
        self.changed.notify_all()

    def _drain(self, target: Target) -> None:
        deadline = self._clock.monotonic() + self._clock.seconds(self.draining_timeout)
        with self._lock:
            while target.in_flight and self._targets.get(target.instance_id) is target:
                remaining = deadline - self._clock.monotonic()
                if remaining <= 0:
                    LOG.info(
                        "%s %s: draining timeout, cutting %d request(s) to %s",
                        self.kind,
                        self.name,
                        len(target.in_flight),
                        target.instance_id,
                    )
                    break
                self.changed.wait(remaining)
            if self._targets.get(target.instance_id) is target:
                self._remove(target, cut=True)

    # -- health checks ----------------------------------------------------------------------------------------------

    def _check_loop(self, target: Target) -> None:
        while not target.stop.is_set():
            check = self.health_check
            port = check.port if check.port is not None else target.port
            timeout = max(self._clock.seconds(check.timeout), MINIMUM_PROBE_TIMEOUT)
            result = probe(check, self._resolve(target.instance_id, port), timeout)
            with self._lock:
                if target.stop.is_set():
                    return
                self._record(target, result.ok, result.reason)
            target.stop.wait(self._clock.seconds(check.interval))

    def _record(self, target: Target, ok: bool, reason: str) -> None:
        check = self.health_check
        before = target.state
        if ok:
            target.successes, target.failures = target.successes + 1, 0
            if target.state != HEALTHY and target.successes >= check.healthy_threshold:
                target.state, target.reason = HEALTHY, ""
        else:
            target.failures, target.successes = target.failures + 1, 0
            if target.state == HEALTHY and target.failures >= check.unhealthy_threshold:
                target.state, target.reason = UNHEALTHY, reason
            elif target.state == INITIAL and target.failures >= check.unhealthy_threshold:
                target.state, target.reason = UNHEALTHY, reason
            elif target.state == UNHEALTHY:
                target.reason = reason
        if target.state != before:
            LOG.info(
                "%s %s: %s %s -> %s %s", self.kind, self.name, target.instance_id, before, target.state, target.reason
            )
            self.changed.notify_all()

    # -- traffic ----------------------------------------------------------------------------------------------------

    def healthy(self) -> list[Target]:
        with self._lock:
            return sorted(
                (target for target in self._targets.values() if target.state == HEALTHY),
                key=lambda target: target.registered_at,
            )

    def begin(self, target: Target) -> Request | None:
        """Account a request to ``target``; None when it stopped taking traffic since it was picked."""
        with self._lock:
            if self._targets.get(target.instance_id) is not target or target.state != HEALTHY:
                return None
            request = Request(target)
            target.in_flight.add(request)
            return request

    def end(self, request: Request) -> None:
        with self._lock:
            request.target.in_flight.discard(request)
            self.changed.notify_all()

    def address_of(self, target: Target, port: int) -> Address | None:
        return self._resolve(target.instance_id, port)

    # -- what the engine and DescribeInstanceHealth/DescribeTargetHealth see ------------------------------------------

    def state_of(self, instance_id: str) -> tuple[str, str] | None:
        """(state, reason) of a target, None when the pool does not know it (never registered, or fully gone)."""
        with self._lock:
            target = self._targets.get(instance_id)
            return None if target is None else (target.state, target.reason)

    def wait_for(self, predicate: t.Callable[[], bool], timeout: float) -> bool:
        """Wait up to ``timeout`` real seconds until ``predicate()`` (called under the pool's lock) holds."""
        with self._lock:
            return self.changed.wait_for(predicate, timeout)

    def describe(self) -> dict[str, t.Any]:
        with self._lock:
            return {
                "kind": self.kind,
                "name": self.name,
                "health_check": self.health_check.describe(),
                "draining_timeout": self.draining_timeout,
                "targets": {
                    target.instance_id: {
                        "state": target.state,
                        "reason": target.reason,
                        "port": target.port,
                        "in_flight": len(target.in_flight),
                    }
                    for target in sorted(self._targets.values(), key=lambda target: target.registered_at)
                },
            }
