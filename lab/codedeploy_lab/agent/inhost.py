"""The host agent's hands: runs *inside* a lab host's sandbox, as ``python3 -I -c <this file> <op>``.

Standard library only (it runs under the host's ``/usr/bin/python3``). Request: one JSON line on stdin (for
``unpack`` the bundle's bytes follow it). Answer: JSON on stdout, ``{"ok": true, ...}`` or ``{"ok": false,
"error_code": ..., "message": ..., ...}``. All paths are the host's own (its root is ``/`` here), so every write lands
in the host's root and ``realpath`` containment checks see what a script would see.

Operations (the agent in the lab process decides *what*, this file does it the way aws-codedeploy-agent does):

* ``unpack`` (a process of its own): prune old revisions, write ``bundle.tar`` from stdin, unpack it without ever
  writing through a link and within the lab's limits, strip a single top directory that holds the appspec, record
  ``<dg-id>_most_recent_install``;
* ``read`` (the host's shared helper): a file's content (the appspec, ``<dg-id>_last_successful_install``);
* ``install`` (the shared helper): apply and delete the group's cleanup file, plan copies (``file_exists_behavior``),
  write ``<dg-id>-install.json``, copy, apply permissions, write the new cleanup file and ``_last_successful_install``;
* ``hooks`` (a process of its own): run one event's scripts in order, with timeouts, logging to ``logs/scripts.log``;
  SIGTERM (StopDeployment, the service's hour) ends the running script's process group, SIGKILL after a grace.
"""

import base64
import datetime
import fnmatch
import grp
import json
import os
import posixpath
import pwd
import select
import shutil
import signal
import stat
import sys
import time

# tarfile, zipfile and subprocess are imported by the one operation that needs each: ``unpack`` and ``hooks`` start a
# process of their own per call, and those three imports would add two thirds to every other one's start-up time.

MAX_REVISIONS = 5
LOG_TAIL_LIMIT = 2048


class AgentError(Exception):
    """Reported as UnknownError with this message (as the agent does for its own exceptions)."""


def now():
    return datetime.datetime.now()


def stamp():
    return now().strftime("%Y-%m-%d %H:%M:%S")


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


# -- DownloadBundle -------------------------------------------------------------------------------------------------


def prune_revisions(root, group_id, current_dir):
    """Keep at most MAX_REVISIONS old deployment dirs of the group besides the current one, never the last good."""
    group_dir = os.path.join(root, group_id)
    if not os.path.isdir(group_dir):
        return []
    keep = set()
    last_good = os.path.join(root, "deployment-instructions", group_id + "_last_successful_install")
    if os.path.isfile(last_good):
        keep.add(open(last_good).read().strip())
    candidates = [os.path.join(group_dir, name) for name in os.listdir(group_dir)]
    candidates = [c for c in candidates if os.path.isdir(c) and c != current_dir]
    candidates.sort(key=lambda c: os.stat(c).st_mtime)
    removed = []
    while len(candidates) > MAX_REVISIONS:
        victim = candidates.pop(0)
        if victim in keep:
            continue
        shutil.rmtree(victim, ignore_errors=True)
        removed.append(victim)
    return removed


def escape_error(name):
    return AgentError(
        "The deployment failed because the revision bundle contains an entry that would be unpacked "
        "outside the deployment archive directory: " + name
    )


def inside(name):
    """Lexically normalised relative path of an archive entry, or None if it leaves the archive."""
    if name.startswith("/") or name.startswith("\\"):
        return None
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/".join(parts)


def link_stays_inside(entry, target):
    if target.startswith("/"):
        return False
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(entry), target))
    return not (joined == ".." or joined.startswith("../"))


