# A connection to a CodeDeploy lab host, for tests of roles that configure servers (kept with the lab: not shipped
# in the collection).
from __future__ import annotations

DOCUMENTATION = r"""
name: codedeploy_lab_host
short_description: Run tasks in a CodeDeploy lab host
description:
  - Runs commands in a host of a running CodeDeploy lab (an on-premises host started with
    C(codedeploy-lab host start --name NAME), or an EC2 instance's host), as the host's root, through the lab's
    C(POST /_lab/hosts/<name>/exec) endpoint. The command runs inside the host's sandbox like any process of the
    host (its namespaces, capabilities and limits); the lab's control token is needed, as for every C(/_lab/) path.
  - Files are copied in and out through the same endpoint (C(cat)), so they are written and read inside the host.
options:
  host:
    description: The lab host's name (on premises) or instance id (EC2).
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  lab_endpoint:
    description: The lab's endpoint; read from the state directory's C(lab.json) when not given.
    vars:
      - name: ansible_codedeploy_lab_endpoint
    env:
      - name: LAB_ENDPOINT
  lab_token:
    description: The lab's control token; read from the state directory's C(control-token) when not given.
    vars:
      - name: ansible_codedeploy_lab_token
    env:
      - name: LAB_TOKEN
  lab_state_dir:
    description: The lab's state directory, used when O(lab_endpoint) or O(lab_token) is not given.
    default: .lab
    vars:
      - name: ansible_codedeploy_lab_state_dir
    env:
      - name: CODEDEPLOY_LAB_STATE_DIR
  timeout:
    description: Seconds a command may run before the lab kills it.
    default: 600
    type: int
    vars:
      - name: ansible_codedeploy_lab_timeout
"""

import base64
import json
import os
import typing as t
import urllib.error
import urllib.request

from ansible.errors import AnsibleConnectionFailure
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()


class Connection(ConnectionBase):
    transport = "codedeploy_lab_host"
    has_pipelining = True

    def _connect(self) -> Connection:
        self._connected = True
        return self

    def _lab(self) -> tuple[str, str]:
        endpoint, token = self.get_option("lab_endpoint"), self.get_option("lab_token")
        state = os.path.expanduser(self.get_option("lab_state_dir"))
        try:
            if not endpoint:
                with open(os.path.join(state, "lab.json")) as handle:
                    endpoint = json.load(handle)["endpoint"]
            if not token:
                with open(os.path.join(state, "control-token")) as handle:
                    token = handle.read().strip()
        except (OSError, ValueError, KeyError) as error:
            raise AnsibleConnectionFailure(
                f"lab_state_dir: no running lab in {state} ({error}); start one with `codedeploy-lab up`, or set "
                "LAB_ENDPOINT and LAB_TOKEN"
            ) from None
        return endpoint.rstrip("/"), token

    def _exec(self, argv: list[str], stdin: bytes = b"") -> tuple[int, bytes, bytes]:
        endpoint, token = self._lab()
        host = self.get_option("host")
        timeout = int(self.get_option("timeout"))
        body = json.dumps({"argv": argv, "stdin": base64.b64encode(stdin).decode(), "timeout": timeout}).encode()
        request = urllib.request.Request(
            f"{endpoint}/_lab/hosts/{host}/exec",
            data=body,
            method="POST",
            headers={"X-Lab-Token": token, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout + 30) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            try:
                message = json.load(error).get("message", error.reason)
            except ValueError:
                message = error.reason
            raise AnsibleConnectionFailure(f"lab host {host}: {message}") from None
        except OSError as error:
            raise AnsibleConnectionFailure(f"lab host {host}: the lab at {endpoint} does not answer: {error}") from None
        return answer["rc"], base64.b64decode(answer["stdout"]), base64.b64decode(answer["stderr"])

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        display.vvv(f"EXEC {cmd}", host=self.get_option("host"))
        return self._exec(["/bin/sh", "-c", to_text(cmd)], in_data or b"")

    def put_file(self, in_path: str, out_path: str) -> None:
        super().put_file(in_path, out_path)
        display.vvv(f"PUT {in_path} TO {out_path}", host=self.get_option("host"))
        try:
            with open(to_bytes(in_path), "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise AnsibleError(f"cannot read {in_path}: {error}") from None
        rc, _, stderr = self._exec(["/bin/sh", "-c", 'cat > "$1"', "sh", out_path], data)
        if rc != 0:
            raise AnsibleError(f"cannot write {out_path} in lab host {self.get_option('host')}: {to_text(stderr)}")

    def fetch_file(self, in_path: str, out_path: str) -> None:
        super().fetch_file(in_path, out_path)
        display.vvv(f"FETCH {in_path} TO {out_path}", host=self.get_option("host"))
        rc, stdout, stderr = self._exec(["cat", "--", in_path])
        if rc != 0:
            raise AnsibleError(f"cannot read {in_path} in lab host {self.get_option('host')}: {to_text(stderr)}")
        with open(to_bytes(out_path), "wb") as handle:
            handle.write(stdout)

    def close(self) -> None:
        self._connected = False


__all__: t.Sequence[str] = ("Connection",)
