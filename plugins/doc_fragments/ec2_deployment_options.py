# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The suboptions of ec2_deployment_options, which a deployment group has and a deployment may set for itself;
    # paired with ec2_deployment_options_spec() in module_utils/_codedeploy/deployment_groups.py (a unit test keeps
    # them equal). Each module documents the option itself (description, type: dict).
    DOCUMENTATION = r"""
options:
  ec2_deployment_options:
    suboptions:
      auto_scaling_group_processes_to_suspend:
        description:
          - Auto Scaling processes CodeDeploy suspends before it deploys and resumes when the deployment ends. The
            group's service role needs C(autoscaling:SuspendProcesses) and C(autoscaling:ResumeProcesses).
        type: list
        elements: str
        choices: [Terminate, AZRebalance, InstanceRefresh, ScheduledActions]
"""
