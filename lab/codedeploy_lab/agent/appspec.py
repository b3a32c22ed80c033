"""``appspec.yml`` for EC2/on-premises, parsed and validated with the real agent's rules and messages.

Messages are the agent's own (aws-codedeploy-agent ``application_specification/*.rb``), typos included, because
users search for them. Every problem raises ``AppSpecValidationError``; the agent reports it as ``UnknownError`` on
the lifecycle event that read the file.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from dataclasses import field

import yaml

FILE_EXISTS_BEHAVIORS = ("DISALLOW", "OVERWRITE", "RETAIN")
# A revision's appspec is parsed in the lab process, so it is bounded like any hostile input: real appspecs are a few
# kilobytes with an anchor or two, while a few hundred bytes of nested aliases ("billion laughs") expand to billions.
APPSPEC_MAX_BYTES = 1 << 20
APPSPEC_MAX_ALIASES = 100
APPSPEC_MAX_NODES = 100_000  # once every alias is expanded
DEFAULT_TIMEOUT = 3600
PERMISSION_TYPES = ("file", "directory")


class AppSpecValidationError(ValueError):
    """The appspec breaks one of the agent's rules; ``str(error)`` is the agent's message."""


@dataclass(frozen=True)
class FileMapping:
    source: str
    destination: str


@dataclass(frozen=True)
class Permission:
    object: str
    pattern: str = "**"
    except_: tuple[str, ...] = ()
    owner: str | None = None
    group: str | None = None
    mode: str | None = None
    acls: tuple[str, ...] = ()
    context: dict[str, t.Any] | None = None
    types: tuple[str, ...] = PERMISSION_TYPES

    def as_dict(self) -> dict[str, t.Any]:
        return {
            "object": self.object,
            "pattern": self.pattern,
            "except": list(self.except_),
            "owner": self.owner,
            "group": self.group,
            "mode": self.mode,
            "type": list(self.types),
        }


@dataclass(frozen=True)
class Script:
    location: str
    timeout: int = DEFAULT_TIMEOUT
    runas: str | None = None
    sudo: bool = False

    def as_dict(self) -> dict[str, t.Any]:
        return {"location": self.location, "timeout": self.timeout, "runas": self.runas, "sudo": self.sudo}


@dataclass(frozen=True)
class AppSpec:
    version: float
    os: str
    files: tuple[FileMapping, ...] = ()
    permissions: tuple[Permission, ...] = ()
    hooks: dict[str, tuple[Script, ...]] = field(default_factory=dict)
    file_exists_behavior: str | None = None


def ruby_to_s(value: t.Any) -> str:
    """How the agent's Ruby interpolates a YAML value into a message (nil -> '', 0.0 -> '0.0')."""
    if value is None:
        return ""
    if value is True or value is False:
        return str(value).lower()
    return str(value)


