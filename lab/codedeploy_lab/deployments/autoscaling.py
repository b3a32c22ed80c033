"""Auto Scaling launches: a new instance of a deployment group's Auto Scaling group gets the group's last successful
revision before it takes traffic (docs/codedeploy-behavior.md#auto-scaling).

On AWS the launch lifecycle hook holds the instance in ``Pending:Wait`` while CodeDeploy runs a deployment (creator
``autoscaling``) to it alone; success lets it go ``InService`` (and into its load balancers), failure abandons it and
the group replaces it. moto has no lifecycle-hook states: ``moto_patches.autoscaling`` tells us of every launch
(``attach``), and we hold the instance in ``Pending:Wait`` ourselves.
"""

from __future__ import annotations

import logging
import threading
import typing as t

from .. import moto_patches
from ..moto_patches.autoscaling import PENDING_WAIT
from ..rooms import CodeDeployRoom
from ..rooms import EngineRoom
from ..service.models import Deployment
from ..service.models import new_deployment_id

LOG = logging.getLogger("codedeploy_lab.deployments")


def attach(engine: EngineRoom | None, service: CodeDeployRoom | None = None) -> None:
    """Deploy to the launches of deployment groups' Auto Scaling groups with ``engine``, finding the groups in
    ``service``; ``attach(None)``: launches go InService at once again."""
    if engine is None or service is None:
        moto_patches.listen_to_auto_scaling_launches(None)
        return

    def launched(auto_scaling_group: t.Any, instance_states: list[t.Any]) -> None:
        launch_deployments(engine, service, auto_scaling_group, instance_states)

    moto_patches.listen_to_auto_scaling_launches(launched)


def launch_deployments(
    engine: EngineRoom, service: CodeDeployRoom, auto_scaling_group: t.Any, launched: list[t.Any]
) -> None:
    """Hold each launched instance and deploy every interested deployment group's last good revision to it."""
    if not launched:
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
                    deployment_id=_unique_id(backend),
                    application_name=group.application.name,
                    deployment_group_name=group.name,
                    deployment_group_id=group.group_id,
                    deployment_config_name=group.deployment_config_name,
                    revision=last.revision,
                    creator="autoscaling",
                    previous_revision=last.revision,
                    deployment_style=dict(group.settings["deploymentStyle"]),
                    load_balancer_info=group.settings["loadBalancerInfo"],
                    file_exists_behavior=last.file_exists_behavior,
                    auto_rollback_configuration=group.settings["autoRollbackConfiguration"],
                    description=f"Auto Scaling launch of {state.instance.id} in {auto_scaling_group.name}",
                )
                backend.deployments[deployment.deployment_id] = deployment
                LOG.info(
                    "Auto Scaling group %s launched %s: deployment %s of %s",
                    auto_scaling_group.name,
                    state.instance.id,
                    deployment.deployment_id,
                    group.name,
                )
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
            LOG.info(
                "Auto Scaling group %s: %s abandoned (launch deployment %s)",
                self.group.name,
                instance_id,
                deployment.status,
            )
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