def within(root, path):
    """``path`` resolved (symlinks followed, as the kernel would) if it stays inside ``root``, else None."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real if real == real_root or real.startswith(real_root.rstrip("/") + "/") else None


class Extraction:
    """Writes archive entries under ``destination`` without ever following a symlink, within the limits.

    Regular files and directories come first; symlinks are only recorded and made last (``finish``), so no entry can
    be written through a link of the same archive (``a/b -> ..`` then ``a/b/c -> ..`` then ``a/b/c/x``). Every
    parent is checked with lstat and files are opened with O_NOFOLLOW. Sizes are counted as bytes are written:
    headers are never trusted.
    """

    def __init__(self, destination, limits, bundle_size):
        self.destination = destination
        self.limits = limits
        self.bundle_size = max(bundle_size, 1)
        self.written = 0
        self.entries = 0
        self.links = []

    def path(self, relative):
        path = self.destination
        for part in relative.split("/")[:-1]:
            path = os.path.join(path, part)
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                os.mkdir(path)
                continue
            if not stat.S_ISDIR(mode):
                raise escape_error(
                    relative + " (its parent " + path[len(self.destination) + 1 :] + " is not a directory)"
                )
        return os.path.join(path, relative.split("/")[-1])

    def count_entry(self, name):
        self.entries += 1
        if self.entries > self.limits["max_entries"]:
            raise limit_error("it holds more than " + str(self.limits["max_entries"]) + " entries", "max_entries")

    def count_bytes(self, size):
        self.written += size
        if self.written > self.limits["max_unpacked_bytes"]:
            raise limit_error(
                "it unpacks to more than " + str(self.limits["max_unpacked_bytes"]) + " bytes", "max_unpacked_bytes"
            )
        if (
            self.written > self.limits["ratio_floor_bytes"]
            and self.written > self.limits["max_ratio"] * self.bundle_size
        ):
            raise limit_error(
                "it unpacks to more than "
                + str(self.limits["max_ratio"])
                + " times its size ("
                + str(self.bundle_size)
                + " bytes)",
                "max_ratio",
            )

    def directory(self, relative):
        self.count_entry(relative)
        path = self.path(relative)
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise escape_error(relative + " (a directory entry over a file or link)")
        except FileNotFoundError:
            os.mkdir(path)

    def file(self, relative, source, mode):
        self.count_entry(relative)
        path = self.path(relative)
        if os.path.islink(path):
            os.unlink(path)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as target:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                self.count_bytes(len(chunk))
                target.write(chunk)
        os.chmod(path, (mode & 0o7777) or 0o644)

    def hard_link(self, relative, target_relative):
        self.count_entry(relative)
        target = os.path.join(self.destination, target_relative)
        try:
            if not stat.S_ISREG(os.lstat(target).st_mode):
                raise escape_error(relative + " -> " + target_relative)
        except FileNotFoundError:
            raise escape_error(relative + " -> " + target_relative + " (no such file earlier in the archive)") from None
        path = self.path(relative)
        if os.path.lexists(path):
            os.unlink(path)
        os.link(target, path, follow_symlinks=False)

    def symlink(self, relative, target):
        if not link_stays_inside(relative, target):
            raise escape_error(relative + " -> " + target)
        self.count_entry(relative)
        self.links.append((relative, target))

    def finish(self):
        """Make the links, then check that each one, resolved through the others, still points inside."""
        for relative, target in self.links:
            path = self.path(relative)
            if os.path.isdir(path) and not os.path.islink(path):
                raise escape_error(relative + " -> " + target + " (a link over a directory)")
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(target, path)
        for relative, target in self.links:
            if within(self.destination, os.path.join(self.destination, relative)) is None:
                raise escape_error(relative + " -> " + target)


def limit_error(what, limit):
    flags = {
        "max_unpacked_bytes": ("--max-unpacked-bytes", "CODEDEPLOY_LAB_MAX_UNPACKED_BYTES"),
        "max_ratio": ("--max-ratio", "CODEDEPLOY_LAB_MAX_RATIO"),
        "max_entries": ("--max-entries", "CODEDEPLOY_LAB_MAX_ENTRIES"),
    }[limit]
    return AgentError(
        "The deployment failed because the revision bundle exceeds a limit of the CodeDeploy lab: "
        + what
        + ". Raise the limit with `codedeploy-lab up "
        + flags[0]
        + " N` (or the "
        + flags[1]
        + " environment variable of the lab) if the bundle is genuine."
    )


def unpack_tar(bundle, extraction, compressed):
    import tarfile  # unpack only (start-up time of the other operations)

    try:
        archive = tarfile.open(bundle, mode="r:gz" if compressed else "r:")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise AgentError(
            "The deployment failed because the revision bundle is not a valid "
            + ("tgz" if compressed else "tar")
            + " archive: "
            + str(error)
        ) from error
    with archive:
        for member in archive:
            relative = inside(member.name)
            if relative is None:
                raise escape_error(member.name)
            if member.isdev() or member.isfifo():
                raise AgentError(
                    "The deployment failed because the revision bundle contains a device or fifo: " + member.name
                )
            if not relative:
                continue
            if member.isdir():
                extraction.directory(relative)
            elif member.issym():
                extraction.symlink(relative, member.linkname)
            elif member.islnk():
                target = inside(member.linkname)
                if not target:
                    raise escape_error(member.name + " -> " + member.linkname)
                extraction.hard_link(relative, target)
            else:
                # Directories, links, devices and fifos were handled above: what remains is a file to read.
                with archive.extractfile(member) as source:  # type: ignore[union-attr]
                    extraction.file(relative, source, member.mode)
                os.utime(
                    os.path.join(extraction.destination, relative), (member.mtime, member.mtime), follow_symlinks=False
                )


def unpack_zip(bundle, extraction):
    import zipfile  # unpack only (start-up time of the other operations)

    try:
        archive = zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, OSError) as error:
        raise AgentError(
            "The deployment failed because the revision bundle is not a valid zip archive: " + str(error)
        ) from error
    with archive:
        for info in archive.infolist():
            relative = inside(info.filename)
            if relative is None:
                raise escape_error(info.filename)
            if not relative:
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                with archive.open(info) as source:
                    target = source.read(4097)  # a link target is a path, never a payload
                if len(target) > 4096:
                    raise escape_error(info.filename + " (a link target longer than 4096 bytes)")
                extraction.symlink(relative, target.decode("utf-8", "replace"))
            elif info.is_dir():
                extraction.directory(relative)
            else:
                with archive.open(info) as source:
                    extraction.file(relative, source, mode)


def receive_bundle(stream, path, size):
    """Copy exactly ``size`` bytes of ``stream`` to ``path``; the lab then says ``ok`` (its checks passed) or not."""
    remaining = size
    with open(path, "wb") as handle:
        while remaining:
            chunk = stream.read(min(remaining, 1 << 20))
            if not chunk:
                raise AgentError(
                    "The deployment failed because the revision bundle download ended after "
                    + str(size - remaining)
                    + " of "
                    + str(size)
                    + " bytes"
                )
            handle.write(chunk)
            remaining -= len(chunk)
    verdict = stream.readline().strip()
    if verdict != b"ok":
        raise AgentError(
            "The deployment failed because the lab abandoned the revision bundle download: "
            + verdict.decode("utf-8", "replace")
        )


def unpack(request):
    root, group_id = request["root"], request["deployment_group_id"]
    deployment_dir = os.path.join(root, group_id, request["deployment_id"])
    removed = prune_revisions(root, group_id, deployment_dir)
    if os.path.isdir(deployment_dir):
        shutil.rmtree(deployment_dir)
    os.makedirs(os.path.join(deployment_dir, "logs"), exist_ok=True)
    bundle = os.path.join(deployment_dir, "bundle.tar")
    receive_bundle(request["stream"], bundle, request["size"])
    staging = os.path.join(deployment_dir, "deployment-archive-unpacking")
    archive_dir = os.path.join(deployment_dir, "deployment-archive")
    os.makedirs(staging)
    extraction = Extraction(staging, request["limits"], request["size"])
    kind = (request.get("bundle_type") or "tar").lower()
    try:
        if kind == "zip":
            unpack_zip(bundle, extraction)
        else:
            unpack_tar(bundle, extraction, compressed=(kind == "tgz"))
        extraction.finish()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a refused bundle leaves nothing unpacked behind
        raise
    entries = os.listdir(staging)
    stripped = False
    if (
        len(entries) == 1
        and os.path.isdir(os.path.join(staging, entries[0]))
        and not os.path.islink(os.path.join(staging, entries[0]))
    ):
        top = os.path.join(staging, entries[0])
        if any("appspec" in name.lower() for name in os.listdir(top)):
            os.rename(top, archive_dir)
            os.rmdir(staging)
            stripped = True
    if not stripped:
        os.rename(staging, archive_dir)
    write_text(os.path.join(root, "deployment-instructions", group_id + "_most_recent_install"), deployment_dir)
    return {
        "ok": True,
        "deployment_dir": deployment_dir,
        "stripped_top_directory": entries[0] if stripped else None,
        "pruned": removed,
        "unpacked_bytes": extraction.written,
    }


def read(request):
    path = request["path"]
    if not os.path.isfile(path):
        return {"ok": True, "exists": False}
    limit = request.get("limit")
    with open(path, "rb") as handle:
        data = handle.read() if limit is None else handle.read(limit + 1)
    if limit is not None and len(data) > limit:
        return {"ok": True, "exists": True, "too_large": True}
    return {"ok": True, "exists": True, "b64": base64.b64encode(data).decode()}


# -- Install --------------------------------------------------------------------------------------------------------


def apply_cleanup(cleanup_file):
    if not os.path.isfile(cleanup_file):
        return 0
    with open(cleanup_file) as handle:
        paths = [line.rstrip("\n") for line in handle if line.strip()]
    for path in reversed(paths):
        if path.startswith("semanage\0"):
            continue
        try:
            if os.path.islink(path) or os.path.isfile(path):
                os.unlink(path)
            elif os.path.isdir(path) and not os.listdir(path):
                os.rmdir(path)
        except FileNotFoundError:
            pass
    os.unlink(cleanup_file)
    return len(paths)


class Plan:
    """The agent's instruction list: mkdirs and copies, checked against what is on disk before anything runs."""

    def __init__(self, behavior):
        self.behavior = behavior
        self.instructions = []
        self.copies = {}  # destination -> source
        self.mkdirs = set()

    def mkdir(self, directory):
        if directory in self.mkdirs:
            return
        if directory in self.copies:
            raise AgentError(
                "The deployment failed because the application specification file calls for "
                "installing the file " + self.copies[directory] + ", but a file with that name already "
                "exists at the location (" + directory + "). Update your AppSpec file or directory "
                "structure, and then try again."
            )
        if os.path.isdir(directory):
            return  # existing directories are reused and never recorded
        parent = os.path.dirname(directory)
        if parent and parent != directory:
            self.mkdir(parent)
        self.mkdirs.add(directory)
        self.instructions.append({"type": "mkdir", "directory": directory})

    def copy(self, source, destination):
        if destination in self.copies:
            raise AgentError(
                "The deployment failed because the application specification file specifies two "
                "source files named " + self.copies[destination] + " and " + source + " for the same "
                "destination (" + destination + "). Remove one of the source file paths from the "
                "AppSpec file, and then try again."
            )
        if destination in self.mkdirs:
            raise AgentError(
                "The deployment failed because the application specification file calls for "
                "installing the file " + source + ", but a file with that name already exists at the "
                "location (" + destination + "). Update your AppSpec file or directory structure, and "
                "then try again."
            )
        if os.path.lexists(destination):
            if self.behavior == "DISALLOW":
                raise AgentError(
                    "The deployment failed because a specified file already exists at this location: " + destination
                )
            if self.behavior == "RETAIN":
                return
            if self.behavior != "OVERWRITE":
                raise AgentError(
                    "The deployment failed because an invalid option was specified for "
                    "fileExistsBehavior: " + str(self.behavior) + ". Valid options include OVERWRITE, "
                    "RETAIN, and DISALLOW."
                )
        self.mkdir(os.path.dirname(destination))
        self.copies[destination] = source
        self.instructions.append({"type": "copy", "source": source, "destination": destination})

    def directory(self, source_dir, destination):
        self.mkdir(destination)
        for name in sorted(os.listdir(source_dir)):
            source = os.path.join(source_dir, name)
            target = os.path.join(destination, name)
            if os.path.isdir(source) and not os.path.islink(source):
                self.directory(source, target)
            else:
                self.copy(source, target)


