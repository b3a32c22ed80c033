"""The host agent's hands: runs *inside* a lab host's sandbox as ``python3 -I -c <this file> <op>``.

Standard library only (it runs under the host's ``/usr/bin/python3``). Request: JSON on stdin. Answer: JSON on
stdout, ``{"ok": true, ...}`` or ``{"ok": false, "error_code": ..., "message": ..., ...}``. All paths are the host's
own, so every write lands in the host's root.

Operations (the agent in the lab process decides *what*, this file does it the way aws-codedeploy-agent does):

* ``unpack``: prune old revisions, write ``bundle.tar``, unpack it safely, strip a single top directory that holds
  the appspec, record ``<dg-id>_most_recent_install``;
* ``read``: a file's content (the appspec, ``<dg-id>_last_successful_install``);
* ``install``: apply and delete the group's cleanup file, plan copies (``file_exists_behavior``), write
  ``<dg-id>-install.json``, copy, apply permissions, write the new cleanup file and ``_last_successful_install``;
* ``hooks``: run one event's scripts in order, with timeouts, logging to ``logs/scripts.log``.
"""

import base64
import datetime
import json
import os
import sys

# Other modules are imported where they are needed: this runs once per operation, and start-up time counts.

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
    import shutil

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
    return AgentError("The deployment failed because the revision bundle contains an entry that would be unpacked "
                      "outside the deployment archive directory: " + name)


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
    import posixpath

    if target.startswith("/"):
        return False
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(entry), target))
    return not (joined == ".." or joined.startswith("../"))


def unpack_tar(data, destination, compressed):
    import io
    import tarfile

    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz" if compressed else "r:")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise AgentError("The deployment failed because the revision bundle is not a valid "
                         + ("tgz" if compressed else "tar") + " archive: " + str(error))
    with archive:
        members = archive.getmembers()
        for member in members:
            relative = inside(member.name)
            if relative is None:
                raise escape_error(member.name)
            if member.issym() and not link_stays_inside(relative, member.linkname):
                raise escape_error(member.name + " -> " + member.linkname)
            if member.islnk() and inside(member.linkname) is None:
                raise escape_error(member.name + " -> " + member.linkname)
            if member.isdev() or member.isfifo():
                raise AgentError("The deployment failed because the revision bundle contains a device or fifo: "
                                 + member.name)
        for member in members:
            relative = inside(member.name)
            if not relative:
                continue
            member.name = relative
            if member.islnk():
                member.linkname = inside(member.linkname)
            archive.extract(member, destination, set_attrs=True, numeric_owner=False)


