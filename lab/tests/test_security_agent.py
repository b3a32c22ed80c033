"""The agent stays inside the archive, within bounds (issue #16): each attack that used to work fails with the agent's
error, and the next deployment to the same host or group still succeeds.

Escapes and bombs run through the agent on a real lab host (``codedeploy_lab.fleet.testing``); the hour limit and
StopDeployment run through real deployments (boto3 against a lab process).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import tarfile
import threading
import typing as t
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from codedeploy_lab.agent import DEPLOYMENT_ROOT
from codedeploy_lab.agent import AgentCommand
from codedeploy_lab.agent.bundles import make_bundle
from codedeploy_lab.deployments.testing import failures
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.fleet.testing import IN_PLACE_EVENTS
from codedeploy_lab.fleet.testing import run_lifecycle
from codedeploy_lab.fleet.testing import sh
from codedeploy_lab.testing import running_lab

# The fleet, launch and upload fixtures.
pytest_plugins = ["codedeploy_lab.fleet.fixtures"]

GOOD_APPSPEC = """version: 0.0
os: linux
files:
  - source: /app
    destination: /opt/good-{token}
hooks:
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 60
"""


def group() -> str:
    return str(uuid.uuid4())


def good_revision(upload, token: str):  # type: ignore[no-untyped-def]
    return upload(
        make_bundle(
            {
                "appspec.yml": GOOD_APPSPEC.format(token=token),
                "app/VERSION": token,
                "scripts/start.sh": (f"#!/bin/sh\necho {token} > /tmp/started-{token}\n", 0o755),
            }
        )
    )


def assert_next_deployment_succeeds(fleet, host, upload, group_id: str) -> None:  # type: ignore[no-untyped-def]
    token = secrets.token_hex(4)
    outcomes = run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=good_revision(upload, token))
    assert [o.status for o in outcomes.values()] == ["Succeeded"] * 7, {e: o.diagnostics() for e, o in outcomes.items()}
    assert host.read_file(f"/tmp/started-{token}") == f"{token}\n".encode()
    assert host.read_file(f"/opt/good-{token}/VERSION") == token.encode()


# -- files.source and hook locations resolve inside the archive ------------------------------------------------------


def test_a_files_source_outside_the_archive_is_refused(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    spec = "version: 0.0\nos: linux\nfiles:\n  - source: ../../../../../../etc/hostname\n    destination: /opt/leak\n"
    outcomes = run_lifecycle(
        fleet.agent, host, deployment_group_id=group_id, revision=upload(make_bundle({"appspec.yml": spec}))
    )
    install = outcomes["Install"]
    assert (install.error_code, install.script_name) == ("UnknownError", "")
    assert "specifies a source file (../../../../../../etc/hostname) that is outside the revision" in install.message
    assert host.read_file("/opt/leak/hostname") is None
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


@pytest.mark.parametrize("location", ["/bin/true", "../../usr/bin/id", "../../../../../../../../usr/bin/id"])
def test_a_hook_location_outside_the_archive_is_a_missing_script(fleet, launch, upload, location) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    spec = f"version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: {location}\n"
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        deployment_id="d-OUTSIDE01",
        revision=upload(make_bundle({"appspec.yml": spec})),
    )
    archive = f"{DEPLOYMENT_ROOT}/{group_id}/d-OUTSIDE01/deployment-archive"
    assert outcomes["BeforeInstall"].diagnostics() == {
        "errorCode": "ScriptMissing",
        "scriptName": location,
        "message": f"Script does not exist at specified location: {archive}/{location.lstrip('/')}",
        "logTail": f"LifecycleEvent - BeforeInstall\nScript - {location}\n",
    }
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


def test_a_leading_slash_in_a_hook_location_means_the_archive_root(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    token = secrets.token_hex(4)
    spec = (
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: /scripts/after.sh\n"
        "  ApplicationStart:\n    - location: /scripts/start.sh\n      timeout: 30\n"
    )
    revision = upload(
        make_bundle(
            {
                "appspec.yml": spec,
                "scripts/after.sh": (f"#!/bin/sh\necho after {token} >> /tmp/ran\n", 0o755),
                "scripts/start.sh": (f"#!/bin/sh\necho start {token} >> /tmp/ran\n", 0o755),
            }
        )
    )
    outcomes = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision)
    assert [o.status for o in outcomes.values()] == ["Succeeded"] * 7, {e: o.diagnostics() for e, o in outcomes.items()}
    assert host.read_file("/tmp/ran") == f"after {token}\nstart {token}\n".encode()


# -- unpacking never writes through a link ------------------------------------------------------------------------


def link_chain_zip(token: str) -> bytes:
    """``a/b -> ..``, ``a/b/c -> ..``, then a file under ``a/b/c``: links first, as an attacker orders them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, target in (("a/b", ".."), ("a/b/c", "..")):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, target)
        archive.writestr("appspec.yml", "version: 0.0\nos: linux\n")
        archive.writestr(f"a/b/c/escaped-{token}", token)
    return buffer.getvalue()