def permission_targets(permission, copied, created):
    """Paths (copied files / created directories) a permission applies to, as the agent selects them."""
    obj = permission["object"].rstrip("/") or "/"
    kinds = permission["type"]
    if obj in copied:
        if permission["pattern"] != "**" or permission["except"]:
            raise AgentError(
                "The deployment failed because the application specification file specifies a "
                "pattern or except for the file object " + obj + ". Update the permissions section of "
                "the AppSpec file, and then try again."
            )
        return [obj] if "file" in kinds else []
    base = obj if obj.endswith("/") else obj + "/"
    selected = []
    for path, kind in [(p, "file") for p in copied] + [(d, "directory") for d in created]:
        if kind not in kinds or not path.startswith(base):
            continue
        relative = path[len(base) :]
        if permission["pattern"] != "**" and not fnmatch.fnmatchcase(relative, permission["pattern"]):
            continue
        if any(fnmatch.fnmatchcase(relative, pattern) for pattern in permission["except"]):
            continue
        selected.append(path)
    return sorted(selected)


def lookup_id(name, kind):
    try:
        return pwd.getpwnam(name).pw_uid if kind == "user" else grp.getgrnam(name).gr_gid
    except KeyError:
        raise AgentError("can't find " + kind + " for " + name) from None


def install(request):
    root, group_id = request["root"], request["deployment_group_id"]
    instructions_dir = os.path.join(root, "deployment-instructions")
    os.makedirs(instructions_dir, exist_ok=True)
    cleanup_file = os.path.join(instructions_dir, group_id + "-cleanup")
    removed = apply_cleanup(cleanup_file)
    archive = request["archive_dir"]
    plan = Plan(request["file_exists_behavior"])
    for mapping in request["files"]:
        source = os.path.normpath(os.path.join(archive, mapping["source"].lstrip("/")))
        destination = os.path.normpath(mapping["destination"])
        if within(archive, source) is None:
            raise AgentError(
                "The deployment failed because the application specification file specifies a source "
                "file (" + mapping["source"] + ") that is outside the revision: files.source is a path "
                "inside the revision (a leading / means the revision's root). Update the files section "
                "of the AppSpec file, and then try again."
            )
        if not os.path.lexists(source):
            raise AgentError(
                "The deployment failed because the application specification file specifies a source "
                "file (" + mapping["source"] + ") that does not exist in the revision. Update the files "
                "section of the AppSpec file, and then try again."
            )
        if os.path.isdir(source) and not os.path.islink(source):
            plan.directory(source, destination)
        else:
            plan.copy(source, os.path.join(destination, os.path.basename(source)))
    copied = [i["destination"] for i in plan.instructions if i["type"] == "copy"]
    created = [i["directory"] for i in plan.instructions if i["type"] == "mkdir"]
    permission_steps = []
    for permission in request["permissions"]:
        for path in permission_targets(permission, copied, created):
            if permission.get("mode"):
                permission_steps.append({"type": "chmod", "name": path, "mode": permission["mode"]})
            if permission.get("owner") or permission.get("group"):
                permission_steps.append(
                    {"type": "chown", "name": path, "owner": permission.get("owner"), "group": permission.get("group")}
                )
    with open(os.path.join(instructions_dir, group_id + "-install.json"), "w") as handle:
        json.dump({"instructions": plan.instructions + permission_steps}, handle)
    with open(cleanup_file, "w") as cleanup:
        for step in plan.instructions:
            if step["type"] == "mkdir":
                os.mkdir(step["directory"])
                cleanup.write(step["directory"] + "\n")
            else:
                source, destination = step["source"], step["destination"]
                if os.path.islink(source):
                    if os.path.lexists(destination):
                        os.unlink(destination)
                    os.symlink(os.readlink(source), destination)
                else:
                    if os.path.islink(destination):
                        os.unlink(destination)
                    shutil.copy2(source, destination)
                cleanup.write(destination + "\n")
            cleanup.flush()
    for step in permission_steps:
        if step["type"] == "chmod":
            os.chmod(step["name"], int(step["mode"], 8))
        else:
            uid = lookup_id(step["owner"], "user") if step["owner"] else -1
            gid = lookup_id(step["group"], "group") if step["group"] else -1
            os.chown(step["name"], uid, gid, follow_symlinks=False)
    write_text(os.path.join(instructions_dir, group_id + "_last_successful_install"), request["deployment_dir"])
    return {
        "ok": True,
        "removed_by_cleanup": removed,
        "copied": copied,
        "created_directories": created,
        "permission_steps": len(permission_steps),
    }


