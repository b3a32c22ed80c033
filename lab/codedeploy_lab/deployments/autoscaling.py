"""Auto Scaling launches: a new instance of a deployment group's Auto Scaling group gets the group's last successful
revision before it takes traffic (codedeploy-semantics.md section 7).

On AWS the launch lifecycle hook holds the instance in ``Pending:Wait`` while CodeDeploy runs a deployment (creator
``autoscaling``) to it alone; success lets it go ``InService`` (and into its load balancers), failure abandons it and
the group replaces it. moto has no lifecycle-hook states, so we wrap the two moto methods involved, in-process:
``replace_autoscaling_group_instances`` (new instances are held in ``Pending:Wait``; moto registers only
``InService`` instances with Classic Load Balancers) and ``update_attached_target_groups`` (which registers every
instance, so held ones are taken out again).
"""

from __future__ import annotations

import logging
import threading
import typing as t

from ..service.models import Deployment, new_deployment_id

if t.TYPE_CHECKING:
    from .engine import Engine

LOG = logging.getLogger("codedeploy_lab.deployments")

PENDING_WAIT = "Pending:Wait"

_engine: Engine | None = None
_installed = False


def attach(engine: Engine | None) -> None:
    global _engine
    _install()
    _engine = engine


def _install() -> None:
    global _installed
    if _installed:
        return
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup

    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances
    original_update_target_groups = AutoScalingBackend.update_attached_target_groups

    def replace_autoscaling_group_instances(self: t.Any, count_needed: int, propagated_tags: dict[str, str]) -> None:
        before = {id(state) for state in self.instance_states}
        original_replace(self, count_needed, propagated_tags)
        if _engine is not None:
            launched = [state for state in self.instance_states if id(state) not in before]
            try:
                launch_deployments(_engine, self, launched)
            except Exception:  # a launch must never fail moto's own call
                LOG.exception("Auto Scaling group %s: launch deployments failed", self.name)

    def update_attached_target_groups(self: t.Any, group_name: str) -> None:
        original_update_target_groups(self, group_name)
        group = self.autoscaling_groups.get(group_name)
        if group is None or not group.target_group_arns:
            return
        held = [{"Id": state.instance.id} for state in group.instance_states if state.lifecycle_state == PENDING_WAIT]
        for arn in group.target_group_arns:
            target_group = self.elbv2_backend.target_groups.get(arn)
            registered = [target for target in held if target_group is not None and target["Id"] in target_group.targets]
            if registered:
                self.elbv2_backend.deregister_targets(arn, registered)

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances
    AutoScalingBackend.update_attached_target_groups = update_attached_target_groups
    _installed = True


def launch_deployments(engine: Engine, auto_scaling_group: t.Any, launched: list[t.Any]) -> None:
    """Hold each launched instance and deploy every interested deployment group's last good revision to it."""
    service = getattr(engine.lab, "codedeploy", None)
    if service is None or not launched:
        return
    account_id, region = auto_scaling_group.account_id, auto_scaling_group.region
    with service.lock:
        backend = service.backend(account_id, region)
        sources = []
        for application in backend.applications.values():
            for group in application.deployment_groups.values():
                if auto_scaling_group.name not in group.auto_scaling_group_names:
                    continue
                last = backend.deployments.get(group.last_successful_deployment_id or "")
                # No successful revision yet: nothing to deploy, the instance goes InService (a lab choice).
                if last is not None and last.revision is not None:
                    sources.append((group, last))
        if not sources:
            return
        for state in launched:
            state.lifecycle_state = PENDING_WAIT
            waiting = _LaunchWait(auto_scaling_group, state, len(sources))
            for group, last in sources:
                deployment = Deployment(
                    deployment_id=_unique_id(backend), application_name=group.application.name,
                    deployment_group_name=group.name, deployment_group_id=group.group_id,
                    deployment_config_name=group.deployment_config_name, revision=last.revision,
                    creator="autoscaling", previous_revision=last.revision,
                    deployment_style=dict(group.settings["deploymentStyle"]),
                    load_balancer_info=group.settings["loadBalancerInfo"],
                    file_exists_behavior=last.file_exists_behavior,
                    auto_rollback_configuration=group.settings["autoRollbackConfiguration"],
                    description=f"Auto Scaling launch of {state.instance.id} in {auto_scaling_group.name}")
                backend.deployments[deployment.deployment_id] = deployment
                LOG.info("Auto Scaling group %s launched %s: deployment %s of %s", auto_scaling_group.name,
                         state.instance.id, deployment.deployment_id, group.name)
                engine.submit(backend, deployment, instance_ids=[state.instance.id], on_finished=waiting.done)


def _unique_id(backend: t.Any) -> str:
    deployment_id = new_deployment_id()
    while deployment_id in backend.deployments:
        deployment_id = new_deployment_id()
    return deployment_id


class _LaunchWait:
    """The lifecycle hook of one launched instance: CONTINUE once every deployment succeeded, else ABANDON."""

    def __init__(self, auto_scaling_group: t.Any, state: t.Any, deployments: int) -> None:
        self.group = auto_scaling_group
        self.state = state
        self.remaining = deployments
        self.failed = False
        self._lock = threading.Lock()

    def done(self, deployment: Deployment) -> None:
        with self._lock:
            self.remaining -= 1
            self.failed = self.failed or deployment.status != "Succeeded"
            if self.remaining:
                return
        backend = self.group.autoscaling_backend
        instance_id = self.state.instance.id
        if self.failed:
            LOG.info("Auto Scaling group %s: %s abandoned (launch deployment %s)", self.group.name, instance_id,
                     deployment.status)
            # ABANDON: the group terminates the instance and launches a replacement (which gets the same revision;
            # a broken revision loops, as AWS's "deployment deadlock" does).
            try:
                backend.terminate_instance(instance_id, should_decrement=False)
            except StopIteration:
                pass  # already gone
            return
        self.state.lifecycle_state = "InService"  # CONTINUE
        if self.group.name in backend.autoscaling_groups:
            backend.update_attached_elbs(self.group.name)
            backend.update_attached_target_groups(self.group.name)
