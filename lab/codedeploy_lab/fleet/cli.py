"""``codedeploy-lab host start|stop|list|exec``: on-premises lab hosts from the command line (``on_premises.py``)."""

from __future__ import annotations

import argparse
import base64
import shlex
import sys
import typing as t
from pathlib import Path

from ..labclient import LabError
from ..labclient import request_lab
from ..labclient import required_lab
from ..labclient import subcommand_adder


def add_host_command(commands: t.Any, default_state_dir: str) -> None:
    host = commands.add_parser(
        "host",
        help="start, stop and enter on-premises lab hosts",
        description="On-premises lab hosts: sandboxed hosts that are no EC2 instance "
        "(no instance metadata); see lab/README.md, On-premises hosts.",
    )
    actions = host.add_subparsers(dest="host_command", required=True, metavar="ACTION")

    sub = subcommand_adder(actions, default_state_dir, _cli)

    sub("start", "start an on-premises host and print how to enter it").add_argument("--name", required=True)
    sub("stop", "stop an on-premises host and remove its root").add_argument("--name", required=True)
    sub("list", "list the lab's hosts (EC2 and on-premises)")
    run = sub("exec", "run a command in a lab host, as its root, and exit with its status")
    run.add_argument("--name", required=True, help="an on-premises host's name or an EC2 instance id")
    run.add_argument("--timeout", type=float, default=600.0, help="seconds before the command is killed (600)")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="the command and its arguments")


def _cli(args: argparse.Namespace) -> int:
    endpoint, token = required_lab(args.state_dir)
    state = Path(args.state_dir).resolve()

    def _request(method: str, path: str, body: t.Any = None, timeout: float = 180.0) -> t.Any:
        return request_lab(method, f"{endpoint}{path}", token, body, timeout)

    command = args.host_command
    if command == "start":
        _request("POST", "/_lab/hosts", {"name": args.name})
        entry = f"codedeploy-lab host exec --state-dir {shlex.quote(args.state_dir)} --name {args.name}"
        print(
            f"on-premises host {args.name} is running (no EC2 instance: no instance metadata; the agent starts "
            "with `systemctl start codedeploy-agent` once "
            "/etc/codedeploy-agent/conf/codedeploy.onpremises.yml names its registration)"
        )
        print(f"  run a command in it:  {entry} -- cat /etc/hostname")
        print(f"  a shell script:       {entry} -- /bin/sh -s < script.sh")
        print(
            f"  as an Ansible host:   {args.name} ansible_connection=codedeploy_lab_host "
            f"ansible_codedeploy_lab_state_dir={state}  (plugin in lab/ansible_plugins/connection)"
        )
        return 0
    if command == "stop":
        _request("DELETE", f"/_lab/hosts/{args.name}")
        print(f"on-premises host {args.name} stopped and removed")
        return 0
    if command == "list":
        for host in _request("GET", "/_lab/hosts")["hosts"]:
            kind = "on-premises" if host.get("on_premises") else "EC2"
            print(f"{host['instance_id']}\t{kind}\t{host['state']}")
        return 0
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise LabError("exec: give the command after --, e.g. codedeploy-lab host exec --name web-1 -- id")
    stdin = b"" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.buffer.read()
    answer = _request(
        "POST",
        f"/_lab/hosts/{args.name}/exec",
        {"argv": argv, "stdin": base64.b64encode(stdin).decode(), "timeout": args.timeout},
        timeout=args.timeout + 30,
    )
    sys.stdout.buffer.write(base64.b64decode(answer["stdout"]))
    sys.stderr.buffer.write(base64.b64decode(answer["stderr"]))
    return int(answer["rc"]) if answer["rc"] >= 0 else 128 - int(answer["rc"])
