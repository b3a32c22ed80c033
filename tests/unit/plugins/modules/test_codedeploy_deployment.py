# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whole codedeploy_deployment runs against a real local endpoint (conftest's local_codedeploy): what a failure
result carries, and what the action plugin hands the module in its environment."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Purpose
from ansible_collections.rollout.codedeploy.plugins.modules import codedeploy_deployment

IN_PROGRESS = {"deploymentInfo": {"deploymentId": "d-X", "status": "InProgress"}}
COMPLETED = {"__type": "DeploymentAlreadyCompletedException", "message": "done"}


def run_module(endpoint: t.Any, capsys: pytest.CaptureFixture[str], **args: t.Any) -> dict[str, t.Any]:
    connection = {"endpoint_url": endpoint.url, "region": "us-east-1", "access_key": "testing", "secret_key": "testing"}
    with patch_module_args({**connection, **args}), pytest.raises(SystemExit):
        codedeploy_deployment.main()
    return json.loads(capsys.readouterr().out)


def test_an_aws_error_after_the_deployment_is_known_fails_with_its_id(local_codedeploy, capsys):
    local_codedeploy.answers["GetDeployment"] = (200, IN_PROGRESS)
    local_codedeploy.answers["StopDeployment"] = (400, COMPLETED)
    local_codedeploy.open()
    result = run_module(local_codedeploy, capsys, state="stopped", deployment_id="d-X")
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to stop deployment")
    assert result["error"]["code"] == "DeploymentAlreadyCompletedException"
    assert result["deployment_id"] == "d-X"
    assert local_codedeploy.seen == ["GetDeployment", "StopDeployment"]


def test_an_aws_error_before_any_deployment_fails_without_an_id(local_codedeploy, capsys):
    local_codedeploy.answers["GetDeployment"] = (400, {"__type": "InvalidDeploymentIdException", "message": "bad"})
    local_codedeploy.open()
    result = run_module(local_codedeploy, capsys, state="stopped", deployment_id="d-X")
    assert result["failed"] is True and result["error"]["code"] == "InvalidDeploymentIdException"
    assert "deployment_id" not in result


SUCCEEDED = {"deploymentInfo": {"deploymentId": "d-X", "status": "Succeeded", "deploymentOverview": {"Succeeded": 1}}}


def test_the_hand_off_and_the_progress_file_come_in_the_environment(local_codedeploy, capsys, monkeypatch, tmp_path):
    local_codedeploy.answers["GetDeployment"] = (200, SUCCEEDED)
    local_codedeploy.answers["ListDeploymentTargets"] = (200, {"targetIds": []})
    local_codedeploy.open()
    following = Handoff(window=2.0, changed=True, plan={"action": "create", "deployment_id": "d-X"}).follow(
        "d-X", Purpose.OURS, now=0.0
    )
    progress = tmp_path / "progress.log"
    monkeypatch.setenv(Handoff.PROGRESS_FILE_VARIABLE, str(progress))
    for name, value in following.to_environment().items():
        monkeypatch.setenv(name, value)
    result = run_module(
        local_codedeploy,
        capsys,
        application_name="app",
        deployment_group_name="web",
        s3_bucket="b",
        s3_key="k",
        s3_bundle_type="zip",
    )
    assert local_codedeploy.seen[0] == "GetDeployment"  # it carried on following d-X: no decision, no creation
    assert (result["changed"], result["deployment_id"], result["deployment"]["status"]) == (True, "d-X", "Succeeded")
    assert progress.read_text().splitlines() == result["progress"]
    assert result["progress"][0].startswith("d-X: Succeeded, 1/1 succeeded (")


@pytest.mark.parametrize("internal", ["progress_handoff", "progress_file"])
def test_the_action_plugins_plumbing_is_no_option(local_codedeploy, capsys, internal):
    result = run_module(local_codedeploy, capsys, state="stopped", deployment_id="d-X", **{internal: "x"})
    assert result["failed"] is True and f"Unsupported parameters for (basic.py) module: {internal}" in result["msg"]


def test_restart_takes_no_revision(local_codedeploy, capsys):
    result = run_module(
        local_codedeploy,
        capsys,
        application_name="app",
        deployment_group_name="web",
        deployment_mode="RESTART",
        s3_bucket="b",
        s3_key="k",
        s3_bundle_type="zip",
    )
    assert result["failed"] is True
    assert result["msg"] == "deployment_mode=RESTART runs the group's last successful revision again; remove s3_bucket"
    assert local_codedeploy.seen == []
