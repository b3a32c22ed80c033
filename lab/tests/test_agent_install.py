"""The host agent's DownloadBundle and Install: bundles from the lab's S3, archive safety, the deployment root,
file_exists_behavior with the per-group cleanup file, permissions."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest

from codedeploy_lab.agent import DEPLOYMENT_ROOT
from codedeploy_lab.agent.bundles import make_bundle
from codedeploy_lab.fleet.testing import run_lifecycle
from codedeploy_lab.fleet.testing import sh

# The fleet, launch and upload fixtures.
pytest_plugins = ["codedeploy_lab.fleet.fixtures"]

INSTALL_EVENTS = ("ApplicationStop", "DownloadBundle", "BeforeInstall", "Install")


def appspec(files: str = "", extra: str = "") -> str:
    return f"version: 0.0\nos: linux\n{extra}files:\n{files}"


def page_revision(upload, text: str, behavior_line: str = ""):  # type: ignore[no-untyped-def]
    spec = appspec("  - source: index.html\n    destination: /var/www/html\n", behavior_line)
    return upload(make_bundle({"appspec.yml": spec, "index.html": text}))


def group() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize("bundle_type", ["zip", "tar", "tgz"])
def test_bundle_types_unpack_and_the_deployment_root_has_the_agents_layout(fleet, launch, upload, bundle_type) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    bundle = make_bundle(
        {
            "appspec.yml": appspec("  - source: site\n    destination: /opt/site\n"),
            "site/index.html": "hi\n",
            "site/css/app.css": "body{}\n",
            "scripts/run.sh": ("#!/bin/sh\necho run\n", 0o755),
        },
        bundle_type,
        top_dir="myapp-1.0",
    )
    revision = upload(bundle, bundle_type)
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group_id,
        revision=revision,
        events=INSTALL_EVENTS,
        deployment_id="d-LAYOUT001",
    )
    assert [o.status for o in outcomes.values()] == ["Succeeded"] * 4, outcomes
    deployment_dir = f"{DEPLOYMENT_ROOT}/{group_id}/d-LAYOUT001"
    code, listing = sh(
        host, f"cd {DEPLOYMENT_ROOT} && find . | sort && stat -c %a {deployment_dir}/deployment-archive/scripts/run.sh"
    )
    assert code == 0, listing
    for expected in (
        f"./{group_id}/d-LAYOUT001/bundle.tar",
        f"./{group_id}/d-LAYOUT001/deployment-archive/appspec.yml",  # top directory stripped
        f"./{group_id}/d-LAYOUT001/deployment-archive/site/css/app.css",
        f"./{group_id}/d-LAYOUT001/logs",
        f"./deployment-instructions/{group_id}-cleanup",
        f"./deployment-instructions/{group_id}-install.json",
        f"./deployment-instructions/{group_id}_last_successful_install",
        f"./deployment-instructions/{group_id}_most_recent_install",
    ):
        assert expected in listing.splitlines(), listing
    assert listing.splitlines()[-1] == "755"  # tar -p / unzip keep modes
    assert host.read_file(f"{DEPLOYMENT_ROOT}/{group_id}/d-LAYOUT001/bundle.tar") == bundle
    assert (
        host.read_file(f"{DEPLOYMENT_ROOT}/deployment-instructions/{group_id}_last_successful_install")
        == deployment_dir.encode()
    )
    assert (
        host.read_file(f"{DEPLOYMENT_ROOT}/deployment-instructions/{group_id}_most_recent_install")
        == deployment_dir.encode()
    )
    cleanup = host.read_file(f"{DEPLOYMENT_ROOT}/deployment-instructions/{group_id}-cleanup").decode().splitlines()
    assert cleanup == ["/opt/site", "/opt/site/css", "/opt/site/css/app.css", "/opt/site/index.html"]
    instructions = json.loads(host.read_file(f"{DEPLOYMENT_ROOT}/deployment-instructions/{group_id}-install.json"))
    assert {"type": "mkdir", "directory": "/opt/site"} in instructions["instructions"]
    assert {
        "type": "copy",
        "source": f"{deployment_dir}/deployment-archive/site/index.html",
        "destination": "/opt/site/index.html",
    } in instructions["instructions"]
    assert host.read_file("/opt/site/css/app.css") == b"body{}\n"


ESCAPES = [
    ("zip", {"../../../../etc/escaped": "x"}, {}, "../../../../etc/escaped"),
    ("tar", {"/etc/escaped": "x"}, {}, "/etc/escaped"),
    ("tgz", {"a/../../escaped": "x"}, {}, "a/../../escaped"),
    ("tar", {}, {"link-out": "/etc"}, "link-out -> /etc"),
    ("zip", {}, {"sub/link-out": "../../etc"}, "sub/link-out -> ../../etc"),
]


@pytest.mark.parametrize("bundle_type, files, links, shown", ESCAPES)
def test_entries_that_escape_the_archive_are_refused(fleet, launch, upload, bundle_type, files, links, shown) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    bundle = make_bundle({"appspec.yml": appspec(), **files}, bundle_type, symlinks=links)
    outcomes = run_lifecycle(
        fleet.agent, host, deployment_group_id=group(), revision=upload(bundle, bundle_type), events=("DownloadBundle",)
    )
    outcome = outcomes["DownloadBundle"]
    assert (outcome.status, outcome.error_code) == ("Failed", "UnknownError")
    assert outcome.message == (
        "The deployment failed because the revision bundle contains an entry that would be "
        f"unpacked outside the deployment archive directory: {shown}"
    )
    assert host.read_file("/etc/escaped") is None


def test_etag_mismatch_and_missing_bundle(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    revision = upload(make_bundle({"appspec.yml": appspec()}))
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=("DownloadBundle",),
        revision=replace(revision, etag="0123456789abcdef"),
    )["DownloadBundle"]
    assert (
        outcome.message == f"Expected deployment artifact bundle etag 0123456789abcdef but was actually {revision.etag}"
    )
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=("DownloadBundle",),
        revision=replace(revision, key="no/such/key.zip", etag=None),
    )["DownloadBundle"]
    assert (outcome.error_code, outcome.message) == ("UnknownError", "The specified key does not exist.")


def test_disallow_fails_over_files_another_group_installed_while_overwrite_and_retain_succeed(
    fleet, launch, upload
) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    first_group = group()
    assert run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=first_group,
        revision=page_revision(upload, "group one\n"),
        events=INSTALL_EVENTS,
    )["Install"].succeeded

    # A brand-new group has no cleanup file: the first group's file is still there, DISALLOW (default) fails.
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        revision=page_revision(upload, "group two\n"),
        events=INSTALL_EVENTS,
    )["Install"]
    assert (outcome.status, outcome.error_code) == ("Failed", "UnknownError")
    assert outcome.message == (
        "The deployment failed because a specified file already exists at this location: /var/www/html/index.html"
    )
    assert host.read_file("/var/www/html/index.html") == b"group one\n"

    # RETAIN keeps the file and does not take ownership of it.
    retain_group = group()
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=retain_group,
        file_exists_behavior="RETAIN",
        revision=page_revision(upload, "group three\n"),
        events=INSTALL_EVENTS,
    )
    assert outcomes["Install"].succeeded
    assert host.read_file("/var/www/html/index.html") == b"group one\n"
    assert host.read_file(f"{DEPLOYMENT_ROOT}/deployment-instructions/{retain_group}-cleanup") == b""

    # OVERWRITE replaces it and records it in the new group's cleanup file.
    overwrite_group = group()
    assert run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=overwrite_group,
        file_exists_behavior="OVERWRITE",
        revision=page_revision(upload, "group four\n"),
        events=INSTALL_EVENTS,
    )["Install"].succeeded
    assert host.read_file("/var/www/html/index.html") == b"group four\n"
    assert (
        host.read_file(f"{DEPLOYMENT_ROOT}/deployment-instructions/{overwrite_group}-cleanup")
        == b"/var/www/html/index.html\n"
    )


def test_the_appspecs_file_exists_behavior_wins_over_the_deployments(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    run_lifecycle(
        fleet.agent, host, deployment_group_id=group(), revision=page_revision(upload, "one\n"), events=INSTALL_EVENTS
    )
    overwrite = page_revision(upload, "two\n", "file_exists_behavior: OVERWRITE\n")
    assert run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        revision=overwrite,
        file_exists_behavior="DISALLOW",
        events=INSTALL_EVENTS,
    )["Install"].succeeded
    assert host.read_file("/var/www/html/index.html") == b"two\n"
    retain = page_revision(upload, "three\n", "file_exists_behavior: RETAIN\n")
    assert run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        revision=retain,
        file_exists_behavior="OVERWRITE",
        events=INSTALL_EVENTS,
    )["Install"].succeeded
    assert host.read_file("/var/www/html/index.html") == b"two\n"


def test_a_second_install_of_the_same_group_removes_the_previous_one_first(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    group_id = group()
    files = "  - source: app\n    destination: /opt/app\n"
    first = upload(make_bundle({"appspec.yml": appspec(files), "app/a.txt": "a1\n", "app/old/b.txt": "b1\n"}))
    second = upload(make_bundle({"appspec.yml": appspec(files), "app/a.txt": "a2\n"}))
    assert run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=first, events=INSTALL_EVENTS)[
        "Install"
    ].succeeded
    sh(host, "echo mine > /opt/app/not-from-codedeploy")
    outcome = run_lifecycle(fleet.agent, host, deployment_group_id=group_id, revision=second, events=INSTALL_EVENTS)[
        "Install"
    ]
    assert outcome.succeeded, outcome.message  # DISALLOW, yet the same paths are free again
    assert host.read_file("/opt/app/a.txt") == b"a2\n"
    code, output = sh(host, "ls -A /opt/app")
    assert output.split() == ["a.txt", "not-from-codedeploy"]  # old/ removed (empty), foreign file kept


def test_install_reports_appspec_problems(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    # BeforeInstall is the first event that reads the new appspec, so that is where a bad one fails.
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=INSTALL_EVENTS,
        revision=upload(make_bundle({"appspec.yml": "version: 1.0\nos: linux\n"})),
    )
    assert list(outcomes) == ["ApplicationStop", "DownloadBundle", "BeforeInstall"]
    outcome = outcomes["BeforeInstall"]
    assert outcome.error_code == "UnknownError" and "invalid version value (1.0)" in outcome.message
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=("DownloadBundle", "Install"),
        revision=upload(make_bundle({"appspec.yml": "version: 0.0\nos: windows\n"})),
    )["Install"]
    assert outcome.error_code == "UnknownError" and "unsupported operating system (windows)" in outcome.message
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=("DownloadBundle", "Install"),
        deployment_id="d-NOAPPSPEC",
        revision=upload(make_bundle({"README": "x"})),
    )["Install"]
    assert outcome.message.startswith(
        "The CodeDeploy agent did not find an AppSpec file within the unpacked "
        'revision directory at revision-relative path "appspec.yml".'
    )
    two_sources = appspec(
        "  - source: a/x.txt\n    destination: /opt/two\n  - source: b/x.txt\n    destination: /opt/two\n"
    )
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=INSTALL_EVENTS,
        revision=upload(make_bundle({"appspec.yml": two_sources, "a/x.txt": "a", "b/x.txt": "b"})),
        deployment_id="d-TWOSOURCE",
    )["Install"]
    archive = f"{DEPLOYMENT_ROOT}"
    assert outcome.message.startswith(
        f"The deployment failed because the application specification file specifies two source files named {archive}"
    )
    assert outcome.message.endswith(
        "for the same destination (/opt/two/x.txt). Remove one of the source file paths "
        "from the AppSpec file, and then try again."
    )


def test_install_falls_back_to_appspec_yaml_but_hooks_read_appspec_yml_only(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    revision = upload(
        make_bundle({"appspec.yaml": appspec("  - source: f.txt\n    destination: /srv/yaml\n"), "f.txt": "ok\n"})
    )
    outcomes = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        revision=revision,
        events=("DownloadBundle", "Install", "AfterInstall"),
        deployment_id="d-YAMLONLY1",
    )
    assert outcomes["Install"].succeeded
    assert host.read_file("/srv/yaml/f.txt") == b"ok\n"
    assert outcomes["AfterInstall"].error_code == "UnknownError"
    assert 'revision-relative path "appspec.yml"' in outcomes["AfterInstall"].message


def test_permissions_apply_to_what_this_install_created(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    spec = (
        appspec("  - source: app\n    destination: /opt/perm\n", "")
        + """permissions:
  - object: /opt/perm/conf
    pattern: "*.conf"
    except: [secret.conf]
    owner: ec2-user
    group: apache
    mode: 640
    type: [file]
  - object: /opt/perm
    mode: 750
    type: [directory]
  - object: /opt/perm/bin/run.sh
    owner: tomcat
    mode: "0755"
