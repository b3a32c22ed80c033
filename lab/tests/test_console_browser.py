"""The console in a real browser (Debian's Chromium driven by Playwright) during real deployments on lab hosts.

One module fleet of two web hosts behind a Classic Load Balancer serves every test; each test makes its own
application and deployment group. Pages are checked the way a person reads them: by their text, on the same page
object while the deployment runs (no reload), and with no error in the browser's console.

``CONSOLE_SCREENSHOTS=<dir>`` keeps a screenshot of each page there (the failed deployment's page is the one the docs
show); without it they go to the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import typing as t
from pathlib import Path

import boto3
import pytest
from playwright.sync_api import expect

from codedeploy_lab.console.data import ANY_KEYS
from codedeploy_lab.console.testing import chromium
from codedeploy_lab.console.testing import serve_console
from codedeploy_lab.console.testing import serve_wsgi
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_web_ready
from codedeploy_lab.deployments.testing import web_launch_template
from codedeploy_lab.deployments.testing import web_load_balancer
from codedeploy_lab.iam import read_admin_credentials
from codedeploy_lab.testing import running_lab

pytestmark = pytest.mark.browser

SLOW_HOOK = "#!/bin/bash\necho 'warming the cache'\nsleep 4\n"  # long enough to watch the page change
FAILING_HOOK = "#!/bin/bash\necho 'checking http://localhost/health'\necho 'health check failed: 503' >&2\nexit 2\n"
WAIT_MS = 120_000  # Playwright's waits: generous, the deployment decides when the text changes


class Fleet(t.NamedTuple):
    tag: str
    instances: list[str]
    load_balancer: str


@pytest.fixture(scope="module")
def fleet(lab) -> t.Iterator[Fleet]:
    tag = unique("console-fleet")
    instances = run_web_instances(lab.client, 2, {"Fleet": tag})
    try:
        wait_web_ready(lab, instances)
        yield Fleet(tag, instances, web_load_balancer(lab.client, instances, interval=5))
    finally:
        terminate(lab.client, instances)


@pytest.fixture(scope="module")
def console(lab) -> t.Iterator[str]:
    with serve_console(lab) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> t.Iterator[t.Any]:
    with chromium() as context:
        yield context


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def page(browser) -> t.Iterator[t.Any]:
    """A new tab that records every error the page logs or throws; the test fails if there was one."""
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    yield tab
    tab.close()
    assert errors == [], f"the browser's console logged errors: {errors}"


def make_group(lab, service_role: str, fleet: Fleet, **settings: t.Any) -> tuple[str, str]:
    codedeploy = lab.client("codedeploy")
    application, group = unique("console-app"), unique("console-group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "Fleet", "Value": fleet.tag, "Type": "KEY_AND_VALUE"}],
        **settings,
    )
    return application, group


def start(lab, application: str, group: str, version: str, hooks: dict[str, str]) -> str:
    revision = upload_revision(
        lab.client,
        unique("console-revisions"),
        f"{group}/{version}.zip",
        version,
        hooks=hooks,
        destination=f"/opt/{group}",
    )
    return str(
        lab.client("codedeploy").create_deployment(
            applicationName=application, deploymentGroupName=group, revision=revision
        )["deploymentId"]
    )


def test_deployment_page_follows_a_running_deployment(lab, service_role, fleet, console, page, screenshots) -> None:
    application, group = make_group(lab, service_role, fleet)
    deployment_id = start(lab, application, group, "v1", {"AfterInstall": SLOW_HOOK})

    page.goto(f"{console}deployments/{deployment_id}")
    status = page.locator("#deployment-status")
    expect(status).to_have_text("InProgress")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    for instance_id in fleet.instances:
        row = page.locator(f".instance[data-instance='{instance_id}']")
        expect(row.locator(".bar[data-event='AfterInstall']")).to_have_attribute("data-status", "InProgress")
    page.screenshot(path=str(screenshots / "deployment-running.png"), full_page=True)

    expect(status).to_have_text("Succeeded")
    assert page.evaluate("window.sameDocument") is True, "the page reloaded instead of updating itself"
    assert wait_deployment(lab.client, deployment_id)["status"] == "Succeeded"
    for instance_id, target in targets_of(lab.client, deployment_id).items():
        row = page.locator(f".instance[data-instance='{instance_id}']")
        expect(row.locator(".status").first).to_have_text("Succeeded")
        expect(row.locator(".bar[data-event='AfterInstall']")).to_have_attribute("data-status", "Succeeded")
        ran = [event["lifecycleEventName"] for event in target["lifecycleEvents"] if event.get("startTime")]
        expect(row.locator(".bar")).to_have_count(len(ran))  # a bar for each event that ran, no more
        expect(row.locator(".bar[data-status='Succeeded']")).to_have_count(len(ran))
    expect(page.locator(".instance")).to_have_count(len(fleet.instances))
    page.screenshot(path=str(screenshots / "deployment-succeeded.png"), full_page=True)


def test_failed_deployment_shows_the_failed_hook_and_links_to_its_rollback(
    lab, service_role, fleet, console, page, screenshots
) -> None:
    application, group = make_group(
        lab, service_role, fleet, autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    )
    good = start(lab, application, group, "v1", {})
    assert wait_deployment(lab.client, good)["status"] == "Succeeded"
    broken = start(lab, application, group, "v2", {"ValidateService": FAILING_HOOK})
    assert wait_deployment(lab.client, broken)["status"] == "Failed"
    rollback_id = lab.client("codedeploy").get_deployment(deploymentId=broken)["deploymentInfo"]["rollbackInfo"][
        "rollbackDeploymentId"
    ]

    page.goto(f"{console}deployments/{broken}")
    expect(page.locator("#deployment-status")).to_have_text("Failed")
    failure = page.locator(".failure[data-failed-event='ValidateService']").first
    expect(failure).to_contain_text("ValidateService failed: ScriptFailed")
    expect(failure.locator(".message")).to_contain_text("scripts/ValidateService.sh failed with exit code 2")
    expect(failure.locator("pre.log")).to_contain_text("health check failed: 503")
    expect(failure.locator("pre.log")).to_contain_text("checking http://localhost/health")
    page.screenshot(path=str(screenshots / "deployment-failed.png"), full_page=True)

    page.locator(".rolled-back-by a").click()
    page.wait_for_url(f"{console}deployments/{rollback_id}")
    expect(page.locator("#deployment-status")).to_have_text("Succeeded")
    expect(page.get_by_text("codeDeployRollback")).to_be_visible()
    page.locator(".rollback-of a").click()
    page.wait_for_url(f"{console}deployments/{broken}")
    expect(page.locator(".rolled-back-by a")).to_have_text(rollback_id)

    page.goto(f"{console}applications/{application}/{group}")
    rows = page.locator("table.deployments tr[data-deployment]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(f"rollback of {broken}")
    expect(rows.nth(1)).to_contain_text(f"rolled back by {rollback_id}")
    page.screenshot(path=str(screenshots / "deployment-group.png"), full_page=True)

    page.goto(console)
    application_row = page.locator("section.application", has_text=application).locator("tr", has_text=group)
    expect(application_row).to_contain_text("DEPLOYMENT_FAILURE")
    expect(application_row.locator(".deployment-link").first).to_have_text(rollback_id)  # the last attempted
    application_row.get_by_role("link", name=group).click()
    page.wait_for_url(f"{console}applications/{application}/{group}")


def test_fleet_page_lists_hosts_their_health_and_load_balancer_addresses(
    lab, fleet, console, page, screenshots
) -> None:
    address = lab.get("/_lab/status")["load_balancers"][fleet.load_balancer]

    page.goto(f"{console}fleet")
    expect(page.locator(f"tr[data-load-balancer='{fleet.load_balancer}'] a")).to_have_text(address)
    for instance_id in fleet.instances:
        row = page.locator(f"tr[data-instance='{instance_id}']")
        expect(row).to_contain_text("running")
        expect(row.locator(".status")).to_have_text("InService")
        expect(row).to_contain_text(f"{fleet.load_balancer}:")
        web = lab.get(f"/_lab/hosts/{instance_id}")["web"]
        expect(row.locator(".web")).to_contain_text(web.get("url") or web["socket"])
    page.screenshot(path=str(screenshots / "fleet.png"), full_page=True)


def test_a_page_of_another_origin_cannot_read_the_console(console, browser) -> None:
    def other_site(environ: dict[str, t.Any], start_response: t.Callable) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<!doctype html><title>another origin</title>"]

    tab = browser.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with serve_wsgi(other_site) as elsewhere:
        tab.goto(f"{elsewhere}/")
        cors = tab.evaluate(
            """url => fetch(url).then(r => r.text()).then(text => "read " + text,
                                                                           error => "blocked " + error.name)""",
            f"{console}api/applications",
        )
        opaque = tab.evaluate(
            "url => fetch(url, {mode: 'no-cors'}).then(r => r.type + ' ' + r.status)", f"{console}api/applications"
        )
    tab.close()

    assert cors == "blocked TypeError"
    assert opaque == "opaque 0"  # the answer cannot be read, whatever it was
    assert any("Access-Control-Allow-Origin" in error for error in errors), errors  # the browser says why


def test_blue_green_deployment_shows_both_fleets_and_where_traffic_is(
    lab, service_role, console, page, screenshots
) -> None:
    load_balancer = web_load_balancer(lab.client, interval=5)
    original_group = unique("console-asg")
    autoscaling = lab.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=original_group,
        MinSize=2,
        MaxSize=4,
        DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateName": web_launch_template(lab.client)},
        AvailabilityZones=["us-east-1a"],
        LoadBalancerNames=[load_balancer],
    )
    copies: list[str] = []
    try:
        original = sorted(
            i["InstanceId"]
            for i in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[original_group])[
                "AutoScalingGroups"
            ][0]["Instances"]
        )
        wait_web_ready(lab, original)
        application, group = unique("console-app"), unique("console-group")
        codedeploy = lab.client("codedeploy")
        codedeploy.create_application(applicationName=application)
        codedeploy.create_deployment_group(
            applicationName=application,
            deploymentGroupName=group,
            serviceRoleArn=service_role,
            deploymentConfigName="CodeDeployDefault.AllAtOnce",
            autoScalingGroups=[original_group],
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            loadBalancerInfo={"elbInfoList": [{"name": load_balancer}]},
            blueGreenDeploymentConfiguration={
                "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
                "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            },
        )
        deployment_id = start(lab, application, group, "v1", {})
        page.goto(f"{console}deployments/{deployment_id}")
        expect(page.locator("#deployment-status")).to_have_text("Succeeded")
        assert wait_deployment(lab.client, deployment_id)["status"] == "Succeeded"
        copies = [
            g["name"]
            for g in codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=group)[
                "deploymentGroupInfo"
            ]["autoScalingGroups"]
        ]
        replacement = sorted(
            i["InstanceId"]
            for i in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=copies)["AutoScalingGroups"][0][
                "Instances"
            ]
        )

        section = page.locator("section.blue-green")
        expect(section.locator("#traffic")).to_have_text("on the replacement fleet")
        expect(section).to_contain_text("terminated at about")
        for instance_id in original:
            expect(section.locator(".panel").nth(0)).to_contain_text(instance_id)
            expect(page.locator(f".instance[data-instance='{instance_id}']")).to_contain_text("original (Blue)")
        for instance_id in replacement:
            expect(section.locator(".panel").nth(1)).to_contain_text(instance_id)
            expect(page.locator(f".instance[data-instance='{instance_id}']")).to_contain_text("replacement (Green)")
        page.screenshot(path=str(screenshots / "deployment-blue-green.png"), full_page=True)

        page.goto(f"{console}fleet")
        for instance_id in replacement:
            row = page.locator(f"tr[data-instance='{instance_id}']")
            expect(row).to_contain_text(copies[0])
            expect(row).to_contain_text("InService")
    finally:  # the lab deletes the original group itself once its wait is over
        existing = {g["AutoScalingGroupName"] for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
        for name in {original_group, *copies} & existing:
            autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)


def test_a_console_an_enforcing_lab_refuses_says_why_on_the_page(browser, tmp_path: Path) -> None:
    with running_lab(tmp_path / "state", rooms="none", enforce_iam=True) as enforcing:
        admin = read_admin_credentials(enforcing.state_dir)
        assert admin is not None
        application = unique("console-app")
        boto3.client(
            "codedeploy", endpoint_url=enforcing.endpoint, region_name="us-east-1", **admin.as_boto3()
        ).create_application(applicationName=application)
        tab = browser.new_page()
        tab.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        errors: list[str] = []
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        try:
            with serve_console(enforcing, ANY_KEYS) as console:
                tab.goto(console)
                problem = tab.locator("#problem")
                expect(problem).to_be_visible()
                expect(problem).to_have_text(  # the console's sentence as it is, nothing before it
                    re.compile(
                        r"^The lab refused the console's ListApplications call, signed with access key testing: "
                        r"UnrecognizedClientException"
                    )
                )
                expect(problem).to_contain_text("`codedeploy-lab status --json` gives the administrator's")
            with serve_console(enforcing) as console:  # the administrator's keys
                tab.goto(console)
                expect(tab.locator("section.application", has_text=application)).to_be_visible()
                expect(tab.locator("#problem")).to_be_hidden()
        finally:
            tab.close()
    assert errors and all("502" in error for error in errors), errors  # the refused fetches, nothing else
