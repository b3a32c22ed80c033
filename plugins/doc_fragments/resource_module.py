# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The attributes of the modules that manage one CodeDeploy resource, returned as CodeDeploy describes it (the
    # *_info modules have info_module). A module may add details to an attribute, or document its own.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the predicted result without changing anything.
    support: full
  diff_mode:
    description: Returns the resource before and after in diff mode.
    support: full
  idempotent:
    description: Running the task again with the same options changes nothing and makes no change call.
    support: full
"""
