"""The host agent's hooks: environment, order, runas, timeouts, error codes, log tail, previous-revision events,
and the sandbox (a hook that writes all over the host changes nothing on the machine)."""

from __future__ import annotations

import os
import re
import subprocess
import uuid

import pytest

from codedeploy_lab.agent import DEPLOYMENT_ROOT
from codedeploy_lab.agent import AgentCommand
from codedeploy_lab.agent.bundles import make_bundle
from codedeploy_lab.fleet.testing import IN_PLACE_EVENTS
from codedeploy_lab.fleet.testing import run_lifecycle
from codedeploy_lab.fleet.testing import sh

# The fleet, launch and upload fixtures.
pytest_plugins = ["codedeploy_lab.fleet.fixtures"]

MACHINE_DIRS = ("/var/lib", "/var/www", "/etc", "/opt", "/usr/local/bin", "/lib/systemd/system")


def hooks_revision(upload, hooks: str, scripts: dict, extra_files: dict | None = None, files: str = ""):  # type: ignore[no-untyped-def]
    spec = f"version: 0.0\nos: linux\n{files}hooks:\n{hooks}"
    return upload(make_bundle({"appspec.yml": spec, **scripts, **(extra_files or {})}))


def group() -> str:
    return str(uuid.uuid4())


def entries_with(token: str, directories: tuple[str, ...]) -> list[str]:
    """Machine entries whose name carries the token (other engineers change these directories meanwhile)."""
    found = []
    for directory in directories:
        for parent, dirs, files in os.walk(directory) if os.path.isdir(directory) else ():
            found += [os.path.join(parent, name) for name in dirs + files if token in name]
            if parent.count("/") - directory.count("/") >= 2:
                dirs[:] = []
    return found


def test_a_hook_that_writes_all_over_the_host_changes_nothing_on_the_machine(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    token = uuid.uuid4().hex[:10]
    script = f"""#!/bin/bash
set -e
mkdir -p /var/lib/myapp /var/www/html /opt/myapp /usr/local/bin /etc/systemd/system /etc/init.d
echo {token} > /var/lib/myapp/state-{token}
echo {token} > /var/www/html/page-{token}.html
echo {token} > /etc/myapp-{token}.conf
printf '#!/bin/sh\\necho {token}\\n' > /etc/init.d/myapp-{token}
echo {token} > /opt/myapp/app-{token}
printf '#!/bin/sh\\necho binary {token}\\n' > /usr/local/bin/myapp-{token} && chmod +x /usr/local/bin/myapp-{token}
printf '[Service]\\nExecStart=/usr/local/bin/myapp-{token}\\n' > /etc/systemd/system/myapp-{token}.service
systemctl daemon-reload
systemctl enable --now myapp-{token}
myapp-{token}
"""
    assert entries_with(token, MACHINE_DIRS) == []
    revision = hooks_revision(
        upload, "  AfterInstall:\n    - location: scripts/write.sh\n", {"scripts/write.sh": (script, 0o755)}
    )
    outcomes = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision)
    assert [o.status for o in outcomes.values()] == ["Succeeded"] * 7, outcomes
    assert f"[stdout]binary {token}" in outcomes["AfterInstall"].output_tail

    assert entries_with(token, MACHINE_DIRS) == []
    for path in (
        f"/var/lib/myapp/state-{token}",
        f"/var/www/html/page-{token}.html",
        f"/etc/myapp-{token}.conf",
        f"/opt/myapp/app-{token}",
        f"/usr/local/bin/myapp-{token}",
        f"/etc/init.d/myapp-{token}",
        f"/etc/systemd/system/myapp-{token}.service",
    ):
        assert not os.path.lexists(path), f"{path} reached the machine"
        assert host.read_file(path) is not None, f"{path} missing on the host"
    assert host.services[f"myapp-{token}"].running


