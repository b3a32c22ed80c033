# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run this collection's modules inside the controller's worker process when the task runs on the controller.

A module task normally costs a new Python process that unpacks the module, imports boto3 and amazon.aws and builds
a client: about a second on a busy machine for a call that takes a few milliseconds. When the task runs on the
controller anyway (connection local, no become, no async, no task environment), the action plugin imports the
module and calls its main() in the worker Ansible forked for the task: the same code, arguments and result, without
the process. Anything else (a delegated host, become, async, an interpreter without boto3) runs the module as usual.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import traceback
import typing as t

from ansible.module_utils.testing import patch_module_args
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

try:  # ansible-core up to 2.19: a module's result is a plain dict cleaned by this; later cores reshaped results
    from ansible.vars.clean import remove_internal_keys
except ImportError:
    remove_internal_keys = None

display = Display()


def runs_on_controller(action: ActionBase) -> bool:
    """Whether a module of this task would run as the controller's own user on the controller itself.

    Only on an ansible-core whose result handling this file knows (see remove_internal_keys above); on any other,
    every module runs as a process, as Ansible runs it.
    """
    connection = action._connection
    return (
        remove_internal_keys is not None
        and connection.transport == "local"
        and not connection.become
        and not action._task.async_val
        and not any(action._task.environment or [])
    )


def _import_main(module_name: str) -> t.Callable[[], None] | None:
    """The module's main(), or None when it cannot be imported here (then it runs as a process)."""
    namespace, collection, name = module_name.rsplit(".", 2)
    if importlib.util.find_spec("boto3") is None:  # modules import without it, then fail: the target may have it
        display.vvv(f"{module_name}: runs as a module process: the controller's Python has no boto3")
        return None
    try:
        module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}")
    except ImportError as e:  # the controller's Python lacks boto3 although the target interpreter has it
        display.vvv(f"{module_name}: runs as a module process: {e}")
        return None
    return t.cast("t.Callable[[], None]", module.main)


def preload(module_name: str) -> None:
    """Import the module (and with it boto3 and amazon.aws) now.

    The linear strategy loads an action plugin's class in the controller's main process before it forks the task's
    worker, so when the action plugin's file calls this, every worker finds them imported: about 0.3 s less per task.
    """
    _import_main(module_name)


def execute_in_process(
    action: ActionBase,
    task_vars: dict[str, t.Any],
    module_args: dict[str, t.Any] | None = None,
    module_name: str | None = None,
) -> dict[str, t.Any]:
    """What ``action._execute_module(module_name, module_args, task_vars)`` returns, from a run in this process.

    Modules of this collection and of amazon.aws (which the controller can import) run here; any other runs as usual.
    """
    module_name = module_name or action._task.resolved_action or action._task.action
    main = _import_main(module_name) if module_name.startswith(("rollout.codedeploy.", "amazon.aws.")) else None
    args = dict(action._task.args if module_args is None else module_args)
    if main is None:
        return action._execute_module(module_name=module_name, module_args=args, task_vars=task_vars)
    action._update_module_args(module_name, args, task_vars)
    output = io.StringIO()
    try:
        with patch_module_args(args), contextlib.redirect_stdout(output):
            main()
    except SystemExit:  # exit_json and fail_json print the result, then exit
        pass
    except Exception as e:  # a module that raises fails its task, as its process would
        return {"failed": True, "msg": f"MODULE FAILURE: {e!r}", "exception": traceback.format_exc()}
    data = action._parse_returned_data({"stdout": output.getvalue(), "stderr": "", "rc": 0}, "legacy")
    remove_internal_keys(data)
    return data


class InProcessModuleAction(ActionBase):
    """The action plugin of a module that does all its work through AWS APIs: in process on the controller.

    A subclass in plugins/action/<module>.py preloads plugins/modules/<module>.py.
    """

    _supports_check_mode = True
    _supports_async = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        prefix, _sep, name = cls.__module__.rpartition(".plugins.action.")
        if prefix.startswith("ansible_collections."):
            preload(f"{prefix.removeprefix('ansible_collections.')}.{name}")

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        if runs_on_controller(self):
            result.update(execute_in_process(self, task_vars))
            return result
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        try:
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            return result
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