# -- hooks ----------------------------------------------------------------------------------------------------------


class ScriptLog:
    """The agent's ScriptLog: the newest entries whose total length stays under 2048 characters."""

    def __init__(self):
        self.entries = []

    def append(self, entry):
        self.entries.append(entry)
        index, remaining = len(self.entries), LOG_TAIL_LIMIT
        while index > 0 and remaining - len(self.entries[index - 1]) > 0:
            index -= 1
            remaining -= len(self.entries[index])
        if index > 0:
            self.entries = self.entries[index:]

    def tail(self):
        return "".join(self.entries)


class Logs:
    def __init__(self, scripts_log, deployments_log, deployment_id):
        os.makedirs(os.path.dirname(scripts_log), exist_ok=True)
        os.makedirs(os.path.dirname(deployments_log), exist_ok=True)
        self.scripts = open(scripts_log, "a")
        self.deployments = open(deployments_log, "a")
        self.deployment_id = deployment_id
        self.tail = ScriptLog()

    def entry(self, text):
        self.tail.append(text + "\n")
        self.scripts.write(stamp() + " " + text + "\n")
        moment = now()
        self.deployments.write(
            "["
            + moment.strftime("%Y-%m-%d %H:%M:%S.")
            + f"{moment.microsecond // 1000:03d}"
            + "] ["
            + self.deployment_id
            + "]"
            + text
            + "\n"
        )
        self.scripts.flush()
        self.deployments.flush()

    def close(self):
        self.scripts.close()
        self.deployments.close()


