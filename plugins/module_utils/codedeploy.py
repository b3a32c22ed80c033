# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The public face of the CodeDeploy helpers; the code lives in the private _codedeploy package."""

from __future__ import annotations

from ._codedeploy import common as _common

AnsibleCodeDeployError = _common.AnsibleCodeDeployError
CodeDeployErrorHandler = _common.CodeDeployErrorHandler
codedeploy_client = _common.codedeploy_client