def test_hooks_get_the_agents_environment_and_run_in_order(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    record = (
        'echo "$LIFECYCLE_EVENT $DEPLOYMENT_ID $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $DEPLOYMENT_GROUP_ID '
        '$BUNDLE_BUCKET $BUNDLE_KEY $BUNDLE_ETAG cwd=$(pwd) user=$(id -un)" >> /tmp/hook-calls\n'
    )
    hooks = "".join(
        f"  {event}:\n    - location: scripts/record.sh\n"
        for event in (
            "ApplicationStop",
            "BeforeInstall",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService",
            "BeforeAllowTraffic",
            "AfterAllowTraffic",
        )
    )
    # No #! and mode 0644: the agent makes it executable and the lab runs it with /bin/sh.
    revision = hooks_revision(
        upload,
        hooks + "  Install:\n    - location: scripts/never.sh\n",
        {"scripts/record.sh": (record, 0o644), "scripts/never.sh": "exit 1\n"},
    )
    group_id = group()
    events = IN_PLACE_EVENTS + ("BeforeAllowTraffic", "AfterAllowTraffic")
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision,
        events=events,
        deployment_id="d-ENVIRON01",
        application_name="shop",
        deployment_group_name="shop-web",
    )
    assert all(o.succeeded for o in outcomes.values()), outcomes
    assert outcomes["ApplicationStop"].noop  # first deployment of the group on this host
    assert outcomes["DownloadBundle"].diagnostics() == {
        "errorCode": "Success",
        "scriptName": "",
        "message": "Succeeded",
        "logTail": "",
    }
    calls = host.read_file("/tmp/hook-calls").decode().splitlines()
    tail = (
        f"d-ENVIRON01 shop shop-web {group_id} {revision.bucket} {revision.key} {revision.etag} "
        f"cwd=/opt/codedeploy-agent user=root"
    )
    assert calls == [
        f"{event} {tail}"
        for event in (
            "BeforeInstall",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService",
            "BeforeAllowTraffic",
            "AfterAllowTraffic",
        )
    ]
    code, mode = sh(host, f"stat -c %a {DEPLOYMENT_ROOT}/{group_id}/d-ENVIRON01/deployment-archive/scripts/record.sh")
    assert mode.strip() == "755"
    log = host.read_file(f"{DEPLOYMENT_ROOT}/{group_id}/d-ENVIRON01/logs/scripts.log").decode()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d LifecycleEvent - BeforeInstall$", log, re.M)
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Script - scripts/record.sh$", log, re.M)
    agent_log = host.read_file("/var/log/aws/codedeploy-agent/codedeploy-agent.log").decode().splitlines()
    assert len(agent_log) == len(events) and all("for deployment d-ENVIRON01" in line for line in agent_log)
    assert agent_log[1].endswith(f"DownloadBundle for deployment d-ENVIRON01 (group {group_id}): Succeeded")
    deployments_log = host.read_file(f"{DEPLOYMENT_ROOT}/deployment-logs/codedeploy-agent-deployments.log").decode()
    assert re.search(
        r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[d-ENVIRON01\]LifecycleEvent - ValidateService$",
        deployments_log,
        re.M,
    )


def test_scripts_of_one_event_run_in_order_and_the_first_failure_stops_the_event(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    hooks = (
        "  ApplicationStart:\n    - location: scripts/one.sh\n    - location: scripts/fail.sh\n"
        "    - location: scripts/three.sh\n"
    )
    revision = hooks_revision(
        upload,
        hooks,
        {
            "scripts/one.sh": "#!/bin/sh\necho one >> /tmp/order\n",
            "scripts/fail.sh": "#!/bin/sh\necho 'about to fail'\necho 'oops' >&2\nexit 3\n",
            "scripts/three.sh": "#!/bin/sh\necho three >> /tmp/order\n",
        },
    )
    outcomes = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision)
    assert list(outcomes)[-1] == "ApplicationStart"  # ValidateService never ran
    outcome = outcomes["ApplicationStart"]
    assert outcome.diagnostics() == {
        "errorCode": "ScriptFailed",
        "scriptName": "scripts/fail.sh",
        "message": "Script at specified location: scripts/fail.sh failed with exit code 3",
        "logTail": "LifecycleEvent - ApplicationStart\nScript - scripts/one.sh\nScript - scripts/fail.sh\n"
        "[stdout]about to fail\n[stderr]oops\n",
    }
    assert host.read_file("/tmp/order") == b"one\n"
    assert outcome.started_at <= outcome.ended_at