def link_chain_tar(token: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, target in (("a/b", ".."), ("a/b/c", "..")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
        for name, content in (("appspec.yml", b"version: 0.0\nos: linux\n"), (f"a/b/c/escaped-{token}", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.mark.parametrize("bundle_type,build", [("zip", link_chain_zip), ("tgz", link_chain_tar)])
def test_a_chain_of_links_cannot_carry_a_file_outside_the_archive(fleet, launch, upload, bundle_type, build) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    token = secrets.token_hex(4)
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        deployment_id="d-LINKCHAIN",
        revision=upload(build(token), bundle_type),
    )
    download = outcomes["DownloadBundle"]
    assert download.error_code == "UnknownError"
    assert "contains an entry that would be unpacked outside the deployment archive directory: a/b" in download.message
    code, found = sh(host, f"find {DEPLOYMENT_ROOT} -name 'escaped-{token}'")
    assert found.strip() == "", f"written outside the archive: {found}"
    code, left = sh(host, f"ls {DEPLOYMENT_ROOT}/{group_id}/d-LINKCHAIN")
    assert left.split() == ["bundle.tar", "logs"]  # the refused unpacking left nothing behind
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


def test_a_link_whose_target_leaves_the_archive_through_another_link_is_refused(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    # ``a/b/../..`` is lexically the archive itself, but ``a/b`` leads to the archive, so ``x`` leads two levels up.
    bundle = make_bundle(
        {"appspec.yml": "version: 0.0\nos: linux\n"}, symlinks={"a/b": "..", "x": "a/b/../.."}, bundle_type="tar"
    )
    download = run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=upload(bundle, "tar"))[
        "DownloadBundle"
    ]
    assert download.error_code == "UnknownError"
    assert download.message.endswith("outside the deployment archive directory: x -> a/b/../..")
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


def test_a_large_bundle_arrives_intact_through_the_stream(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    """Several MiB of random bytes: streamed from S3 a chunk at a time into the host, checked against the ETag."""
    host = launch()
    payload = secrets.token_bytes(5 << 20)
    spec = "version: 0.0\nos: linux\nfiles:\n  - source: /payload.bin\n    destination: /opt/large\n"
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        revision=upload(make_bundle({"appspec.yml": spec, "payload.bin": payload}, "tgz"), "tgz"),
    )
    assert [o.status for o in outcomes.values()] == ["Succeeded"] * 7, {e: o.diagnostics() for e, o in outcomes.items()}
    code, digest = sh(host, "sha256sum /opt/large/payload.bin")
    assert digest.split()[0] == hashlib.sha256(payload).hexdigest()


# -- bounds on unpacking ------------------------------------------------------------------------------------------


def zip_bomb(unpacked_bytes: int) -> bytes:
    """One entry of zeros: deflate squeezes about 1,000 bytes into one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("appspec.yml", "version: 0.0\nos: linux\n")
        with archive.open("zeros.bin", "w", force_zip64=True) as entry:
            block = bytes(1 << 20)
            for _ in range(unpacked_bytes >> 20):
                entry.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_the_ratio_limit_with_the_flag_to_raise_it(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    bomb = zip_bomb(300 << 20)
    assert len(bomb) < 400_000  # the 306 KB zip of the report, unpacking to 300 MiB
    outcomes = run_lifecycle(
        fleet.agent, host, deployment_group_id=group_id, deployment_id="d-ZIPBOMB01", revision=upload(bomb)
    )
    download = outcomes["DownloadBundle"]
    assert download.error_code == "UnknownError"
    assert f"it unpacks to more than 100 times its size ({len(bomb)} bytes)" in download.message
    assert "codedeploy-lab up --max-ratio N" in download.message and "CODEDEPLOY_LAB_MAX_RATIO" in download.message
    code, used = sh(host, f"du -sk {DEPLOYMENT_ROOT}/{group_id}/d-ZIPBOMB01")
    assert int(used.split()[0]) < 1024, used  # the partial unpacking was removed
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


ALIAS_BOMB = "version: 0.0\nos: linux\n" + "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9) if level else 'lol'}]\n" for level in range(10)
)


@pytest.mark.parametrize(
    "appspec,limit",
    [
        (ALIAS_BOMB, "expands to more than 100000 YAML nodes"),
        ("version: 0.0\nos: linux\nx: &x 1\ny: [" + ", ".join(["*x"] * 101) + "]\n", "uses more than 100 YAML aliases"),
        ("version: 0.0\nos: linux\n#" + "x" * (1 << 20), "larger than 1024 KiB"),
    ],
)
def test_an_appspec_bomb_is_refused_before_it_is_expanded(fleet, launch, upload, appspec, limit) -> None:  # type: ignore[no-untyped-def]
    """The lab parses a revision's appspec in its own process: nested aliases or a huge file must not reach it."""
    host = launch()
    group_id = group()
    outcomes = run_lifecycle(
        fleet.agent, host, deployment_group_id=group_id, revision=upload(make_bundle({"appspec.yml": appspec}))
    )
    failed = [outcome for outcome in outcomes.values() if not outcome.succeeded]
    # BeforeInstall is the first event that reads the new revision's appspec.
    assert failed and failed[0].event == "BeforeInstall" and failed[0].error_code == "UnknownError", outcomes
    assert limit in failed[0].message and "Write the repeated parts out" in failed[0].message
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


def test_entry_count_limit(fleet, launch, upload, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    monkeypatch.setenv("CODEDEPLOY_LAB_MAX_ENTRIES", "50")  # the agent runs in this test process
    many = {f"files/{n}.txt": str(n) for n in range(60)}
    download = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=upload(make_bundle({"appspec.yml": "version: 0.0\nos: linux\n", **many})),
    )["DownloadBundle"]
    assert download.error_code == "UnknownError"
    assert "it holds more than 50 entries" in download.message and "--max-entries" in download.message
    monkeypatch.setenv("CODEDEPLOY_LAB_MAX_ENTRIES", "not-a-number")
    download = run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=good_revision(upload, "x"))[
        "DownloadBundle"
    ]
    assert download.message == (
        "CODEDEPLOY_LAB_MAX_ENTRIES='not-a-number' is not a whole number: set it to a "
        "positive integer (default 500000) or unset it"
    )
    monkeypatch.delenv("CODEDEPLOY_LAB_MAX_ENTRIES")
    assert_next_deployment_succeeds(fleet, host, upload, group_id)


# -- the service's side: the hour limit and StopDeployment, through real deployments ------------------------------


class Group(t.NamedTuple):
    application: str
    name: str
    instances: list[str]


def make_group(lab, count: int = 1) -> Group:  # type: ignore[no-untyped-def]
    tag = unique("security")
    ec2 = lab.client("ec2")
    instances = sorted(
        i["InstanceId"]
        for i in ec2.run_instances(
            ImageId="ami-03cf127a",
            MinCount=count,
            MaxCount=count,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Security", "Value": tag}]}],
        )["Instances"]
    )
    wait_for(lambda: all(lab.get(f"/_lab/hosts/{i}").get("booted") for i in instances), "hosts booted", 120)
    role = lab.client("iam").create_role(RoleName=tag, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    codedeploy = lab.client("codedeploy")
    codedeploy.create_application(applicationName=tag)
    codedeploy.create_deployment_group(
        applicationName=tag,
        deploymentGroupName=tag,
        serviceRoleArn=role,
        ec2TagFilters=[{"Key": "Security", "Value": tag, "Type": "KEY_AND_VALUE"}],
    )
    return Group(tag, tag, instances)


def start_deployment(
    lab,
    group: Group,
    scripts: dict[str, tuple[str, int]],  # type: ignore[no-untyped-def]
    hooks: str,
) -> str:
    s3 = lab.client("s3")
    bucket = unique("security")
    s3.create_bucket(Bucket=bucket)
    bundle = make_bundle({"appspec.yml": f"version: 0.0\nos: linux\nhooks:\n{hooks}", **scripts})
    s3.put_object(Bucket=bucket, Key="bundle.zip", Body=bundle)
    return t.cast(
        str,
        lab.client("codedeploy").create_deployment(
            applicationName=group.application,
            deploymentGroupName=group.name,
            deploymentConfigName="CodeDeployDefault.AllAtOnce",
            revision={"revisionType": "S3", "s3Location": {"bucket": bucket, "key": "bundle.zip", "bundleType": "zip"}},
        )["deploymentId"],
    )


def deploy_good_revision(lab, group: Group) -> None:  # type: ignore[no-untyped-def]
    deployment_id = start_deployment(
        lab,
        group,
        {"scripts/ok.sh": ("#!/bin/sh\necho fine\n", 0o755)},
        "  ApplicationStart:\n    - location: scripts/ok.sh\n",
    )
    info = wait_deployment(lab.client, deployment_id)
    assert info["status"] == "Succeeded", failures(lab.client, deployment_id)


def event_of(lab, deployment_id: str, instance_id: str, name: str) -> dict[str, t.Any]:  # type: ignore[no-untyped-def]
    return next(
        e
        for e in targets_of(lab.client, deployment_id)[instance_id]["lifecycleEvents"]
        if e["lifecycleEventName"] == name
    )


@pytest.fixture(scope="module")
def fast_lab(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A lab whose AWS minute lasts 0.05 s: the service's hour is 3 lab seconds."""
    with running_lab(tmp_path_factory.mktemp("fast") / "state", time_factor=0.05) as lab:
        yield lab


def test_a_hook_allowed_more_than_an_hour_fails_at_the_services_hour(fast_lab) -> None:  # type: ignore[no-untyped-def]
    group = make_group(fast_lab)
    try:
        deployment_id = start_deployment(
            fast_lab,
            group,
            {"scripts/forever.sh": ("#!/bin/sh\necho sleeping\nexec sleep 100000\n", 0o755)},
            "  ApplicationStart:\n    - location: scripts/forever.sh\n      timeout: 7200\n",
        )
        info = wait_deployment(fast_lab.client, deployment_id, timeout=120)
        assert info["status"] == "Failed", info
        event = event_of(fast_lab, deployment_id, group.instances[0], "ApplicationStart")
        assert event["status"] == "Failed"
        assert event["diagnostics"]["errorCode"] == "UnknownError"
        assert event["diagnostics"]["message"].startswith("The lifecycle event did not complete within 3600 seconds")
        assert event["diagnostics"]["scriptName"] == "scripts/forever.sh"
        assert "[stdout]sleeping" in event["diagnostics"]["logTail"]
        assert event_of(fast_lab, deployment_id, group.instances[0], "ValidateService")["status"] == "Skipped"
        deploy_good_revision(fast_lab, group)
    finally:
        terminate(fast_lab.client, group.instances)


def test_stop_deployment_ends_a_running_hook_and_the_group_takes_the_next_deployment(lab) -> None:  # type: ignore[no-untyped-def]
    group = make_group(lab)
    instance = group.instances[0]
    marker = f"/var/tmp/stopped-{secrets.token_hex(4)}"
    script = (
        f"#!/bin/bash\ntrap 'echo terminated > {marker}; exit 143' TERM\ntouch {marker}.ready\n"
        "echo waiting\nsleep 1000 &\nwait\n"
    )
    root = Path(lab.get(f"/_lab/hosts/{instance}")["root"])
    try:
        deployment_id = start_deployment(
            lab,
            group,
            {"scripts/wait.sh": (script, 0o755)},
            "  ApplicationStart:\n    - location: scripts/wait.sh\n      timeout: 3000\n",
        )
        wait_for(lambda: (root / f"{marker}.ready".lstrip("/")).exists(), "the hook to run, its trap set", 120)
        codedeploy = lab.client("codedeploy")
        answer = codedeploy.stop_deployment(deploymentId=deployment_id)
        assert answer["status"] == "Pending", answer
        info = wait_deployment(lab.client, deployment_id, timeout=60)
        assert info["status"] == "Stopped"
        assert info["errorInformation"] == {"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
        target = targets_of(lab.client, deployment_id)[instance]
        assert target["status"] == "Failed"
        event = event_of(lab, deployment_id, instance, "ApplicationStart")
        assert (event["status"], event["diagnostics"]["errorCode"]) == ("Failed", "UnknownError")
        assert "the deployment was stopped" in event["diagnostics"]["message"]
        assert event_of(lab, deployment_id, instance, "ValidateService")["status"] == "Skipped"
        assert (root / marker.lstrip("/")).read_text() == "terminated\n"  # the hook got SIGTERM first
        deploy_good_revision(lab, group)
    finally:
        terminate(lab.client, group.instances)


def test_stop_ends_a_script_that_ignores_sigterm_with_sigkill(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    """The agent on a real host, stopped as the engine stops it: SIGTERM is ignored, SIGKILL follows the grace."""
    host = launch()
    group_id = group()
    token = secrets.token_hex(4)
    script = f"#!/bin/bash\ntrap '' TERM\ntouch /tmp/ready-{token}\nwhile true; do sleep 1; done\n"
    spec = (
        "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/stubborn.sh\n"
        "      timeout: 3000\n"
    )
    revision = upload(make_bundle({"appspec.yml": spec, "scripts/stubborn.sh": (script, 0o755)}))
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision,
        events=IN_PLACE_EVENTS[:5],
        deployment_id="d-STUBBORN1",
    )
    assert all(o.succeeded for o in outcomes.values()), outcomes
    stop = threading.Event()
    command = AgentCommand(
        event="ApplicationStart",
        deployment_id="d-STUBBORN1",
        application_name="app",
        deployment_group_name="group",
        deployment_group_id=group_id,
        revision=revision,
        stop_requested=stop,
    )
    running = ThreadPoolExecutor(1).submit(fleet.agent.run_event, host, command)
    wait_for(lambda: host.read_file(f"/tmp/ready-{token}") is not None, "the hook to run, SIGTERM ignored", 60)
    stop.set()
    outcome = running.result(timeout=60)
    assert (outcome.error_code, outcome.script_name) == ("UnknownError", "scripts/stubborn.sh")
    assert outcome.message == "The lifecycle event was ended because the deployment was stopped (StopDeployment)"
    code, processes = sh(host, "ps -e -o args=")
    assert "stubborn.sh" not in processes, processes
    assert_next_deployment_succeeds(fleet, host, upload, group_id)
