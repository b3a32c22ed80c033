# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""codedeploy_revision: the upload (option upload, amazon.aws.s3_object's put) and the registration in one task.

Both run in the controller's process when the task runs on the controller (see plugin_utils/in_process.py),
otherwise as the two modules on the target, one after the other.
"""

from __future__ import annotations

import typing as t

from ansible.plugins.action import ActionBase
from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import execute_in_process
from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import preload
from ansible_collections.rollout.codedeploy.plugins.plugin_utils.in_process import runs_on_controller

# codedeploy_revision's own options; every other argument (credentials, region, endpoint) is shared with s3_object.
OWN_OPTIONS = {
    "application_name",
    "application",
    "revision",
    "description",
    "pin_s3_object",
    "expected_bucket_owner",
    "upload",
}


preload("amazon.aws.s3_object")
preload("rollout.codedeploy.codedeploy_revision")


def upload_arguments(args: dict[str, t.Any]) -> dict[str, t.Any] | str:
    """amazon.aws.s3_object's arguments for the upload the task asks for, or what is wrong with the task."""
    revision = args.get("revision") or {}
    location = revision.get("s3_location") or {}
    if revision.get("revision_type", "S3") != "S3" or not location.get("bucket") or not location.get("key"):
        return (
            "upload: only an S3 revision with s3_location.bucket and s3_location.key can be uploaded; leave upload out"
        )
    if not isinstance(args["upload"], dict) or not args["upload"].get("src"):
        return "upload: give at least src, the local bundle file (the other keys are amazon.aws.s3_object's options)"
    shared = {name: value for name, value in args.items() if name not in OWN_OPTIONS}
    put = {"mode": "put", "bucket": location["bucket"], "object": location["key"]}
    if args.get("expected_bucket_owner"):
        put["expected_bucket_owner"] = args["expected_bucket_owner"]
    return {**shared, **put, **args["upload"]}


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        try:
            uploaded: dict[str, t.Any] | None = None
            if args.get("upload"):
                put = upload_arguments(args)
                if isinstance(put, str):
                    return {**result, "failed": True, "msg": put}
                uploaded = self._run_module(task_vars, "amazon.aws.s3_object", put)
                if uploaded.get("failed"):
                    return {**result, **uploaded}
            args.pop("upload", None)
            registered = self._run_module(task_vars, "rollout.codedeploy.codedeploy_revision", args)
            result.update(registered)
            if uploaded is not None:
                result["upload"] = uploaded
                result["changed"] = bool(registered.get("changed")) or bool(uploaded.get("changed"))
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _run_module(self, task_vars: dict[str, t.Any], name: str, args: dict[str, t.Any]) -> dict[str, t.Any]:
        if runs_on_controller(self):
            return execute_in_process(self, task_vars, args, name)
        return self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
