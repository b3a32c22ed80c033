# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Progress lines for codedeploy_deployment.

A module cannot print while it runs, so this plugin runs the module in slices: each run follows the deployment
until its progress changed (and PROGRESS_WINDOW seconds passed), returns the new progress lines and a handoff, and
the plugin prints the lines and runs the module again with the handoff. All the logic stays in the module and its
module_utils; this plugin only relays. Check mode, wait=false and async tasks run the module once.
"""

from __future__ import annotations

import typing as t

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

# Seconds a module run keeps following after the first change before it hands the lines back: shorter shows
# lines sooner, longer starts fewer module processes on a busy deployment.
PROGRESS_WINDOW = 2.0


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        args = dict(self._task.args)
        relay = not (wrap_async or self._task.check_mode or args.get("progress_handoff") or args.get("wait") in (False, "false", "no"))
        try:
            if not relay:
                result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
                return result
            result.update(self._follow(args, task_vars or {}))
            return result
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)

    def _follow(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        host = task_vars.get("inventory_hostname", "localhost")
        handoff: dict[str, t.Any] = {"window": PROGRESS_WINDOW}
        lines: list[str] = []
        while True:
            module_result = self._execute_module(module_args={**args, "progress_handoff": handoff}, task_vars=task_vars)
            for line in module_result.get("progress") or []:
                display.display(f"{host} | {line}")
            lines.extend(module_result.get("progress") or [])
            handoff = module_result.pop("progress_handoff", None)
            if not handoff or module_result.get("failed"):
                module_result["progress"] = lines
                return module_result
