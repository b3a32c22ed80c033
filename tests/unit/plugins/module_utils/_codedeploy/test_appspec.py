# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import textwrap

import pytest
import yaml
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy import appspec
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.appspec import AppSpecTooComplex
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.appspec import check_appspec
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.appspec import check_bundle_appspec

BUNDLE_FILES = {"appspec.yml", "scripts/start.sh", "scripts/stop.sh", "web/index.html"}
BUNDLE_DIRS = {"scripts", "web"}

VALID_LINUX = """\
version: 0.0
os: linux
file_exists_behavior: OVERWRITE
files:
  - source: /
    destination: /opt/app
  - source: web
    destination: /var/www/html
permissions:
  - object: /opt/app
    pattern: "**"
    owner: app
    mode: "0755"
    type: [file, directory]
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 60
  AfterInstall:
    - location: scripts/start.sh
      timeout: 300
      runas: app
  ValidateService:
"""


def check(text: str, target_os: str = "linux"):
    return check_appspec(
        textwrap.dedent(text), "appspec.yml", BUNDLE_FILES.__contains__, BUNDLE_DIRS.__contains__, target_os
    )


def test_valid_linux_appspec_has_no_problems():
    report = check(VALID_LINUX)
    assert report.ok, [str(p) for p in report.problems]
    assert report.warnings == []
    assert report.appspec["hooks"]["AfterInstall"][0]["location"] == "scripts/start.sh"


# Each case breaks one rule of VALID_LINUX: (rule, old text, new text, words the message must carry).
BROKEN = [
    ("version", "version: 0.0", "version: 1.0", ["version is 1.0", "version: 0.0"]),
    ("version", "version: 0.0", 'version: "0.0"', ["'0.0'", "no quotes"]),
    ("os", "os: linux", "os: ubuntu", ["'ubuntu'", "os: linux"]),
    ("file-exists-behavior", "OVERWRITE", "REPLACE", ["'REPLACE'", "DISALLOW, OVERWRITE, RETAIN"]),
    ("files-source", "source: web", "source: public", ["public is not in the bundle"]),
    ("files-entry", "    destination: /var/www/html\n", "", ["source web has no destination"]),
    ("files-destination", "/var/www/html", "var/www/html", ["not an absolute path"]),
    ("hook-script", "scripts/start.sh", "scripts/begin.sh", ["scripts/begin.sh is not in the bundle"]),
    ("hook-location", "    - location: scripts/stop.sh\n", "    - timeout: 5\n", ["no location"]),
    ("hook-timeout", "timeout: 300", "timeout: 4000", ["4000", "between 1 and 3600"]),
    ("hook-timeout", "timeout: 300", "timeout: 0", ["timeout is 0"]),
    ("hook-timeout", "timeout: 300", "timeout: soon", ["'soon'"]),
    ("hook-name", "AfterInstall:", "AfterInstal:", ["not a lifecycle event", "did you mean AfterInstall"]),
    ("hook-name", "AfterInstall:", "Install:", ["run by CodeDeploy itself"]),
    ("permission-mode", '"0755"', '"07555"', ["1 to 4 octal digits"]),
    ("permission-mode", '"0755"', '"0758"', ["1 to 4 octal digits"]),
    ("permission-type", "[file, directory]", "[file, socket]", ["'socket'"]),
    ("permission-object", "  - object: /opt/app\n", "  - owner: root\n", ["no object"]),
]


@pytest.mark.parametrize("rule, old, new, words", BROKEN, ids=[f"{case[0]}:{case[2].strip()}" for case in BROKEN])
def test_each_broken_rule_is_reported_alone_with_rule_and_file(rule, old, new, words):
    assert old in VALID_LINUX
    report = check(VALID_LINUX.replace(old, new, 1))
    assert [p.rule for p in report.problems] == [rule], [str(p) for p in report.problems]
    text = str(report.problems[0])
    assert text.startswith("appspec.yml:")
    assert f"[{rule}]" in text
    for word in words:
        assert word in text


def test_problem_points_at_the_line():
    report = check(VALID_LINUX.replace("timeout: 300", "timeout: 4000"))
    line = VALID_LINUX.splitlines().index("      timeout: 300") + 1
    assert report.problems[0].line == line
    assert str(report.problems[0]).startswith(f"appspec.yml:{line}: [hook-timeout] hooks.AfterInstall[0].timeout:")


