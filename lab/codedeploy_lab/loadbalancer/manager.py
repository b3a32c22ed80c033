"""The lab's load balancers: one proxy per Classic and ALB listener in moto, kept in step with moto's state.

The manager polls moto's ELB and ELBv2 backends (in the lab process; a poll is a walk over a few dicts) and makes
the running proxies and target pools follow them: listeners appear and disappear with their load balancers,
registrations (RegisterInstancesWithLoadBalancer, RegisterTargets, Auto Scaling groups attached to a load balancer
or target group) become targets that are health-checked, deregistrations drain. ``sync()`` applies a change at
once, for callers that just changed moto's state and must not wait for the next poll.

It is a read-only mapping ``{name: Listener}`` (``Listener.url``), which is what ``Lab.load_balancers`` holds: the
first listener of a load balancer is reported under its name, further listeners under ``<name>:<port>``.
"""

from __future__ import annotations

import functools
import logging
import threading
import typing as t
from collections.abc import Iterator
from collections.abc import Mapping

from moto.elb.models import elb_backends
from moto.elbv2.models import elbv2_backends

from ..clock import LabClock
from .health import HealthCheck
from .pool import HEALTHY
from .pool import Resolver
from .pool import TargetPool
from .proxy import FixedResponse
from .proxy import Listener
from .proxy import Route

LOG = logging.getLogger("codedeploy_lab.loadbalancer")

POLL_INTERVAL = 0.25  # real seconds between two looks at moto's state


def _backends(backend_dict: t.Any) -> Iterator[tuple[str, str, t.Any]]:
    """(account, region, backend) for the backends moto has created (never creates one)."""
    for account_id, per_account in list(dict.items(backend_dict)):
        for region, backend in list(dict.items(per_account)):
            yield account_id, region, backend


def _is_healthy(pool: TargetPool, instance_id: str) -> bool:
    return (pool.state_of(instance_id) or ("",))[0] == HEALTHY


def _is_gone(pool: TargetPool, instance_id: str) -> bool:
    return pool.state_of(instance_id) is None


def classic_key(account_id: str, region: str, name: str) -> str:
    return f"classic/{account_id}/{region}/{name}"