def failure(code, message, location, logs):
    return {"ok": False, "error_code": code, "message": message, "script_name": location, "log_tail": logs.tail.tail()}


def run_script(script, archive, env, logs, cwd):
    import subprocess  # hooks only (start-up time of the other operations)

    location = script["location"]
    # As the agent joins them (Ruby's File.join): a leading / still means the archive's root.
    shown = archive.rstrip("/") + "/" + location.lstrip("/")
    path = within(archive, shown)
    user = script.get("runas")
    who = " run as user " + user if user else ""
    logs.entry("Script - " + location)
    if path is None or not os.path.isfile(path):  # outside the archive (.., or a link leading out) is missing
        return failure("ScriptMissing", "Script does not exist at specified location: " + shown, location, logs)
    if not os.access(path, os.X_OK):
        try:
            os.chmod(path, os.stat(path).st_mode | 0o111)
        except OSError:
            return failure(
                "ScriptNotExecutable",
                "Unable to set script at specified location: " + location + " as executable",
                location,
                logs,
            )
    with open(path, "rb") as handle:
        has_shebang = handle.read(2) == b"#!"
    command = [path] if has_shebang else ["/bin/sh", path]  # no #!: /bin/sh (lab choice, see README)
    if user:
        command = ["su", user, "-c", " ".join(_quote(part) for part in command)]
    if script.get("sudo"):
        command = ["sudo"] + command
    deadline = time.monotonic() + script["timeout"]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as error:
        return failure(
            "ScriptFailed",
            "Script at specified location: "
            + location
            + who
            + " failed with error "
            + type(error).__name__
            + " with message "
            + str(error),
            location,
            logs,
        )
    try:
        return watch_script(process, script, location, who, deadline, logs)
    except Stopped:
        _kill_group(process)
        return failure("UnknownError", STOPPED_MESSAGE, location, logs)


