# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/bundles.py instead.

"""AppSpec checks with the CodeDeploy agent's rules, run before a bundle is built.

A mistake found here costs a second; found by the agent it costs a failed deployment on every host.
Each problem carries a rule name, the file, the YAML path and line, and what to change.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import typing as t
from dataclasses import dataclass
from dataclasses import field

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

APPSPEC_NAMES = ("appspec.yml", "appspec.yaml")
OPERATING_SYSTEMS = ("linux", "windows")
FILE_EXISTS_BEHAVIORS = ("DISALLOW", "OVERWRITE", "RETAIN")
SCRIPTABLE_EVENTS = (
    "ApplicationStop",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeBlockTraffic",
    "AfterBlockTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
# Run by the agent or the service itself: a script listed under them never runs.
RESERVED_EVENTS = ("DownloadBundle", "Install", "BlockTraffic", "AllowTraffic", "Start", "End")
TOP_LEVEL_KEYS = ("version", "os", "files", "permissions", "hooks", "file_exists_behavior")
TIMEOUT_MIN, TIMEOUT_MAX = 1, 3600
PERMISSION_TYPES = ("file", "directory")

# Limits on what an appspec may make the YAML parser do. Real appspecs are a few kilobytes and use an anchor or two
# for a repeated hook list; nested aliases ("billion laughs") make a few hundred bytes expand into billions of nodes.
APPSPEC_MAX_BYTES = 256 * 1024
APPSPEC_MAX_ALIASES = 50
APPSPEC_MAX_NODES = 100_000  # after every alias is expanded


@dataclass(frozen=True)
class AppSpecProblem:
    rule: str
    file: str
    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        position = f"{self.file}:{self.line}" if self.line else self.file
        where = f" {self.where}:" if self.where else ""
        return f"{position}: [{self.rule}]{where} {self.message}"


@dataclass
class AppSpecReport:
    file: str
    problems: list[AppSpecProblem] = field(default_factory=list)
    warnings: list[AppSpecProblem] = field(default_factory=list)
    appspec: dict[str, t.Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


class AppSpecTooComplex(ValueError):
    """The appspec is larger, or expands to more, than any real one; the message says which limit and the fix."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


if yaml is not None:

    class _BoundedLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that stops at the alias budget while composing, before anything is expanded."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.aliases = 0

        def compose_node(self, parent: t.Any, index: t.Any) -> t.Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > APPSPEC_MAX_ALIASES:
                    raise AppSpecTooComplex(
                        f"uses more than {APPSPEC_MAX_ALIASES} YAML aliases (*name); write the repeated parts out "
                        "instead of referring to anchors",
                        self.peek_event().start_mark.line + 1,
                    )
            return super().compose_node(parent, index)