def unpack_zip(data, destination):
    import io
    import shutil
    import stat
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as error:
        raise AgentError("The deployment failed because the revision bundle is not a valid zip archive: " + str(error))
    with archive:
        infos = archive.infolist()
        links = {}
        for info in infos:
            relative = inside(info.filename)
            if relative is None:
                raise escape_error(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                target = archive.read(info).decode("utf-8", "replace")
                if not link_stays_inside(relative, target):
                    raise escape_error(info.filename + " -> " + target)
                links[info.filename] = target
        for info in infos:
            relative = inside(info.filename)
            if not relative:
                continue
            path = os.path.join(destination, relative)
            mode = info.external_attr >> 16
            if info.filename in links:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if os.path.lexists(path):
                    os.unlink(path)
                os.symlink(links[info.filename], path)
            elif info.is_dir():
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with archive.open(info) as source, open(path, "wb") as target:
                    shutil.copyfileobj(source, target)
                if mode & 0o7777:
                    os.chmod(path, mode & 0o7777)


def unpack(request):
    import shutil

    root, group_id = request["root"], request["deployment_group_id"]
    deployment_dir = os.path.join(root, group_id, request["deployment_id"])
    removed = prune_revisions(root, group_id, deployment_dir)
    if os.path.isdir(deployment_dir):
        shutil.rmtree(deployment_dir)
    os.makedirs(os.path.join(deployment_dir, "logs"), exist_ok=True)
    data = base64.b64decode(request["bundle_b64"])
    with open(os.path.join(deployment_dir, "bundle.tar"), "wb") as handle:
        handle.write(data)
    staging = os.path.join(deployment_dir, "deployment-archive-unpacking")
    archive_dir = os.path.join(deployment_dir, "deployment-archive")
    os.makedirs(staging)
    kind = (request.get("bundle_type") or "tar").lower()
    if kind == "zip":
        unpack_zip(data, staging)
    else:
        unpack_tar(data, staging, compressed=(kind == "tgz"))
    entries = os.listdir(staging)
    stripped = False
    if len(entries) == 1 and os.path.isdir(os.path.join(staging, entries[0])) \
            and not os.path.islink(os.path.join(staging, entries[0])):
        top = os.path.join(staging, entries[0])
        if any("appspec" in name.lower() for name in os.listdir(top)):
            os.rename(top, archive_dir)
            os.rmdir(staging)
            stripped = True
    if not stripped:
        os.rename(staging, archive_dir)
    write_text(os.path.join(root, "deployment-instructions", group_id + "_most_recent_install"), deployment_dir)
    return {"ok": True, "deployment_dir": deployment_dir, "stripped_top_directory": entries[0] if stripped else None,
            "pruned": removed}


def read(request):
    path = request["path"]
    if not os.path.isfile(path):
        return {"ok": True, "exists": False}
    with open(path, "rb") as handle:
        return {"ok": True, "exists": True, "b64": base64.b64encode(handle.read()).decode()}


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
            raise AgentError("The deployment failed because the application specification file calls for "
                             "installing the file " + self.copies[directory] + ", but a file with that name already "
                             "exists at the location (" + directory + "). Update your AppSpec file or directory "
                             "structure, and then try again.")
        if os.path.isdir(directory):
            return  # existing directories are reused and never recorded
        parent = os.path.dirname(directory)
        if parent and parent != directory:
            self.mkdir(parent)
        self.mkdirs.add(directory)
        self.instructions.append({"type": "mkdir", "directory": directory})

    def copy(self, source, destination):
        if destination in self.copies:
            raise AgentError("The deployment failed because the application specification file specifies two "
                             "source files named " + self.copies[destination] + " and " + source + " for the same "
                             "destination (" + destination + "). Remove one of the source file paths from the "
                             "AppSpec file, and then try again.")
        if destination in self.mkdirs:
            raise AgentError("The deployment failed because the application specification file calls for "
                             "installing the file " + source + ", but a file with that name already exists at the "
                             "location (" + destination + "). Update your AppSpec file or directory structure, and "
                             "then try again.")
        if os.path.lexists(destination):
            if self.behavior == "DISALLOW":
                raise AgentError("The deployment failed because a specified file already exists at this location: "
                                 + destination)
            if self.behavior == "RETAIN":
                return
            if self.behavior != "OVERWRITE":
                raise AgentError("The deployment failed because an invalid option was specified for "
                                 "fileExistsBehavior: " + str(self.behavior) + ". Valid options include OVERWRITE, "
                                 "RETAIN, and DISALLOW.")
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
    import fnmatch

    """Paths (copied files / created directories) a permission applies to, as the agent selects them."""
    obj = permission["object"].rstrip("/") or "/"
    kinds = permission["type"]
    if obj in copied:
        if permission["pattern"] != "**" or permission["except"]:
            raise AgentError("The deployment failed because the application specification file specifies a "
                             "pattern or except for the file object " + obj + ". Update the permissions section of "
                             "the AppSpec file, and then try again.")
        return [obj] if "file" in kinds else []
    base = obj if obj.endswith("/") else obj + "/"
    selected = []
    for path, kind in [(p, "file") for p in copied] + [(d, "directory") for d in created]:
        if kind not in kinds or not path.startswith(base):
            continue
        relative = path[len(base):]
        if permission["pattern"] != "**" and not fnmatch.fnmatchcase(relative, permission["pattern"]):
            continue
        if any(fnmatch.fnmatchcase(relative, pattern) for pattern in permission["except"]):
            continue
        selected.append(path)
    return sorted(selected)


def lookup_id(name, kind):
    import grp
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid if kind == "user" else grp.getgrnam(name).gr_gid
    except KeyError:
        raise AgentError("can't find " + kind + " for " + name)


def install(request):
    import shutil

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
        if not os.path.lexists(source):
            raise AgentError("The deployment failed because the application specification file specifies a source "
                             "file (" + mapping["source"] + ") that does not exist in the revision. Update the files "
                             "section of the AppSpec file, and then try again.")
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
                permission_steps.append({"type": "chown", "name": path, "owner": permission.get("owner"),
                                         "group": permission.get("group")})
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
    return {"ok": True, "removed_by_cleanup": removed, "copied": copied, "created_directories": created,
            "permission_steps": len(permission_steps)}


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
        self.deployments.write("[" + moment.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (moment.microsecond // 1000)
                               + "] [" + self.deployment_id + "]" + text + "\n")
        self.scripts.flush()
        self.deployments.flush()

    def close(self):
        self.scripts.close()
        self.deployments.close()


def failure(code, message, location, logs):
    return {"ok": False, "error_code": code, "message": message, "script_name": location, "log_tail": logs.tail.tail()}


def run_script(script, archive, env, logs, cwd):
    import select
    import subprocess
    import time

    location = script["location"]
    path = os.path.join(archive, location)
    user = script.get("runas")
    who = " run as user " + user if user else ""
    logs.entry("Script - " + location)
    if not os.path.isfile(path):
        return failure("ScriptMissing", "Script does not exist at specified location: " + path, location, logs)
    if not os.access(path, os.X_OK):
        try:
            os.chmod(path, os.stat(path).st_mode | 0o111)
        except OSError:
            return failure("ScriptNotExecutable", "Unable to set script at specified location: " + location
                           + " as executable", location, logs)
    with open(path, "rb") as handle:
        has_shebang = handle.read(2) == b"#!"
    command = [path] if has_shebang else ["/bin/sh", path]  # no #!: /bin/sh (lab choice, see README)
    if user:
        command = ["su", user, "-c", " ".join(_quote(part) for part in command)]
    if script.get("sudo"):
        command = ["sudo"] + command
    deadline = time.monotonic() + script["timeout"]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
    except OSError as error:
        return failure("ScriptFailed", "Script at specified location: " + location + who + " failed with error "
                       + type(error).__name__ + " with message " + str(error), location, logs)
    streams = {process.stdout.fileno(): ("stdout", process.stdout), process.stderr.fileno(): ("stderr", process.stderr)}
    partial = {fd: b"" for fd in streams}
    timed_out = False
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
        _kill_group(process)
        return failure("ScriptTimedOut", "Script at specified location: " + location + " failed to complete in "
                       + str(script["timeout"]) + " seconds", location, logs)
    try:
        code = process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return failure("ScriptTimedOut", "Script at specified location: " + location + " failed to complete in "
                       + str(script["timeout"]) + " seconds", location, logs)
    if streams:
        # The script exited but something it started still holds its output open (agent code 6).
        open_name = sorted(name for name, _ in streams.values())[-1].upper()
        _kill_group(process)
        return failure("ScriptFailed", "Script at specified location: " + location + " failed to close "
                       + open_name, location, logs)
    if code != 0:
        return failure("ScriptFailed", "Script at specified location: " + location + who
                       + " failed with exit code " + str(code), location, logs)
    return None


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _kill_group(process):
    import signal
    import subprocess

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


def hooks(request):
    logs = Logs(request["scripts_log"], request["deployments_log"], request["deployment_id"])
    try:
        logs.entry("LifecycleEvent - " + request["event"])
        env = dict(request["env"])
        cwd = request.get("cwd") or "/"
        os.makedirs(cwd, exist_ok=True)
        for script in request["scripts"]:
            outcome = run_script(script, request["archive_dir"], env, logs, cwd)
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
        return {"ok": False, "error_code": "UnknownError", "message": type(error).__name__ + ": " + str(error),
                "script_name": "", "log_tail": ""}


if __name__ == "__main__":
    json.dump(handle(sys.argv[1], json.load(sys.stdin)), sys.stdout)