@pytest.mark.parametrize(
    "text, rule, where, key_line",
    [
        (
            VALID_LINUX.replace("  ValidateService:", "  ValidateServices:"),
            "hook-name",
            "hooks.ValidateServices",
            "ValidateServices:",
        ),
        (VALID_LINUX.replace("  ValidateService:", "  Install:"), "hook-name", "hooks.Install", "Install:"),
        (VALID_LINUX + "hook:\n  AfterInstall: []\n", "unknown-key", "hook", "hook:"),
    ],
)
def test_a_key_is_named_by_its_path_and_points_at_its_own_line(text, rule, where, key_line):
    report = check(text)
    (found,) = [p for p in report.problems + report.warnings if p.rule == rule]
    line = [entry.strip() for entry in text.splitlines()].index(key_line) + 1
    assert (found.where, found.line) == (where, line)
    assert str(found).startswith(f"appspec.yml:{line}: [{rule}] {where}: ")


def test_windows_appspec_for_linux_target_says_so():
    windows = "version: 0.0\nos: windows\nfiles:\n  - source: web\n    destination: C:\\inetpub\\wwwroot\n"
    report = check(windows, target_os="linux")
    assert [p.rule for p in report.problems] == ["os-target"]
    assert "appspec is for windows but the deployment targets linux instances" in str(report.problems[0])


def test_permissions_on_windows_refused():
    windows = "version: 0.0\nos: windows\npermissions:\n  - object: C:\\app\n    mode: 644\n"
    report = check(windows, target_os="windows")
    assert [p.rule for p in report.problems] == ["permissions-windows"]
    assert "remove the permissions section" in str(report.problems[0])


def test_several_problems_are_all_reported():
    report = check("version: 1\nos: solaris\nhooks:\n  AfterInstall:\n    - location: nope.sh\n      timeout: -1\n")
    assert [p.rule for p in report.problems] == ["version", "os", "hook-script", "hook-timeout"]


@pytest.mark.parametrize(
    "text, rule",
    [("", "empty"), ("version: [0.0\n", "yaml"), ("- 1\n- 2\n", "structure")],
)
def test_unreadable_appspec(text, rule):
    assert [p.rule for p in check(text).problems] == [rule]


def test_total_hook_time_over_an_hour_is_a_warning_not_a_problem():
    report = check(
        VALID_LINUX.replace(
            "      timeout: 300\n", "      timeout: 3600\n    - location: scripts/stop.sh\n      timeout: 60\n"
        )
    )
    assert report.ok
    assert [w.rule for w in report.warnings] == ["hook-timeout-total"]


def test_unknown_top_level_key_is_a_warning():
    report = check(VALID_LINUX + "hook:\n  AfterInstall: []\n")
    assert report.ok
    assert [w.rule for w in report.warnings] == ["unknown-key"]


def test_leading_slash_and_dot_in_locations_are_bundle_relative():
    text = VALID_LINUX.replace("location: scripts/start.sh", "location: /scripts/start.sh").replace(
        "source: web", "source: ./web"
    )
    assert check(text).ok


def test_bundle_without_appspec(tmp_path):
    report = check_bundle_appspec(str(tmp_path), {"index.html"}, set())
    assert [p.rule for p in report.problems] == ["appspec-missing"]


def test_bundle_with_both_appspec_names(tmp_path):
    report = check_bundle_appspec(str(tmp_path), {"appspec.yml", "appspec.yaml"}, set())
    assert [p.rule for p in report.problems] == ["appspec-ambiguous"]


def test_windows_target_refuses_tar_bundles(tmp_path):
    (tmp_path / "appspec.yml").write_text("version: 0.0\nos: windows\n")
    report = check_bundle_appspec(str(tmp_path), {"appspec.yml"}, set(), target_os="windows", bundle_type="tgz")
    assert [p.rule for p in report.problems] == ["bundle-type"]


def test_appspec_yaml_name_warns(tmp_path):
    (tmp_path / "appspec.yaml").write_text("version: 0.0\nos: linux\n")
    report = check_bundle_appspec(str(tmp_path), {"appspec.yaml"}, set())
    assert report.ok
    assert [w.rule for w in report.warnings] == ["appspec-name"]


