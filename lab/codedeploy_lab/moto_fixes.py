"""The moto 5.2.5 gaps that amazon.aws modules trip over, fixed in-process.

``apply()`` is idempotent and must run in the serve process before the first request reaches moto. The fixes patch
classes, so they survive ``/moto-api/reset`` (which recreates backend instances, not classes).

1. IAM AWS-managed policies (``arn:aws:iam::aws:policy/...``) exist only when ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is
   true when the IAM backend is built; ``iam_role`` with ``managed_policies`` fails with NoSuchEntity otherwise.
2. ``DescribeLoadBalancerAttributes`` on a missing Classic ELB raises AttributeError (HTTP 500) in moto; AWS answers
   ``LoadBalancerNotFound``, and ``elb_classic_lb`` calls it before creating the load balancer.
3. A new Classic ELB has no ``HealthCheck`` in moto until one is configured; AWS always reports a default
   (``TCP:<first listener's instance port>``, interval 30, timeout 5, unhealthy 2, healthy 10), and
   ``elb_classic_lb`` reads ``HealthCheck`` unconditionally.
4. ``autoscaling_group`` calls DisableMetricsCollection and Put/DeleteNotificationConfiguration on update; moto has
   none of them (NotImplementedError, HTTP 500).
5. GetObject reads the whole object into memory for every request (``FakeKey.value``); the lab's agent downloads a
   bundle to many hosts at once, so a plain GET (no Range, no partNumber) of an object of 1 MiB or more streams from
   the key's buffer instead, a chunk at a time.
"""

from __future__ import annotations

import os
import typing as t

_APPLIED = False

DEFAULT_HEALTH_CHECK = {"interval": 30, "timeout": 5, "unhealthy_threshold": 2, "healthy_threshold": 10}


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    # Must be set before moto.iam builds its backend (it reads the setting at backend creation).
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    _fix_elb_attributes_on_missing_load_balancer()
    _fix_elb_default_health_check()
    _fix_autoscaling_update_calls()
    _stream_large_object_bodies()
    _APPLIED = True


def _fix_elb_attributes_on_missing_load_balancer() -> None:
    from moto.elb.responses import ELBResponse

    original = ELBResponse.describe_load_balancer_attributes

    def describe_load_balancer_attributes(self: ELBResponse) -> t.Any:
        # describe_load_balancers raises LoadBalancerNotFoundError for an unknown name, as AWS does.
        self.elb_backend.describe_load_balancers([self._get_param("LoadBalancerName")])
        return original(self)

    ELBResponse.describe_load_balancer_attributes = describe_load_balancer_attributes


def _fix_elb_default_health_check() -> None:
    from moto.elb.models import ELBBackend, FakeHealthCheck

    original = ELBBackend.create_load_balancer

    def create_load_balancer(self: ELBBackend, *args: t.Any, **kwargs: t.Any) -> t.Any:
        load_balancer = original(self, *args, **kwargs)
        if load_balancer.health_check is None and load_balancer.listeners:
            port = load_balancer.listeners[0].instance_port
            load_balancer.health_check = FakeHealthCheck(
                timeout=DEFAULT_HEALTH_CHECK["timeout"],
                healthy_threshold=DEFAULT_HEALTH_CHECK["healthy_threshold"],
                unhealthy_threshold=DEFAULT_HEALTH_CHECK["unhealthy_threshold"],
                interval=DEFAULT_HEALTH_CHECK["interval"],
                target=f"TCP:{port}",
            )
        return load_balancer

    ELBBackend.create_load_balancer = create_load_balancer


def _fix_autoscaling_update_calls() -> None:
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import EmptyResult

    def disable_metrics_collection(self: AutoScalingResponse) -> t.Any:
        group = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])
        disabled = self._get_param("Metrics") or []
        for each in group:
            each.metrics = [m for m in each.metrics if disabled and m not in disabled]
        return EmptyResult()

    def put_notification_configuration(self: AutoScalingResponse) -> t.Any:
        groups = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])
        for group in groups:
            configurations = getattr(group, "lab_notification_configurations", {})
            configurations[self._get_param("TopicARN")] = self._get_param("NotificationTypes") or []
            group.lab_notification_configurations = configurations
        return EmptyResult()

    def delete_notification_configuration(self: AutoScalingResponse) -> t.Any:
        groups = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])
        for group in groups:
            getattr(group, "lab_notification_configurations", {}).pop(self._get_param("TopicARN"), None)
        return EmptyResult()

    AutoScalingResponse.disable_metrics_collection = disable_metrics_collection
    AutoScalingResponse.put_notification_configuration = put_notification_configuration
    AutoScalingResponse.delete_notification_configuration = delete_notification_configuration


STREAM_FROM_BYTES = 1 << 20


class _KeyBody:
    """A FakeKey's content as a WSGI body: chunks read under the key's lock, its size as ``len()``."""

    def __init__(self, key: t.Any) -> None:
        self.key = key

    def __len__(self) -> int:
        return int(self.key.size)

    def __iter__(self) -> t.Iterator[bytes]:
        position = 0
        while True:
            with self.key.lock:
                self.key._value_buffer.seek(position)
                chunk = self.key._value_buffer.read(STREAM_FROM_BYTES)
            if not chunk:
                return
            position += len(chunk)
            yield chunk


def _stream_large_object_bodies() -> None:
    import threading

    from moto.s3.models import FakeKey
    from moto.s3.responses import S3Response

    original_get_object = S3Response.get_object
    value = FakeKey.value
    plain_get = threading.local()  # set only while get_object builds its answer, in this request's thread

    def get_object(self: S3Response) -> t.Any:
        plain_get.on = not self.headers.get("range") and not self.querystring.get("partNumber")
        try:
            return original_get_object(self)
        finally:
            plain_get.on = False

    def streamed_value(key: FakeKey) -> t.Any:
        if getattr(plain_get, "on", False) and key.size >= STREAM_FROM_BYTES:
            return _KeyBody(key)
        return value.fget(key)  # type: ignore[attr-defined]

    S3Response.get_object = get_object  # type: ignore[method-assign]
    FakeKey.value = property(streamed_value, value.fset)  # type: ignore[method-assign,attr-defined]