def expanded_size(node: t.Any, limit: int = APPSPEC_MAX_NODES) -> int:
    """How many nodes the tree holds with every alias expanded; AppSpecTooComplex past limit or on a cycle.

    Shared nodes are counted once per reference, in time linear in the distinct nodes (each one's size is kept).
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(current: t.Any) -> int:
        key = id(current)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise AppSpecTooComplex(
                "refers to itself through an alias (a recursive structure); write the structure out without the alias",
                current.start_mark.line + 1,
            )
        open_nodes.add(key)
        total = 1
        if isinstance(current, yaml.MappingNode):
            children = [child for pair in current.value for child in pair]
        elif isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                raise AppSpecTooComplex(
                    f'expands to more than {limit} YAML nodes through nested aliases (a "billion laughs" document); '
                    "write the repeated parts out instead of nesting aliases",
                    current.start_mark.line + 1,
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(node)


def load_appspec(text: str) -> tuple[t.Any, t.Any]:
    """(data, node tree) of an appspec, parsed within the limits above; AppSpecTooComplex or yaml.YAMLError."""
    if len(text.encode("utf-8", "surrogateescape")) > APPSPEC_MAX_BYTES:
        raise AppSpecTooComplex(
            f"is larger than {APPSPEC_MAX_BYTES // 1024} KiB; an appspec lists files, permissions and hooks, "
            "keep data and scripts in files of their own"
        )
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        expanded_size(node)
        return loader.construct_document(node), node
    finally:
        loader.dispose()


# The last part of a path that means "the line of this mapping key" rather than the line of its value; a path
# shown to the user leaves it out.
KEY_LINE = ("line of the key",)


class _Lines:
    """YAML path -> line number, read from the composed node tree so problems can point at a line."""

    def __init__(self, node: t.Any) -> None:
        self.lines: dict[tuple[t.Any, ...], int] = {}
        # Aliases are visited once: a path through one names the anchor's lines, and the walk stays linear.
        self.seen: set[int] = set()
        if node is not None:
            self._visit(node, ())

    def _visit(self, node: t.Any, path: tuple[t.Any, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.lines[path + (key.value, KEY_LINE)] = key.start_mark.line + 1
                self._visit(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._visit(item, path + (index,))

    def get(self, path: tuple[t.Any, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _path_text(path: tuple[t.Any, ...]) -> str:
    text = ""
    for part in path:
        if part is KEY_LINE:
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Checker:
    def __init__(
        self, report: AppSpecReport, lines: _Lines, has_file: t.Callable[[str], bool], has_dir: t.Callable[[str], bool]
    ) -> None:
        self.report = report
        self.lines = lines
        self.has_file = has_file
        self.has_dir = has_dir

    def problem(self, rule: str, path: tuple[t.Any, ...], message: str) -> None:
        self.report.problems.append(
            AppSpecProblem(rule, self.report.file, _path_text(path), message, self.lines.get(path))
        )

    def warn(self, rule: str, path: tuple[t.Any, ...], message: str) -> None:
        self.report.warnings.append(
            AppSpecProblem(rule, self.report.file, _path_text(path), message, self.lines.get(path))
        )


def _bundle_path(location: str, os_name: str) -> str:
    """A location as the agent joins it to the archive directory: leading slashes and ./ do not matter."""
    if os_name == "windows":
        location = location.replace("\\", "/")
    normal = posixpath.normpath(location.lstrip("/"))
    return "" if normal == "." else normal


def _check_version(check: _Checker, spec: dict[str, t.Any]) -> None:
    version = spec.get("version")
    # The agent compares the parsed YAML value with the number 0.0, so the string "0.0" fails as well.
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version != 0.0:
        shown = "missing" if version is None else repr(version)
        check.problem("version", ("version",), f"version is {shown}; write `version: 0.0` (a number, no quotes)")


def _check_os(check: _Checker, spec: dict[str, t.Any], target_os: str | None) -> str:
    os_name = spec.get("os")
    if os_name not in OPERATING_SYSTEMS:
        shown = "missing" if os_name is None else repr(os_name)
        check.problem("os", ("os",), f"os is {shown}; write `os: linux` or `os: windows`")
        return target_os or "linux"
    if target_os and os_name != target_os:
        check.problem(
            "os-target",
            ("os",),
            f"this appspec is for {os_name} but the deployment targets {target_os} instances, whose agent refuses it; "
            f"write `os: {target_os}` (and {target_os} paths and scripts) or set target_os to {os_name}",
        )
    return os_name


def _check_file_exists_behavior(check: _Checker, spec: dict[str, t.Any]) -> None:
    if "file_exists_behavior" not in spec:
        return
    value = spec["file_exists_behavior"]
    if value not in FILE_EXISTS_BEHAVIORS:
        check.problem(
            "file-exists-behavior",
            ("file_exists_behavior",),
            f"file_exists_behavior is {value!r}; use one of {', '.join(FILE_EXISTS_BEHAVIORS)} (upper case) or remove it",
        )


def _check_files(check: _Checker, spec: dict[str, t.Any], os_name: str) -> None:
    files = spec.get("files")
    if files is None:
        return
    if not isinstance(files, list):
        check.problem("files", ("files",), "files must be a list of {source, destination} entries")
        return
    for index, item in enumerate(files):
        path = ("files", index)
        if not isinstance(item, dict):
            check.problem("files", path, "each files entry must be a mapping with source and destination")
            continue
        source, destination = item.get("source"), item.get("destination")
        if source in (None, ""):
            check.problem(
                "files-entry",
                path,
                "this entry has a destination but no source; add `source:` (a path in the bundle, or / for all of it)",
            )
            continue
        if destination in (None, ""):
            check.problem(
                "files-entry",
                path,
                f"source {source} has no destination; add `destination:` (an absolute directory on the instance)",
            )
        elif os_name == "linux" and not str(destination).startswith("/"):
            check.problem(
                "files-destination",
                path + ("destination",),
                f"destination {destination} is not an absolute path; start it with /",
            )
        relative = _bundle_path(str(source), os_name)
        if relative and not (check.has_file(relative) or check.has_dir(relative)):
            check.problem(
                "files-source",
                path + ("source",),
                f"source {source} is not in the bundle; add it to the source directory, fix the path, or check the excludes",
            )


def _check_timeout(check: _Checker, path: tuple[t.Any, ...], script: dict[str, t.Any]) -> int:
    if "timeout" not in script:
        return TIMEOUT_MAX  # the agent's default
    timeout = script["timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not TIMEOUT_MIN <= timeout <= TIMEOUT_MAX:
        check.problem(
            "hook-timeout",
            path + ("timeout",),
            f"timeout is {timeout!r}; use a whole number of seconds between {TIMEOUT_MIN} and {TIMEOUT_MAX}",
        )
        return 0
    return timeout


def _check_event_name(check: _Checker, event: t.Any) -> bool:
    if event in SCRIPTABLE_EVENTS:
        return True
    path = ("hooks", event, KEY_LINE)
    if event in RESERVED_EVENTS:
        check.problem(
            "hook-name",
            path,
            f"{event} is run by CodeDeploy itself and takes no scripts; move these scripts to another event",
        )
        return False
    close = difflib.get_close_matches(str(event), SCRIPTABLE_EVENTS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    check.problem(
        "hook-name",
        path,
        f"{event} is not a lifecycle event, so its scripts would never run; {hint}use one of {', '.join(SCRIPTABLE_EVENTS)}",
    )
    return False


def _check_hooks(check: _Checker, spec: dict[str, t.Any], os_name: str) -> None:
    hooks = spec.get("hooks")
    if hooks is None:
        return
    if not isinstance(hooks, dict):
        check.problem("hooks", ("hooks",), "hooks must be a mapping of lifecycle event name to a list of scripts")
        return
    for event, scripts in hooks.items():
        known = _check_event_name(check, event)
        if scripts in (None, "", []):
            continue  # the agent ignores an event with no scripts
        if not isinstance(scripts, list):
            check.problem("hooks", ("hooks", event), f"{event} must be a list of scripts, each `- location: <path>`")
            continue
        total = 0
        for index, script in enumerate(scripts):
            path = ("hooks", event, index)
            if not isinstance(script, dict):
                check.problem(
                    "hooks", path, "each script must be a mapping with location (and optionally timeout, runas)"
                )
                continue
            location = script.get("location")
            if location in (None, ""):
                check.problem(
                    "hook-location", path, "this script has no location; add `location:` with its path in the bundle"
                )
            elif not check.has_file(_bundle_path(str(location), os_name)):
                check.problem(
                    "hook-script",
                    path + ("location",),
                    f"script {location} is not in the bundle; add it to the source directory, fix the path, or check the excludes",
                )
            total += _check_timeout(check, path, script)
        if known and total > TIMEOUT_MAX:
            check.warn(
                "hook-timeout-total",
                ("hooks", event),
                f"the timeouts of {event} add up to {total} s, but CodeDeploy fails an event after {TIMEOUT_MAX} s in total",
            )


def _check_permissions(check: _Checker, spec: dict[str, t.Any], os_name: str) -> None:
    permissions = spec.get("permissions")
    if permissions in (None, []):
        return
    if os_name == "windows":
        check.problem(
            "permissions-windows",
            ("permissions",),
            "permissions apply only to Linux instances; remove the permissions section for windows",
        )
        return
    if not isinstance(permissions, list):
        check.problem("permissions", ("permissions",), "permissions must be a list of entries, each with an object")
        return
    for index, item in enumerate(permissions):
        path = ("permissions", index)
        if not isinstance(item, dict) or not item.get("object"):
            check.problem(
                "permission-object",
                path,
                "this permission has no object; add `object:` with an absolute path on the instance",
            )
            continue
        mode = item.get("mode")
        if mode is not None:
            text = str(mode)
            if not 1 <= len(text) <= 4 or not re.fullmatch(r"[0-7]+", text):
                check.problem(
                    "permission-mode",
                    path + ("mode",),
                    f'mode {text} is not 1 to 4 octal digits; write it like "0644" (quoted when it has a leading zero)',
                )
        kinds = item.get("type")
        if kinds is not None:
            for kind in kinds if isinstance(kinds, list) else [kinds]:
                if kind not in PERMISSION_TYPES:
                    check.problem(
                        "permission-type",
                        path + ("type",),
                        f"type {kind!r} is not supported; use file and/or directory",
                    )
        context = item.get("context")
        if context is not None and not (isinstance(context, dict) and context.get("type")):
            check.problem("permission-context", path + ("context",), "context needs a `type:` (the SELinux type)")


def check_appspec(
    text: str,
    file_name: str,
    has_file: t.Callable[[str], bool],
    has_dir: t.Callable[[str], bool],
    target_os: str | None = "linux",
) -> AppSpecReport:
    """Check one appspec text against the agent's rules; has_file/has_dir answer for bundle-relative paths."""
    report = AppSpecReport(file=file_name)
    if yaml is None:
        missing = "PyYAML is not installed, so the appspec cannot be read; install PyYAML or set check_appspec=false"
        report.problems.append(AppSpecProblem("yaml", file_name, "", missing))
        return report
    try:
        spec, node = load_appspec(text)
    except AppSpecTooComplex as e:
        report.problems.append(AppSpecProblem("yaml-limits", file_name, "", str(e), e.line))
        return report
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        report.problems.append(
            AppSpecProblem(
                "yaml",
                file_name,
                "",
                f"is not valid YAML ({getattr(e, 'problem', e)}); fix the syntax",
                mark.line + 1 if mark else None,
            )
        )
        return report
    check = _Checker(report, _Lines(node), has_file, has_dir)
    if spec is None:
        check.problem("empty", (), "the file is empty; it needs at least `version: 0.0` and `os: linux`")
        return report
    if not isinstance(spec, dict):
        check.problem(
            "structure", (), "the appspec must be a YAML mapping with version, os, files, permissions and hooks"
        )
        return report
    report.appspec = spec
    for key in spec:
        if key not in TOP_LEVEL_KEYS:
            check.warn(
                "unknown-key",
                (key, KEY_LINE),
                f"{key} is not an appspec section and is ignored; sections are {', '.join(TOP_LEVEL_KEYS)}",
            )
    _check_version(check, spec)
    os_name = _check_os(check, spec, target_os)
    _check_file_exists_behavior(check, spec)
    _check_files(check, spec, os_name)
    _check_permissions(check, spec, os_name)
    _check_hooks(check, spec, os_name)
    return report