class LoadBalancers(Mapping[str, Listener]):
    def __init__(self, resolve: Resolver, clock: LabClock, host: str = "127.0.0.1") -> None:
        self._resolve = resolve
        self._clock = clock
        self._host = host
        self._pools: dict[str, TargetPool] = {}  # classic key or target group ARN -> pool
        self._listeners: dict[str, Listener] = {}  # listener key -> running proxy
        self._names: dict[str, str] = {}  # reported name -> listener key
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- Mapping ----------------------------------------------------------------------------------------------------

    # Reads follow moto first, so a load balancer created a moment ago is already listed.

    def __getitem__(self, name: str) -> Listener:
        self.refresh()
        with self._lock:
            return self._listeners[self._names[name]]

    def __iter__(self) -> Iterator[str]:
        self.refresh()
        with self._lock:
            return iter(sorted(self._names))

    def __len__(self) -> int:
        self.refresh()
        with self._lock:
            return len(self._names)

    def refresh(self) -> None:
        """``sync()``, except that a moto dict changing under it is left to the next poll."""
        if self._stop.is_set():
            return
        try:
            self.sync()
        except RuntimeError as error:
            LOG.debug("load balancer refresh skipped: %s", error)

    # -- life cycle -------------------------------------------------------------------------------------------------

    def start(self) -> LoadBalancers:
        self.sync()
        self._thread = threading.Thread(target=self._poll, daemon=True, name="lb-sync")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            closers = [listener.close() for listener in self._listeners.values()]
            for closer in closers:
                closer.join(timeout=5)
            for pool in self._pools.values():
                pool.close()
            self._listeners.clear()
            self._pools.clear()
            self._names.clear()

    def _poll(self) -> None:
        while not self._stop.wait(POLL_INTERVAL):
            try:
                self.sync()
            except RuntimeError as error:  # moto changed a dict while we walked it: look again next time
                LOG.debug("load balancer sync retried: %s", error)
            except Exception:
                LOG.exception("load balancer sync failed")

    # -- following moto ---------------------------------------------------------------------------------------------

    def sync(self) -> None:
        with self._lock:
            seen_pools: set[str] = set()
            wanted: dict[str, tuple[str, str, int, str, Route]] = {}  # key -> (lb name, kind, port, protocol, route)

            for account_id, region, backend in _backends(elb_backends):
                for load_balancer in list(backend.load_balancers.values()):
                    key = classic_key(account_id, region, load_balancer.name)
                    listeners = list(load_balancer.listeners)
                    default_port = int(listeners[0].instance_port) if listeners else 80
                    pool = self._pool(
                        key,
                        "classic",
                        load_balancer.name,
                        HealthCheck.from_classic(load_balancer.health_check, default_port),
                        _classic_draining(load_balancer),
                        {instance_id: default_port for instance_id in load_balancer.instance_ids},
                    )
                    seen_pools.add(key)
                    for listener in listeners:
                        wanted[f"{key}/{listener.load_balancer_port}"] = (
                            load_balancer.name,
                            "classic",
                            int(listener.load_balancer_port),
                            listener.protocol,
                            Route(pools=((pool, 1, int(listener.instance_port)),)),
                        )

            for _account_id, _region, backend in _backends(elbv2_backends):
                for target_group in list(backend.target_groups.values()):
                    registered = {
                        target_id: int(target["Port"])
                        for target_id, target in list(target_group.targets.items())
                        if str(target_id).startswith("i-")
                    }
                    self._pool(
                        target_group.arn,
                        "target-group",
                        target_group.name,
                        HealthCheck.from_target_group(target_group),
                        _deregistration_delay(target_group),
                        registered,
                    )
                    seen_pools.add(target_group.arn)
                for load_balancer in list(backend.load_balancers.values()):
                    for listener in list(load_balancer.listeners.values()):
                        wanted[listener.arn] = (
                            load_balancer.name,
                            load_balancer.type,
                            int(listener.port),
                            listener.protocol,
                            self._alb_route(listener),
                        )

            for key in set(self._pools) - seen_pools:
                self._pools.pop(key).close()
            for key in set(self._listeners) - set(wanted):
                self._listeners.pop(key).close()
            for key, (name, kind, port, protocol, route) in wanted.items():
                listener = self._listeners.get(key)
                if listener is None:
                    listener = self._listeners[key] = Listener(
                        load_balancer=name, kind=kind, port=port, protocol=protocol, route=route, host=self._host
                    )
                    LOG.info("load balancer %s listener %s: %s", name, port, listener.url)
                else:
                    listener.route = route
            self._name_listeners()

    def _pool(
        self, key: str, kind: str, name: str, health_check: HealthCheck, draining: float, registered: dict[str, int]
    ) -> TargetPool:
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = TargetPool(
                kind=kind,
                name=name,
                key=key,
                health_check=health_check,
                draining_timeout=draining,
                resolve=self._resolve,
                clock=self._clock,
            )
        pool.reconcile(registered, health_check, draining)
        return pool

    def _alb_route(self, listener: t.Any) -> Route:
        for action in getattr(listener, "default_actions", []):
            data = getattr(action, "data", {}) or {}
            kind = str(data.get("Type", "")).lower()
            if kind == "forward":
                groups = data.get("ForwardConfig", {}).get("TargetGroups") or [
                    {"TargetGroupArn": data.get("TargetGroupArn"), "Weight": 1}
                ]
                return Route(
                    pools=tuple(
                        (self._pools[group["TargetGroupArn"]], int(group.get("Weight", 1)), None)
                        for group in groups
                        if group.get("TargetGroupArn") in self._pools
                    )
                )
            if kind == "fixed-response":
                config = data.get("FixedResponseConfig", {})
                return Route(
                    fixed=FixedResponse(
                        int(config.get("StatusCode", 200)),
                        config.get("ContentType", "text/plain"),
                        config.get("MessageBody", ""),
                    )
                )
        return Route()

    def _name_listeners(self) -> None:
        names: dict[str, str] = {}
        for key, listener in sorted(
            self._listeners.items(), key=lambda item: (item[1].load_balancer, item[1].port, item[0])
        ):
            for name in (listener.load_balancer, f"{listener.load_balancer}:{listener.port}", key):
                if name not in names:
                    names[name] = key
                    break
        self._names = names

    # -- what the deployment engine and the moto reports use ---------------------------------------------------------

    def classic_pool(self, account_id: str, region: str, name: str) -> TargetPool | None:
        key = classic_key(account_id, region, name)
        with self._lock:
            if key not in self._pools:
                self.refresh()
            return self._pools.get(key)

    def target_group_pool(self, arn: str) -> TargetPool | None:
        with self._lock:
            if arn not in self._pools:
                self.refresh()
            return self._pools.get(arn)

    def wait_until_healthy(self, pools: t.Iterable[TargetPool], instance_id: str, timeout: float) -> bool:
        """Wait (real seconds) until ``instance_id`` is healthy in every pool; False on timeout."""
        deadline = self._clock.monotonic() + timeout
        for pool in pools:
            remaining = max(0.0, deadline - self._clock.monotonic())
            if not pool.wait_for(functools.partial(_is_healthy, pool, instance_id), remaining):
                return False
        return True

    def wait_until_gone(self, pools: t.Iterable[TargetPool], instance_id: str, timeout: float) -> bool:
        """Wait (real seconds) until ``instance_id`` has drained out of every pool; False on timeout."""
        deadline = self._clock.monotonic() + timeout
        for pool in pools:
            remaining = max(0.0, deadline - self._clock.monotonic())
            if not pool.wait_for(functools.partial(_is_gone, pool, instance_id), remaining):
                return False
        return True

    def describe(self) -> dict[str, t.Any]:
        """Everything the load balancers know, for ``/_lab/load-balancers`` and for debugging."""
        self.refresh()
        with self._lock:
            return {
                "listeners": {
                    name: {
                        "url": self._listeners[key].url,
                        "load_balancer": self._listeners[key].load_balancer,
                        "kind": self._listeners[key].kind,
                        "port": self._listeners[key].port,
                    }
                    for name, key in sorted(self._names.items())
                },
                "pools": {
                    pool.name if pool.kind == "classic" else f"target-group/{pool.name}": pool.describe()
                    for pool in self._pools.values()
                },
            }


def _classic_draining(load_balancer: t.Any) -> float:
    # moto keeps what the request said (``Enabled``/``Timeout``) next to its own defaults (``enabled``/``timeout``).
    draining = (getattr(load_balancer, "attributes", None) or {}).get("connection_draining") or {}
    enabled = draining.get("Enabled", draining.get("enabled", False))
    if str(enabled).lower() != "true":
        return 0.0
    return float(draining.get("Timeout", draining.get("timeout", 300)))


def _deregistration_delay(target_group: t.Any) -> float:
    return float((getattr(target_group, "attributes", None) or {}).get("deregistration_delay.timeout_seconds", 300))
