# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""codedeploy_on_premises_instance_info runs in the controller's process when its task runs on the controller (see plugin_utils/in_process.py)."""

from __future__ import annotations

from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    pass
