"""appspec.yml validation: the real agent's rules and messages (logic that decides; no lab needed)."""

from __future__ import annotations

import pytest

from codedeploy_lab.agent.appspec import AppSpecValidationError
from codedeploy_lab.agent.appspec import parse_appspec

MINIMAL = "version: 0.0\nos: linux\n"


def error_of(text: str) -> str:
    with pytest.raises(AppSpecValidationError) as caught:
        parse_appspec(text)
    return str(caught.value)


def test_minimal_appspec_parses_with_defaults() -> None:
    spec = parse_appspec(MINIMAL)
    assert spec.version == 0.0 and spec.os == "linux"
    assert spec.files == () and spec.permissions == () and spec.hooks == {}
    assert spec.file_exists_behavior is None


def test_full_appspec() -> None:
    spec = parse_appspec(
        MINIMAL
        + """
file_exists_behavior: overwrite
files:
  - source: /
    destination: /var/www/html
permissions:
  - object: /var/www/html
    pattern: "*.html"
    except: [secret.html]
    owner: apache
    group: apache
    mode: 644
    type: [file]
hooks:
  BeforeInstall:
    - location: scripts/a.sh
    - location: scripts/b.sh
      timeout: 30
      runas: ec2-user
  AfterInstall:
  ApplicationStart: []
"""
    )
    assert spec.file_exists_behavior == "OVERWRITE"
    assert spec.files[0].source == "/" and spec.files[0].destination == "/var/www/html"
    permission = spec.permissions[0]
    assert (permission.pattern, permission.except_, permission.owner, permission.mode, permission.types) == (
        "*.html",
        ("secret.html",),
        "apache",
        "644",
        ("file",),
    )
    assert [s.location for s in spec.hooks["BeforeInstall"]] == ["scripts/a.sh", "scripts/b.sh"]
    assert spec.hooks["BeforeInstall"][0].timeout == 3600
    assert (spec.hooks["BeforeInstall"][1].timeout, spec.hooks["BeforeInstall"][1].runas) == (30, "ec2-user")
    assert "AfterInstall" not in spec.hooks and "ApplicationStart" not in spec.hooks  # empty hooks are ignored


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    assert error_of(text) == (
        "The deployment failed because the application specification file was empty. Make sure your AppSpec file "
        "defines at minimum the 'version' and 'os' properties."
    )


@pytest.mark.parametrize("version, shown", [("1.0", "1.0"), ('"0.0"', "0.0"), ("", ""), ("abc", "abc")])
def test_version_must_be_the_number_0_0(version: str, shown: str) -> None:
    text = f"version: {version}\nos: linux\n" if version else "os: linux\n"
    assert error_of(text) == (
        f"The deployment failed because an invalid version value ({shown}) was entered in the application "
        f'specification file. Make sure your AppSpec file specifies "0.0" as the version, and then try again.'
    )


@pytest.mark.parametrize("os_line, shown", [("os: windows", "windows"), ("os: Linux", "Linux"), ("", "")])
def test_linux_agent_accepts_only_linux(os_line: str, shown: str) -> None:
    assert error_of(f"version: 0.0\n{os_line}\n") == (
        f"The deployment failed because the application specification file specifies an unsupported operating "
        f'system ({shown}). Specify either "linux" or "windows" in the os section of the AppSpec file, and then '
        f"try again."
    )


def test_file_exists_behavior_value() -> None:
    assert error_of(MINIMAL + "file_exists_behavior: KEEP\n") == (
        "The deployment failed because an invalid file_exists_behavior value (KEEP) was entered in the application "
        "specification file. Make sure your AppSpec file specifies one of DISALLOW,OVERWRITE,RETAIN as the "
        "file_exists_behavior, and then try again."
    )


def test_files_need_source_and_destination() -> None:
    assert error_of(MINIMAL + "files:\n  - destination: /opt/app\n") == (
        "The deployment failed because the application specification file specifies a destination file, but no "
        "source file. Update the files section of the AppSpec file, and then try again."
    )
    assert error_of(MINIMAL + "files:\n  - source: app\n") == (
        "The deployment failed because the application specification file specifies only a source file (app). Add "
        "the name of the destination file to the files section of the AppSpec file, and then try again."
    )


@pytest.mark.parametrize("hook", ["- timeout: 10", "- location: ''", "- scripts/start.sh"])
def test_hook_script_needs_a_location(hook: str) -> None:
    assert error_of(MINIMAL + f"hooks:\n  ApplicationStart:\n    {hook}\n") == (
        "The deployment failed because the application specification file specifies a script with no location "
        "value. Specify the location in the hooks section of the AppSpec file, and then try again."
    )


@pytest.mark.parametrize("timeout", ["0", "-5", "abc", "''"])
def test_hook_timeout_must_be_positive(timeout: str) -> None:
    assert error_of(MINIMAL + f"hooks:\n  ApplicationStart:\n    - location: s.sh\n      timeout: {timeout}\n") == (
        "The deployment failed because an invalid timeout value was provided for a script in the application "
        "specification file. Make corrections in the hooks section of the AppSpec file, and then try again."
    )


def test_timeout_is_read_like_ruby_to_i() -> None:
    spec = parse_appspec(MINIMAL + "hooks:\n  ApplicationStart:\n    - location: s.sh\n      timeout: '90s'\n")
    assert spec.hooks["ApplicationStart"][0].timeout == 90


def test_permission_rules() -> None:
    assert error_of(MINIMAL + "permissions:\n  - owner: root\n") == (
        "The deployment failed because a permission listed in the application specification file has no object "
        "value. Update the permissions section of the AppSpec file, and then try again."
    )
    assert error_of(MINIMAL + "permissions:\n  - object: /opt/app\n    type: [socket]\n") == (
        "The deployment failed because the application specification filespecifies a permission for an object type "
        "not supported for permissions (socket). Update the permissions section of the AppSpec file, and then try "
        "again."
    )
    assert error_of(MINIMAL + "permissions:\n  - object: /opt/app\n    mode: '06444'\n") == (
        "The deployment failed because the length of a permissions mode (06444) in the application specification "
        "file is invalid. Permissions modes must be between one and four characters long. Update the permissions "
        "section of the AppSpec file, and then try again."
    )
    assert error_of(MINIMAL + "permissions:\n  - object: /opt/app\n    mode: 648\n") == (
        "The deployment failed because the permissions mode (648) in the application specification file contains "
        "an invalid character (8). Update the permissions section of the AppSpec file, and then try again."
    )
    assert error_of(MINIMAL + "permissions:\n  - object: /opt/app\n  - object: /opt/app/\n") == (
        "The deployment failed because the permissions setting for (/opt/app/) is specified more than once in the "
        "application specification file. Update the files section of the AppSpec file, and then try again."
    )


def test_unquoted_octal_mode_is_read_as_yaml_does() -> None:
    # YAML 1.1 reads 0644 as the octal integer 420, as the agent's Psych does; quoting keeps "0644".
    assert parse_appspec(MINIMAL + "permissions:\n  - object: /a\n    mode: 0644\n").permissions[0].mode == "420"
    assert parse_appspec(MINIMAL + "permissions:\n  - object: /a\n    mode: '0644'\n").permissions[0].mode == "0644"
    assert parse_appspec(MINIMAL + "permissions:\n  - object: /a\n    mode: 7\n").permissions[0].mode == "007"
