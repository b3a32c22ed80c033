# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Progress lines for codedeploy_deployment.

A module cannot print while it runs, so this plugin relays its progress lines; all the logic stays in the module and
its module_utils.

- When the task runs on the controller (connection local, no become; the usual `hosts: localhost`), the module runs in
  this process (plugin_utils/in_process.py) and appends each line to a temporary file; a thread of this plugin prints
  the file's new lines while the module runs.
- Otherwise the plugin runs the module in slices: each run follows the deployment until a line was shown (and
  PROGRESS_WINDOW seconds passed), returns the new lines and a hand-off (module_utils/_codedeploy/deployment_handoff.py,
  the one contract between the two), and the plugin prints them and runs the module again with the hand-off.

The file's path and the hand-off reach the module in the environment of its execution (Handoff.to_environment), not
in its options: users see only their own. Check mode, wait=false and async tasks run the module once.

The plugin also accepts target_instances.ec2_tag_set in its deprecated shape, a bare list of tag groups, and passes it
on in the shape the module takes ({ec2_tag_set_list: [...]}), with a deprecation warning.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import typing as t

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

# The hand-off file alone: it needs neither boto3 nor amazon.aws, which the face (module_utils/codedeploy.py) imports.
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Handoff
from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import execute_in_process
from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import preload
from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import runs_on_controller

display = Display()

# Seconds a module slice keeps following after the first line before it hands the lines back: shorter shows
# lines sooner, longer starts fewer module processes on a busy deployment.
PROGRESS_WINDOW = 2.0
# How often the plugin looks for new lines in the progress file.
TAIL_INTERVAL = 0.2


preload("rollout.codedeploy.codedeploy_deployment")


def upgraded_args(args: dict[str, t.Any]) -> dict[str, t.Any]:
    """args with a bare-list target_instances.ec2_tag_set (deprecated) in the shape the module takes."""
    target_instances = args.get("target_instances")
    if not (isinstance(target_instances, dict) and isinstance(target_instances.get("ec2_tag_set"), list)):
        return args
    display.deprecated(
        "codedeploy_deployment: target_instances.ec2_tag_set as a bare list of tag groups is deprecated; give "
        "{ec2_tag_set_list: [...]}, the shape codedeploy_deployment_group's ec2_tag_set takes",
        version="2.0.0",
        collection_name="rollout.codedeploy",
    )
    tag_set = {"ec2_tag_set_list": target_instances["ec2_tag_set"]}
    return {**args, "target_instances": {**target_instances, "ec2_tag_set": tag_set}}


@contextlib.contextmanager
def process_environment(values: dict[str, str]) -> t.Iterator[None]:
    """os.environ with values added while the block runs (this worker process runs the module in process)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        args = upgraded_args(dict(self._task.args))
        waits = args.get("wait") not in (False, "false", "no", "False")
        try:
            if runs_on_controller(self):
                once = self._task.check_mode or not waits
                result.update(
                    execute_in_process(self, task_vars, args) if once else self._follow_with_file(args, task_vars)
                )
            elif wrap_async or self._task.check_mode or not waits:
                result.update(self._execute_module(module_args=args, task_vars=task_vars, wrap_async=wrap_async))
            else:
                result.update(self._follow_in_slices(args, task_vars))
            return result
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)

    def _show(self, task_vars: dict[str, t.Any], line: str) -> None:
        display.display(f"{task_vars.get('inventory_hostname', 'localhost')} | {line}")

    def _follow_with_file(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        descriptor, path = tempfile.mkstemp(prefix="codedeploy-progress-", suffix=".log")
        os.close(descriptor)
        finished = threading.Event()

        def tail() -> None:
            with open(path, encoding="utf-8") as progress:
                pending = ""
                while True:
                    done = finished.is_set()  # read once more after the module ended
                    pending += progress.read()
                    *complete, pending = pending.split("\n")
                    for line in complete:
                        self._show(task_vars, line)
                    if done:
                        return
                    finished.wait(TAIL_INTERVAL)

        tailer = threading.Thread(target=tail, daemon=True)
        tailer.start()
        try:
            with process_environment({Handoff.PROGRESS_FILE_VARIABLE: path}):
                return execute_in_process(self, task_vars, args)
        finally:
            finished.set()
            tailer.join(timeout=5)
            os.unlink(path)

    def _execute_slice(self, args: dict[str, t.Any], task_vars: dict[str, t.Any], handoff: Handoff) -> dict[str, t.Any]:
        """One run of the module, given handoff in the environment of its execution: the task's environment for this
        run only, as ansible-core adds ANSIBLE_ASYNC_DIR to it for an async task's module."""
        saved = self._task.environment
        self._task.environment = [*(saved or []), handoff.to_environment()]
        try:
            return self._execute_module(module_args=args, task_vars=task_vars)
        finally:
            self._task.environment = saved

    def _follow_in_slices(self, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        handoff = Handoff(window=PROGRESS_WINDOW)
        lines: list[str] = []
        while True:
            module_result = self._execute_slice(args, task_vars, handoff)
            for line in module_result.get("progress") or []:
                self._show(task_vars, line)
            lines.extend(module_result.get("progress") or [])
            returned = module_result.pop("progress_handoff", None)
            if not returned or module_result.get("failed"):
                module_result["progress"] = lines
                return module_result
            handoff = Handoff.from_dict(returned)
