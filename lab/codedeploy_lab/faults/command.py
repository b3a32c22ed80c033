"""``codedeploy-lab fault ...``: the faults from the command line, through the running lab's ``/_lab/faults``."""

from __future__ import annotations

import argparse
import json
import typing as t

from ..lab import LAB_PREFIX
from ..labclient import LabError
from ..labclient import request_lab
from ..labclient import required_lab
from ..labclient import subcommand_adder
from .model import AGENT_ACTIONS
from .model import AGENT_TIMEOUT_MINUTES
from .model import API_ERRORS
from .model import WEB_ACTIONS

# -- the command line: codedeploy-lab fault ... -------------------------------------------------------------------------


def add_fault_command(commands: t.Any, default_state_dir: str) -> None:
    """``codedeploy-lab fault status|clear|api|agent|web|terminate`` (see ``--help``)."""
    fault = commands.add_parser(
        "fault",
        help="inject faults into the running lab (throttling, agents, hosts)",
        description="Inject faults into the running lab; see lab/README.md, Faults.",
    )
    actions = fault.add_subparsers(dest="fault_command", required=True, metavar="FAULT")

    sub = subcommand_adder(actions, default_state_dir, _cli)

    sub("status", "show the faults in force and the calls they failed")
    sub("clear", "turn every fault off")
    api = sub("api", "make a fraction of a service's calls fail (codedeploy: ThrottlingException; s3: 503)")
    api.add_argument("service", choices=sorted(API_ERRORS))
    api.add_argument("--fraction", type=float, help="share of calls that fail, 0 to 1")
    api.add_argument("--error", help="codedeploy: ThrottlingException; s3: SlowDown (default) or ServiceUnavailable")
    api.add_argument("--seed", type=int, default=0, help="seed of the draws (same seed, same calls fail)")
    api.add_argument("--count", type=int, help="stop after this many failures (--fraction 1 --count 3: next three)")
    api.add_argument("--operations", help="comma-separated operations to fail (default: every operation)")
    api.add_argument("--off", action="store_true", help="remove the fault of this service")
    agent = sub("agent", "stop or start a host's CodeDeploy agent")
    agent.add_argument("instance_id")
    agent.add_argument("action", choices=AGENT_ACTIONS)
    agent.add_argument(
        "--timeout-minutes",
        type=float,
        help=f"AWS minutes before events waiting for this agent fail (default {AGENT_TIMEOUT_MINUTES:g})",
    )
    web = sub("web", "make a host's web server answer errors (unhealthy) or pages again (healthy)")
    web.add_argument("instance_id")
    web.add_argument("action", choices=WEB_ACTIONS)
    web.add_argument("--status", type=int, default=503, help="HTTP status while unhealthy (default 503)")
    terminate = sub("terminate", "terminate an instance through EC2, now or when a lifecycle event starts on it")
    terminate.add_argument("instance_id")
    terminate.add_argument("--at-event", help="wait until this lifecycle event is about to start on the host")
    terminate.add_argument("--region", default="us-east-1")


def _cli(args: argparse.Namespace) -> int:
    endpoint, token = required_lab(args.state_dir)
    base = f"{endpoint}{LAB_PREFIX}/faults"

    def _request(method: str, url: str, body: dict[str, t.Any] | None = None) -> t.Any:
        return request_lab(method, url, token, body)

    command = args.fault_command
    if command == "status":
        answer = _request("GET", base)
    elif command == "clear":
        answer = _request("DELETE", base)
    elif command == "api":
        if args.off:
            answer = _request("DELETE", f"{base}/api/{args.service}")
        else:
            if args.fraction is None:
                raise LabError("fault api needs --fraction (0 to 1), or --off to remove the fault")
            body: dict[str, t.Any] = {"fraction": args.fraction, "seed": args.seed}
            for name in ("error", "count", "operations"):
                if getattr(args, name) is not None:
                    body[name] = getattr(args, name)
            answer = _request("PUT", f"{base}/api/{args.service}", body)
    elif command == "agent":
        body = {"action": args.action, **({"timeout_minutes": args.timeout_minutes} if args.timeout_minutes else {})}
        answer = _request("POST", f"{base}/hosts/{args.instance_id}/agent", body)
    elif command == "web":
        answer = _request(
            "POST", f"{base}/hosts/{args.instance_id}/web", {"action": args.action, "status": args.status}
        )
    else:
        body = {"region": args.region, **({"at_event": args.at_event} if args.at_event else {})}
        answer = _request("POST", f"{base}/hosts/{args.instance_id}/terminate", body)
    print(json.dumps(answer, indent=2, sort_keys=True))
    return 0