def watch_script(process, script, location, who, deadline, logs):
    import subprocess  # hooks only (start-up time of the other operations)

    streams = {process.stdout.fileno(): ("stdout", process.stdout), process.stderr.fileno(): ("stderr", process.stderr)}
    partial = {fd: b"" for fd in streams}
    timed_out = False

    def timed_out_failure():
        _kill_group(process)
        message = "Script at specified location: " + location + " failed to complete in "
        return failure("ScriptTimedOut", message + str(script["timeout"]) + " seconds", location, logs)

    while streams:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = process.poll() is None
            break
        readable, _, _ = select.select(list(streams), [], [], min(remaining, 1.0))
        for fd in readable:
            chunk = os.read(fd, 65536)
            name = streams[fd][0]
            if not chunk:
                if partial[fd]:
                    logs.entry("[" + name + "]" + partial[fd].decode("utf-8", "replace"))
                streams.pop(fd)[1].close()
                continue
            partial[fd] += chunk
            *lines, partial[fd] = partial[fd].split(b"\n")
            for line in lines:
                logs.entry("[" + name + "]" + line.decode("utf-8", "replace"))
    if timed_out:
        return timed_out_failure()
    try:
        code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return timed_out_failure()
    if streams:
        # The script exited but something it started still holds its output open (agent code 6).
        open_name = sorted(name for name, _ in streams.values())[-1].upper()
        _kill_group(process)
        return failure(
            "ScriptFailed",
            "Script at specified location: " + location + " failed to close " + open_name,
            location,
            logs,
        )
    if code != 0:
        return failure(
            "ScriptFailed",
            "Script at specified location: " + location + who + " failed with exit code " + str(code),
            location,
            logs,
        )
    return None


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _kill_group(process):
    import subprocess  # hooks only (start-up time of the other operations)

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            continue
    for stream in (process.stdout, process.stderr):
        if stream and not stream.closed:
            stream.close()