def ruby_to_i(value: t.Any) -> int:
    """Ruby's ``to_i``: leading digits of a string, truncation of a float, 0 for anything else."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    match = re.match(r"\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else 0


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that counts aliases while composing, before anything is expanded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: t.Any, index: t.Any) -> t.Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > APPSPEC_MAX_ALIASES:
                raise AppSpecValidationError(too_complex(f"uses more than {APPSPEC_MAX_ALIASES} YAML aliases"))
        return super().compose_node(parent, index)


def too_complex(what: str) -> str:
    return (
        f"The deployment failed because the application specification file {what}, more than the CodeDeploy lab "
        "parses from a revision (a defence against YAML alias bombs). Write the repeated parts out."
    )


def expanded_nodes(root: t.Any) -> int:
    """Nodes in the tree with every alias expanded, in time linear in the distinct nodes; refuses past the limit."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: t.Any) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in visiting:
            raise AppSpecValidationError(too_complex("refers to itself through a YAML alias"))
        visiting.add(id(node))
        children = (
            [c for pair in node.value for c in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
            if isinstance(node, yaml.SequenceNode)
            else []
        )
        total = 1
        for child in children:
            total += size(child)
            if total > APPSPEC_MAX_NODES:
                raise AppSpecValidationError(too_complex(f"expands to more than {APPSPEC_MAX_NODES} YAML nodes"))
        visiting.discard(id(node))
        sizes[id(node)] = total
        return total

    return size(root)


def load_bounded(text: str) -> t.Any:
    """``yaml.safe_load`` within the limits above."""
    if len(text.encode("utf-8", "replace")) > APPSPEC_MAX_BYTES:
        raise AppSpecValidationError(too_complex(f"is larger than {APPSPEC_MAX_BYTES >> 10} KiB"))
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded_nodes(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_appspec(text: str | bytes, agent_os: str = "linux") -> AppSpec:
    """Parse and validate an appspec; raise ``AppSpecValidationError`` with the agent's message."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        document = load_bounded(text)
    except yaml.YAMLError as error:
        # The agent lets Psych's parse error through; its text is what users see.
        raise AppSpecValidationError(
            f"The deployment failed because the application specification file could not be parsed as YAML: {error}"
        ) from None
    if document is None or (isinstance(document, str) and not document.strip()):
        raise AppSpecValidationError(
            "The deployment failed because the application specification file was empty. Make sure your AppSpec "
            "file defines at minimum the 'version' and 'os' properties."
        )
    if not isinstance(document, dict):
        document = {}
    version = document.get("version")
    # The agent checks ``[0.0].include?(version)``: a quoted "0.0" is a String and is rejected.
    if not (isinstance(version, float) and version == 0.0):
        raise AppSpecValidationError(
            f"The deployment failed because an invalid version value ({ruby_to_s(version)}) was entered in the "
            f'application specification file. Make sure your AppSpec file specifies "0.0" as the version, and '
            f"then try again."
        )
    os_name = document.get("os")
    if os_name != agent_os:
        raise AppSpecValidationError(
            f"The deployment failed because the application specification file specifies an unsupported operating "
            f'system ({ruby_to_s(os_name)}). Specify either "linux" or "windows" in the os section of the '
            f"AppSpec file, and then try again."
        )
    behavior = document.get("file_exists_behavior")
    if behavior is not None and ruby_to_s(behavior).upper() not in FILE_EXISTS_BEHAVIORS:
        raise AppSpecValidationError(
            f"The deployment failed because an invalid file_exists_behavior value ({ruby_to_s(behavior)}) was "
            f"entered in the application specification file. Make sure your AppSpec file specifies one of "
            f"{','.join(FILE_EXISTS_BEHAVIORS)} as the file_exists_behavior, and then try again."
        )
    return AppSpec(
        version=version,
        os=os_name,
        files=tuple(_parse_files(document.get("files"))),
        permissions=tuple(_parse_permissions(document.get("permissions"))),
        hooks=_parse_hooks(document.get("hooks")),
        file_exists_behavior=ruby_to_s(behavior).upper() if behavior is not None else None,
    )


def _parse_files(entries: t.Any) -> t.Iterator[FileMapping]:
    for entry in entries or []:
        entry = entry if isinstance(entry, dict) else {}
        source, destination = entry.get("source"), entry.get("destination")
        if not source:
            raise AppSpecValidationError(
                "The deployment failed because the application specification file specifies a destination file, "
                "but no source file. Update the files section of the AppSpec file, and then try again."
            )
        if not destination:
            raise AppSpecValidationError(
                f"The deployment failed because the application specification file specifies only a source file "
                f"({ruby_to_s(source)}). Add the name of the destination file to the files section of the AppSpec "
                f"file, and then try again."
            )
        yield FileMapping(source=ruby_to_s(source), destination=ruby_to_s(destination))


def _parse_mode(mode: t.Any) -> str | None:
    if mode is None:
        return None
    text = ruby_to_s(mode)
    if not 1 <= len(text) <= 4:
        raise AppSpecValidationError(
            f"The deployment failed because the length of a permissions mode ({text}) in the application "
            f"specification file is invalid. Permissions modes must be between one and four characters long. "
            f"Update the permissions section of the AppSpec file, and then try again."
        )
    for char in text:
        if char not in "01234567":
            raise AppSpecValidationError(
                f"The deployment failed because the permissions mode ({text}) in the application specification "
                f"file contains an invalid character ({char}). Update the permissions section of the AppSpec file, "
                f"and then try again."
            )
    return text.rjust(3, "0")


def _as_list(value: t.Any) -> list[t.Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _parse_permissions(entries: t.Any) -> t.Iterator[Permission]:
    seen: set[str] = set()
    for entry in entries or []:
        entry = entry if isinstance(entry, dict) else {}
        obj = entry.get("object")
        if not obj:
            raise AppSpecValidationError(
                "The deployment failed because a permission listed in the application specification file has no "
                "object value. Update the permissions section of the AppSpec file, and then try again."
            )
        types = tuple(ruby_to_s(t_) for t_ in _as_list(entry.get("type"))) or PERMISSION_TYPES
        for kind in types:
            if kind not in PERMISSION_TYPES:
                raise AppSpecValidationError(
                    f"The deployment failed because the application specification filespecifies a permission for "
                    f"an object type not supported for permissions ({kind}). Update the permissions section of the "
                    f"AppSpec file, and then try again."
                )
        context = entry.get("context")
        if context is not None and (not isinstance(context, dict) or not context.get("type")):
            raise AppSpecValidationError(
                f"The deployment failed because the application specification file specifies an invalid context "
                f"type ({ruby_to_s(context)}). Update the permissions section of the AppSpec file, and then try "
                f"again."
            )
        obj_text = ruby_to_s(obj)
        key = obj_text.rstrip("/") or "/"
        if key in seen:
            raise AppSpecValidationError(
                f"The deployment failed because the permissions setting for ({obj_text}) is specified more than "
                f"once in the application specification file. Update the files section of the AppSpec file, and "
                f"then try again."
            )
        seen.add(key)
        yield Permission(
            object=obj_text,
            pattern=ruby_to_s(entry.get("pattern")) if entry.get("pattern") is not None else "**",
            except_=tuple(ruby_to_s(e) for e in _as_list(entry.get("except"))),
            owner=ruby_to_s(entry["owner"]) if entry.get("owner") is not None else None,
            group=ruby_to_s(entry["group"]) if entry.get("group") is not None else None,
            mode=_parse_mode(entry.get("mode")),
            acls=tuple(ruby_to_s(a) for a in _as_list(entry.get("acls"))),
            context=context,
            types=types,
        )


def _parse_hooks(hooks: t.Any) -> dict[str, tuple[Script, ...]]:
    parsed: dict[str, tuple[Script, ...]] = {}
    if not isinstance(hooks, dict):
        return parsed
    for event, scripts in hooks.items():
        if not scripts:
            continue  # a hook with no scripts is ignored
        entries = []
        for script in _as_list(scripts):
            script = script if isinstance(script, dict) else {}
            location = script.get("location")
            if not location:
                raise AppSpecValidationError(
                    "The deployment failed because the application specification file specifies a script with no "
                    "location value. Specify the location in the hooks section of the AppSpec file, and then try "
                    "again."
                )
            timeout = ruby_to_i(script["timeout"]) if "timeout" in script else DEFAULT_TIMEOUT
            if timeout <= 0:
                raise AppSpecValidationError(
                    "The deployment failed because an invalid timeout value was provided for a script in the "
                    "application specification file. Make corrections in the hooks section of the AppSpec file, "
                    "and then try again."
                )
            runas = script.get("runas")
            entries.append(
                Script(
                    location=ruby_to_s(location),
                    timeout=timeout,
                    runas=ruby_to_s(runas) if runas else None,
                    sudo=bool(script.get("sudo")),
                )
            )
        parsed[str(event)] = tuple(entries)
    return parsed