def check_bundle_appspec(
    root: str,
    file_names: t.Collection[str],
    dir_names: t.Collection[str],
    target_os: str | None = "linux",
    bundle_type: str = "zip",
) -> AppSpecReport:
    """Find the appspec at the bundle root and check it against what the bundle holds."""
    present = [name for name in APPSPEC_NAMES if name in file_names]
    report = AppSpecReport(file=present[0] if present else "appspec.yml")
    if not present:
        report.problems.append(
            AppSpecProblem(
                "appspec-missing",
                "appspec.yml",
                "",
                "the bundle has no appspec.yml at its root; add one to the source directory (and do not exclude it)",
            )
        )
        return report
    if len(present) == 2:
        report.problems.append(
            AppSpecProblem(
                "appspec-ambiguous",
                "appspec.yaml",
                "",
                "the bundle has both appspec.yml and appspec.yaml and the agent may read either; keep only appspec.yml",
            )
        )
        return report
    with open(posixpath.join(root, present[0]), encoding="utf-8") as handle:
        # One byte past the limit is enough to tell that the file is too large, without reading all of it.
        text = handle.read(APPSPEC_MAX_BYTES + 1)
    report = check_appspec(text, present[0], file_names.__contains__, dir_names.__contains__, target_os)
    if present[0] == "appspec.yaml":
        report.warnings.append(
            AppSpecProblem(
                "appspec-name",
                "appspec.yaml",
                "",
                "agent versions read hooks only from appspec.yml; rename appspec.yaml to appspec.yml",
            )
        )
    if (target_os or report.appspec.get("os")) == "windows" and bundle_type != "zip":
        report.problems.append(
            AppSpecProblem(
                "bundle-type",
                report.file,
                "os",
                f"Windows instances cannot unpack a {bundle_type} bundle; use bundle_type zip",
            )
        )
    return report