def test_missing_script(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    revision = hooks_revision(upload, "  BeforeInstall:\n    - location: scripts/nope.sh\n", {"README": "x"})
    outcome = run_lifecycle(
        fleet.agent, host, deployment_group_id=group_id, revision=revision, deployment_id="d-MISSING01"
    )["BeforeInstall"]
    assert outcome.diagnostics() == {
        "errorCode": "ScriptMissing",
        "scriptName": "scripts/nope.sh",
        "message": f"Script does not exist at specified location: "
        f"{DEPLOYMENT_ROOT}/{group_id}/d-MISSING01/deployment-archive/scripts/nope.sh",
        "logTail": "LifecycleEvent - BeforeInstall\nScript - scripts/nope.sh\n",
    }


def test_timeout_terminates_the_script_and_everything_it_started(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    script = "#!/bin/sh\necho starting\nsleep 301 >/dev/null 2>&1 &\nsleep 302\n"
    revision = hooks_revision(
        upload, "  ApplicationStart:\n    - location: scripts/slow.sh\n      timeout: 2\n", {"scripts/slow.sh": script}
    )
    outcome = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision)["ApplicationStart"]
    assert (outcome.error_code, outcome.message) == (
        "ScriptTimedOut",
        "Script at specified location: scripts/slow.sh failed to complete in 2 seconds",
    )
    assert outcome.log_tail.endswith("[stdout]starting\n")
    assert 1.5 < (outcome.ended_at - outcome.started_at).total_seconds()
    code, output = sh(host, "ps -e -o args=")
    assert "sleep 301" not in output and "sleep 302" not in output, output


def test_a_background_process_holding_stdout_fails_the_script(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    revision = hooks_revision(
        upload,
        "  ApplicationStart:\n    - location: scripts/daemon.sh\n      timeout: 2\n",
        {"scripts/daemon.sh": "#!/bin/sh\nsleep 303 &\necho started\n"},
    )
    outcome = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision)["ApplicationStart"]
    assert (outcome.error_code, outcome.message) == (
        "ScriptFailed",
        "Script at specified location: scripts/daemon.sh failed to close STDOUT",
    )


def test_log_tail_keeps_the_newest_entries_under_2048_characters(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    script = '#!/bin/sh\nfor i in $(seq 1 400); do echo "line $i of the noisy script"; done\nexit 1\n'
    revision = hooks_revision(
        upload, "  AfterInstall:\n    - location: scripts/noisy.sh\n", {"scripts/noisy.sh": script}
    )
    outcome = run_lifecycle(
        fleet.agent, host, deployment_group_id=group_id, revision=revision, deployment_id="d-NOISY0001"
    )["AfterInstall"]
    assert outcome.error_code == "ScriptFailed"
    assert 1900 < len(outcome.log_tail) < 2048
    assert outcome.log_tail.endswith("[stdout]line 400 of the noisy script\n")
    assert outcome.log_tail.startswith("[stdout]line ")
    log = host.read_file(f"{DEPLOYMENT_ROOT}/{group_id}/d-NOISY0001/logs/scripts.log").decode()
    assert log.count("of the noisy script") == 400


def test_runas_runs_the_script_as_that_user(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    hooks = (
        "  AfterInstall:\n    - location: scripts/whoami.sh\n      runas: ec2-user\n"
        "    - location: scripts/whoami.sh\n      runas: ubuntu\n      sudo: true\n"
        "  ApplicationStart:\n    - location: scripts/whoami.sh\n      runas: apache\n"
    )
    revision = hooks_revision(upload, hooks, {"scripts/whoami.sh": '#!/bin/sh\necho "I am $(id -un)"\n'})
    outcomes = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision)
    assert outcomes["AfterInstall"].succeeded
    assert "[stdout]I am ec2-user" in outcomes["AfterInstall"].output_tail
    assert "[stdout]I am ubuntu" in outcomes["AfterInstall"].output_tail  # sudo su ubuntu -c ...
    # apache has /sbin/nologin as its shell, as on Amazon Linux, so su refuses: the agent reports it.
    assert (
        outcomes["ApplicationStart"].message
        == "Script at specified location: scripts/whoami.sh run as user apache failed with exit code 1"
    )


def test_application_stop_and_block_traffic_hooks_run_from_the_last_successful_install(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    hooks = (
        "  ApplicationStop:\n    - location: scripts/stop.sh\n  BeforeBlockTraffic:\n    - location: scripts/block.sh\n"
    )

    def revision(version: str):  # type: ignore[no-untyped-def]
        return hooks_revision(
            upload,
            hooks,
            {
                "scripts/stop.sh": f"#!/bin/sh\necho 'stop {version}' >> /tmp/stops\n",
                "scripts/block.sh": f"#!/bin/sh\necho 'block {version}' >> /tmp/stops\n",
            },
        )

    events = ("BeforeBlockTraffic",) + IN_PLACE_EVENTS
    first = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision("v1"),
        events=events,
        deployment_id="d-REVISION1",
    )
    assert all(o.succeeded for o in first.values()) and first["ApplicationStop"].noop
    assert first["BeforeBlockTraffic"].noop and host.read_file("/tmp/stops") is None

    second = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision("v2"),
        events=events,
        deployment_id="d-REVISION2",
    )
    assert all(o.succeeded for o in second.values())
    assert host.read_file("/tmp/stops") == b"block v1\nstop v1\n"
    # The previous revision's scripts log into the previous deployment's logs.
    assert (
        "LifecycleEvent - ApplicationStop"
        in host.read_file(f"{DEPLOYMENT_ROOT}/{group_id}/d-REVISION1/logs/scripts.log").decode()
    )

    run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=revision("v3"), events=events)
    assert host.read_file("/tmp/stops") == b"block v1\nstop v1\nblock v2\nstop v2\n"

    # Another group on the same host has no previous install of its own: its ApplicationStop is a no-op.
    other = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        revision=revision("x"),
        events=("ApplicationStop",),
        file_exists_behavior="OVERWRITE",
    )
    assert other["ApplicationStop"].noop