"""
    )
    revision = upload(
        make_bundle(
            {
                "appspec.yml": spec,
                "app/conf/app.conf": "a",
                "app/conf/secret.conf": "s",
                "app/bin/run.sh": "#!/bin/sh\n",
                "app/web/index.html": "i",
            }
        )
    )
    outcome = run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision, events=INSTALL_EVENTS)[
        "Install"
    ]
    assert outcome.succeeded, outcome.message
    code, output = sh(
        host,
        "cd /opt/perm && stat -c '%n %a %U %G' . conf conf/app.conf conf/secret.conf bin bin/run.sh web web/index.html",
    )
    assert code == 0, output
    assert output.splitlines() == [
        ". 755 root root",  # the object itself is not selected
        "conf 750 root root",
        "conf/app.conf 640 ec2-user apache",
        "conf/secret.conf 644 root root",
        "bin 750 root root",
        "bin/run.sh 755 tomcat root",
        "web 750 root root",
        "web/index.html 644 root root",
    ]


def test_unknown_owner_fails_install(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    spec = (
        appspec("  - source: f\n    destination: /opt/own\n")
        + "permissions:\n  - object: /opt/own\n    owner: nosuchuser\n"
    )
    outcome = run_lifecycle(
        fleet.agent,
        host,
        deployment_group_id=group(),
        events=INSTALL_EVENTS,
        revision=upload(make_bundle({"appspec.yml": spec, "f": "x"})),
    )["Install"]
    assert (outcome.error_code, outcome.message) == ("UnknownError", "can't find user for nosuchuser")


def test_source_slash_installs_the_whole_bundle(fleet, launch, upload) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    revision = upload(
        make_bundle(
            {"appspec.yml": appspec("  - source: /\n    destination: /srv/whole\n"), "a.txt": "a", "sub/b.txt": "b"}
        )
    )
    assert run_lifecycle(fleet.agent, host, deployment_group_id=group(), revision=revision, events=INSTALL_EVENTS)[
        "Install"
    ].succeeded
    code, output = sh(host, "cd /srv/whole && find . -type f | sort")
    assert output.split() == ["./a.txt", "./appspec.yml", "./sub/b.txt"]
