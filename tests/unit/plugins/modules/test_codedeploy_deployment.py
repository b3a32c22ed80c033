# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Whole codedeploy_deployment runs against a real local endpoint (conftest's local_codedeploy): what a failure
result carries."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args
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