class Stopped(Exception):
    """SIGTERM from the lab: the deployment was stopped while a script ran."""


STOPPED_MESSAGE = "The lifecycle event was ended because the deployment was stopped (StopDeployment)"


def stop_requested(signum, frame):
    raise Stopped()


def hooks(request):
    if own_process():
        signal.signal(signal.SIGTERM, stop_requested)
    logs = Logs(request["scripts_log"], request["deployments_log"], request["deployment_id"])
    try:
        logs.entry("LifecycleEvent - " + request["event"])
        env = dict(request["env"])
        cwd = request.get("cwd") or "/"
        os.makedirs(cwd, exist_ok=True)
        for script in request["scripts"]:
            try:
                outcome = run_script(script, request["archive_dir"], env, logs, cwd)
            except Stopped:  # between two scripts: none is running
                return failure("UnknownError", STOPPED_MESSAGE, script["location"], logs)
            if outcome is not None:
                return outcome
        return {"ok": True, "log_tail": logs.tail.tail()}
    finally:
        logs.close()


OPERATIONS = {"unpack": unpack, "read": read, "install": install, "hooks": hooks}


def handle(operation, request):
    """Run one operation; the agent's own failures become UnknownError answers, as the real agent reports them."""
    try:
        return OPERATIONS[operation](request)
    except AgentError as error:
        return {"ok": False, "error_code": "UnknownError", "message": str(error), "script_name": "", "log_tail": ""}
    except Exception as error:  # any other exception: UnknownError with its text
        return {
            "ok": False,
            "error_code": "UnknownError",
            "message": type(error).__name__ + ": " + str(error),
            "script_name": "",
            "log_tail": "",
        }


def own_process():
    """True in a process of its own (``python3 -c <this file> <op>``), where signals are ours to handle."""
    return __name__ == "__main__"


if __name__ == "__main__":
    # One JSON line of request; for ``unpack`` the bundle's bytes follow it on the same stdin.
    stdin = sys.stdin.buffer
    arguments = json.loads(stdin.readline())
    arguments["stream"] = stdin
    sys.stdout.write(json.dumps(handle(sys.argv[1], arguments)))
    sys.stdout.flush()
