"""File operations the lab performs *inside* a host's sandbox (run there as ``python3 -I -c <this file> <op>``).

Standard library only: it runs under the host's own ``/usr/bin/python3``. The request is JSON on stdin, the answer
JSON on stdout. Because it runs chrooted in the host's namespace, every path (and every absolute symlink) resolves
inside the host's root, so nothing it writes can reach the machine.
"""

import base64
import grp
import json
import os
import pwd
import sys


def ensure_users(users):
    """Add missing users/groups to the host's /etc/passwd, /etc/group and /etc/shadow."""
    taken_uids = {entry.pw_uid for entry in pwd.getpwall()}
    taken_gids = {entry.gr_gid for entry in grp.getgrall()}
    known_users = {entry.pw_name for entry in pwd.getpwall()}
    known_groups = {entry.gr_name for entry in grp.getgrall()}
    added = []
    for user in users:
        name = user["name"]
        if name in known_users:
            continue
        uid = user["uid"]
        while uid in taken_uids or uid in taken_gids:
            uid += 1
        taken_uids.add(uid)
        taken_gids.add(uid)
        if name not in known_groups:
            with open("/etc/group", "a") as handle:
                handle.write(f"{name}:x:{uid}:\n")
            if os.path.exists("/etc/gshadow"):
                with open("/etc/gshadow", "a") as handle:
                    handle.write(f"{name}:!::\n")
        gid = grp.getgrnam(name).gr_gid if name in known_groups else uid
        with open("/etc/passwd", "a") as handle:
            handle.write(f"{name}:x:{uid}:{gid}:{user.get('gecos', name)}:{user['home']}:{user['shell']}\n")
        if os.path.exists("/etc/shadow"):
            with open("/etc/shadow", "a") as handle:
                handle.write(f"{name}:*:19000:0:99999:7:::\n")
        if user.get("create_home"):
            os.makedirs(user["home"], exist_ok=True)
            try:
                os.chown(user["home"], uid, gid)
            except OSError:  # a lab run by an ordinary user maps only root into its hosts
                pass
            os.chmod(user["home"], 0o700)
        added.append(name)
    return {"added": added}


def write(request):
    for directory in request.get("dirs", []):
        os.makedirs(directory, exist_ok=True)
    for item in request.get("files", []):
        path = item["path"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if "symlink" in item:
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(item["symlink"], path)
            continue
        data = base64.b64decode(item["b64"]) if "b64" in item else item.get("text", "").encode()
        mode = "ab" if item.get("append") else "wb"
        with open(path, mode) as handle:
            handle.write(data)
        if "mode" in item:
            os.chmod(path, int(item["mode"], 8))
    if "users" in request:
        return ensure_users(request["users"])
    return {}


def read(request):
    path = request["path"]
    if not os.path.isfile(path):
        return {"exists": False}
    limit = request.get("limit")  # a file the host controls may be huge: read at most this many bytes
    with open(path, "rb") as handle:
        data = handle.read() if limit is None else handle.read(limit + 1)
    if limit is not None and len(data) > limit:
        return {"exists": True, "too_large": True}
    return {"exists": True, "b64": base64.b64encode(data).decode()}


OPERATIONS = {"write": write, "read": read}


def handle(operation, request):
    return OPERATIONS[operation](request)


if __name__ == "__main__":
    json.dump(handle(sys.argv[1], json.load(sys.stdin)), sys.stdout)
