# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import codedeploy_retry
from botocore import exceptions as botocore_exceptions


def error(code: str) -> Exception:
    return botocore_exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Operation")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "SlowDown", "Throttling", "RequestLimitExceeded"],
    ids=["CodeDeploy", "S3", "Auto Scaling", "EC2"],
)
def test_the_one_policy_retries_every_service_s_throttling(no_sleep, code):
    call = MagicMock(side_effect=[error(code), error(code), "answer"])
    assert codedeploy_retry(call)() == "answer"
    assert call.call_count == 3


def test_the_one_policy_does_not_retry_other_errors(no_sleep):
    call = MagicMock(side_effect=error("AccessDenied"))
    with pytest.raises(botocore_exceptions.ClientError):
        codedeploy_retry(call)()
    assert call.call_count == 1