# --- parser limits -------------------------------------------------------------------------------------------

ANCHORED_HOOKS = """\
version: 0.0
os: linux
hooks:
  AfterInstall: &start
    - location: scripts/start.sh
      timeout: 300
  ApplicationStart: *start
  ValidateService: *start
"""


def alias_bomb(levels: int, width: int = 9) -> str:
    """The "billion laughs" shape: each level lists the previous one width times (a few hundred bytes)."""
    lines = ["version: 0.0", "os: linux", f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_a_few_anchors_are_read_as_usual():
    report = check(ANCHORED_HOOKS)
    assert report.ok, [str(p) for p in report.problems]
    assert report.appspec["hooks"]["ValidateService"] == [{"location": "scripts/start.sh", "timeout": 300}]


def test_alias_bomb_is_refused_at_the_line_that_explodes():
    text = alias_bomb(levels=5)  # 9**6 = 531,441 nodes from 45 aliases
    assert len(text) < 400 and text.count("*") < appspec.APPSPEC_MAX_ALIASES
    report = check_appspec(text, "appspec.yml", BUNDLE_FILES.__contains__, BUNDLE_DIRS.__contains__)
    assert [(p.rule, p.line) for p in report.problems] == [("yaml-limits", 8)]
    message = str(report.problems[0])
    assert message.startswith("appspec.yml:8: [yaml-limits]")
    assert "billion laughs" in message and "write the repeated parts out" in message
    assert report.appspec == {}


def test_more_aliases_than_the_budget_are_refused_while_composing():
    refs = ", ".join(["*item"] * (appspec.APPSPEC_MAX_ALIASES + 1))
    text = f"version: 0.0\nos: linux\nitem: &item x\nmany: [{refs}]\n"
    report = check_appspec(text, "appspec.yml", BUNDLE_FILES.__contains__, BUNDLE_DIRS.__contains__)
    assert [p.rule for p in report.problems] == ["yaml-limits"]
    assert f"more than {appspec.APPSPEC_MAX_ALIASES} YAML aliases" in report.problems[0].message


def test_recursive_alias_is_refused():
    text = "version: 0.0\nos: linux\nloop: &loop [*loop]\n"
    report = check_appspec(text, "appspec.yml", BUNDLE_FILES.__contains__, BUNDLE_DIRS.__contains__)
    assert [(p.rule, p.line) for p in report.problems] == [("yaml-limits", 3)]
    assert "refers to itself" in report.problems[0].message


def test_oversized_appspec_is_refused_before_parsing():
    text = "version: 0.0\nos: linux\n" + "# padding\n" * (appspec.APPSPEC_MAX_BYTES // 10)
    report = check_appspec(text, "appspec.yml", BUNDLE_FILES.__contains__, BUNDLE_DIRS.__contains__)
    assert [p.rule for p in report.problems] == ["yaml-limits"]
    assert "larger than 256 KiB" in report.problems[0].message


def test_oversized_appspec_file_in_a_bundle_is_refused(tmp_path):
    (tmp_path / "appspec.yml").write_text("version: 0.0\nos: linux\n" + "#" * appspec.APPSPEC_MAX_BYTES)
    report = check_bundle_appspec(str(tmp_path), {"appspec.yml"}, set())
    assert [p.rule for p in report.problems] == ["yaml-limits"]


@pytest.mark.parametrize(
    "text, nodes",
    [
        ("a", 1),
        ("[a, b]", 3),
        ("{k: v}", 3),
        ("{x: &x [a, b], y: *x, z: *x}", 1 + 2 * 3 + 3 * 2),  # each alias counts what it expands to
        # root, 5 keys, version and os, then l0, l1, l2
        (alias_bomb(levels=2, width=3), 1 + 5 + 2 + 4 + (1 + 3 * 4) + (1 + 3 * 13)),
    ],
)
def test_expanded_size_counts_each_reference(text, nodes):
    assert appspec.expanded_size(yaml.compose(text, Loader=yaml.SafeLoader)) == nodes


def test_expanded_size_stops_at_the_limit():
    with pytest.raises(AppSpecTooComplex, match="more than 10 YAML nodes"):
        appspec.expanded_size(yaml.compose("[a, b, c, d, e, f, g, h, i, j, k]", Loader=yaml.SafeLoader), limit=10)