def test_failed_application_stop_of_the_previous_revision(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    broken = hooks_revision(
        upload, "  ApplicationStop:\n    - location: stop.sh\n", {"stop.sh": "#!/bin/sh\necho cannot stop\nexit 7\n"}
    )
    fixed = hooks_revision(upload, "  ApplicationStop:\n    - location: stop.sh\n", {"stop.sh": "#!/bin/sh\n"})
    assert run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=broken)["ValidateService"].succeeded
    outcome = run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=fixed)["ApplicationStop"]
    assert (outcome.error_code, outcome.script_name) == ("ScriptFailed", "stop.sh")
    assert "[stdout]cannot stop" in outcome.log_tail


@pytest.mark.parametrize("event", ["BlockTraffic", "AllowTraffic", "Start"])
def test_service_side_events_are_not_the_agents(fleet, launch, event: str) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    outcome = fleet.agent.run_event(host, AgentCommand(event, "d-X", "a", "g", group(), None))
    assert (outcome.status, outcome.message) == ("Failed", f"Unsupported lifecycle event for the host agent: {event}")


def test_a_script_that_cannot_be_made_executable(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    revision = hooks_revision(
        upload, "  AfterInstall:\n    - location: scripts/plain.sh\n", {"scripts/plain.sh": ("echo hi\n", 0o644)}
    )
    first = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision,
        events=("DownloadBundle",),
        deployment_id="d-READONLY1",
    )
    assert first["DownloadBundle"].succeeded
    # A read-only archive (mounted inside the host's own namespace): chmod +x fails as it would on a read-only disk.
    scripts = f"{DEPLOYMENT_ROOT}/{group_id}/d-READONLY1/deployment-archive/scripts"
    # Host root may not mount: the machine's root does it in the host's mount namespace.
    subprocess.run(
        [
            "nsenter",
            f"--target={host.sandbox.init_pid}",
            "--mount",
            "--",
            "sh",
            "-c",
            f"mount --bind {scripts} {scripts} && mount -o remount,bind,ro {scripts}",
        ],
        check=True,
    )
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision,
        events=("AfterInstall",),
        deployment_id="d-READONLY1",
    )["AfterInstall"]
    assert outcome.diagnostics() == {
        "errorCode": "ScriptNotExecutable",
        "scriptName": "scripts/plain.sh",
        "message": "Unable to set script at specified location: scripts/plain.sh as executable",
        "logTail": "LifecycleEvent - AfterInstall\nScript - scripts/plain.sh\n",
    }
