# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/bundles.py instead.

"""Reproducible revision bundles: the same content always gives the same bytes.

Entries are written in sorted order with a fixed timestamp, owner 0:0 and their own permission bits, so the
archive's sha256 identifies the content. File contents are streamed in chunks; memory grows only with the number
of entries (their names and modes), never with file sizes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import typing as t
import zipfile
from dataclasses import dataclass

BUNDLE_TYPES = ("zip", "tar", "tgz")
BUNDLE_SUFFIXES = {"zip": ".zip", "tar": ".tar", "tgz": ".tar.gz"}
VCS_DIRECTORIES = (".git", ".hg", ".svn", ".bzr", "CVS", "_darcs", ".fossil")
DEFAULT_IGNORE_FILE = ".codedeployignore"

# 1980-01-01 00:00:00 UTC: the earliest time a zip entry can hold; tar entries use the same instant.
FIXED_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_EPOCH = 315532800
COPY_CHUNK = 1024 * 1024


class BundleError(Exception):
    """A problem with the source tree; the message names the path and what to change."""


@dataclass(frozen=True)
class BundleEntry:
    name: str  # posix path relative to the bundle root, no trailing slash
    kind: str  # "file", "dir" or "symlink"
    mode: int  # permission bits (0o7777)
    size: int = 0
    source: str = ""  # path on disk to read file content from
    link_target: str = ""
    # Only for the sources record (reuse of an unchanged build); never written into the archive.
    mtime_ns: int = 0
    ctime_ns: int = 0


@dataclass(frozen=True)
class BundleResult:
    path: str
    sha256: str
    size: int
    file_count: int
    bundle_type: str
    changed: bool


# --- exclude rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    regex: t.Pattern[str]
    negated: bool
    directory_only: bool
    pattern: str


def _glob_to_regex(glob: str) -> str:
    """Translate a gitignore-style glob (``*``, ``?``, ``[...]``, ``**``) to a regular expression."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("(?:/.*)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2)
            if end == -1:
                out.append(re.escape(glob[i]))
                i += 1
            else:
                body = glob[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def compile_rule(pattern: str) -> _Rule | None:
    """One line of an ignore file (or one ``excludes`` item) as a rule; blank lines and comments give None."""
    text = pattern.strip()
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    directory_only = text.endswith("/")
    text = text.rstrip("/")
    # A pattern holding a slash is anchored at the bundle root, as in .gitignore; otherwise it matches at any depth.
    anchored = "/" in text
    text = text.lstrip("/")
    if not text:
        return None
    body = _glob_to_regex(text)
    regex = re.compile(body if anchored else f"(?:.*/)?{body}")
    return _Rule(regex=regex, negated=negated, directory_only=directory_only, pattern=pattern.strip())


class ExcludeRules:
    """gitignore-like rules: the last matching rule wins, ``!`` re-includes, ``dir/`` matches directories only."""

    def __init__(self, patterns: t.Iterable[str] = ()) -> None:
        self.rules: list[_Rule] = [rule for rule in (compile_rule(p) for p in patterns) if rule is not None]

    def excluded(self, name: str, is_dir: bool) -> bool:
        result = False
        for rule in self.rules:
            if rule.directory_only and not is_dir:
                continue
            if rule.regex.fullmatch(name):
                result = not rule.negated
        return result


def read_ignore_file(path: str) -> list[str]:
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


# --- walking the source tree ---------------------------------------------------------------------------------


def _link_escapes(name: str, target: str) -> bool:
    """Whether a link's own text leaves the bundle: absolute, or above the root once its ``..`` are resolved."""
    if posixpath.isabs(target) or re.match(r"^[A-Za-z]:[\\/]", target):
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    return resolved == ".." or resolved.startswith("../")


def resolves_inside(root: str, path: str) -> tuple[bool, str]:
    """Whether the link at path, followed through every link on the way (chains, links to directories, ``..``
    after a link), ends inside root; and where it ends. A lexical check alone misses ``d/..`` when d links to ``.``.
    """
    real_root = os.path.realpath(root)
    resolved = os.path.realpath(path)
    return resolved == real_root or resolved.startswith(real_root.rstrip(os.sep) + os.sep), resolved


@dataclass
class _Walk:
    """What every level of the walk shares."""

    root: str
    rules: ExcludeRules
    follow_symlinks: bool
    follow_external_symlinks: bool
    warn: t.Callable[[str], None]
    entries: list[BundleEntry]


def collect_entries(
    root: str,
    excludes: t.Iterable[str] = (),
    ignore_file: str | None = DEFAULT_IGNORE_FILE,
    exclude_vcs: bool = True,
    follow_symlinks: bool = False,
    follow_external_symlinks: bool = False,
    warn: t.Callable[[str], None] | None = None,
) -> list[BundleEntry]:
    """Every entry of the bundle, in archive order (depth first, names sorted within each directory).

    A link that leaves root (by its text, or followed through the links it passes) is refused, unless
    follow_external_symlinks: then what it points to is stored in its place, and warn is told so.
    """
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise BundleError(
            f"source directory {root} does not exist or is not a directory; set src to the application's root"
        )
    patterns = list(excludes)
    if exclude_vcs:
        patterns = [f"{name}/" for name in VCS_DIRECTORIES] + patterns
    if ignore_file:
        patterns = [f"/{ignore_file}"] + patterns + read_ignore_file(os.path.join(root, ignore_file))
    walk = _Walk(
        root, ExcludeRules(patterns), follow_symlinks, follow_external_symlinks, warn or (lambda _message: None), []
    )
    _walk(walk, root, "", {_dir_identity(root)})
    return walk.entries


def _dir_identity(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _external_link(walk: _Walk, path: str, relative: str) -> str | None:
    """Where the link at path ends when that is outside the source directory, else None."""
    inside, resolved = resolves_inside(walk.root, path)
    if not inside:
        return resolved
    if not walk.follow_symlinks and _link_escapes(relative, os.readlink(path)):
        # It ends inside only through the source directory's own path (../app/x), which the instances do not have.
        raise BundleError(
            f"symlink {relative} points to {os.readlink(path)}, a path through the parent of the source directory "
            "that does not exist on the instances; make it a relative link inside the source directory, set "
            "follow_symlinks=true to store the content it points to, or exclude it"
        )
    return None


def _link(walk: _Walk, path: str, relative: str, info: os.stat_result) -> os.stat_result | None:
    """What the link at path points to, when that is stored in its place; None when the link is stored or excluded."""
    try:
        target: os.stat_result | None = os.stat(path)
    except OSError:
        target = None
    target_is_dir = target is not None and stat.S_ISDIR(target.st_mode)
    if walk.rules.excluded(relative, is_dir=walk.follow_symlinks and target_is_dir):
        return None
    external = _external_link(walk, path, relative)
    if external is None and not walk.follow_symlinks:
        walk.entries.append(
            BundleEntry(
                name=relative,
                kind="symlink",
                mode=0o777,
                link_target=os.readlink(path),
                mtime_ns=info.st_mtime_ns,
                ctime_ns=info.st_ctime_ns,
            )
        )
        return None
    if external is not None and not walk.follow_external_symlinks:
        raise BundleError(
            f"symlink {relative} points to {os.readlink(path)}, which resolves to {external}, outside the source "
            f"directory {walk.root}; make it a relative link to a path inside the source directory, exclude it, or "
            "set follow_external_symlinks=true to store the content it points to"
        )
    if target is None:
        raise BundleError(
            f"symlink {relative} points to {os.readlink(path)}, which does not exist; "
            "fix or remove the link, or exclude it"
        )
    if external is not None and not walk.rules.excluded(relative, is_dir=target_is_dir):
        walk.warn(
            f"symlink {relative} points outside the source directory, to {external}; the bundle holds its content "
            "instead of the link (follow_external_symlinks=true)"
        )
    return target


def _walk(walk: _Walk, directory: str, prefix: str, ancestors: set[tuple[int, int]]) -> None:
    try:
        names = sorted(os.listdir(directory))
    except OSError as e:
        raise BundleError(f"cannot read directory {directory}: {e.strerror}; fix its permissions or exclude it") from e
    for name in names:
        path = os.path.join(directory, name)
        relative = f"{prefix}{name}"
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            followed = _link(walk, path, relative, info)
            if followed is None:
                continue
            info = followed
        is_dir = stat.S_ISDIR(info.st_mode)
        if walk.rules.excluded(relative, is_dir=is_dir):
            continue
        if is_dir:
            identity = (info.st_dev, info.st_ino)
            if identity in ancestors:
                raise BundleError(
                    f"directory {relative} links back to one of its parents; exclude it or remove the link"
                )
            walk.entries.append(BundleEntry(name=relative, kind="dir", mode=stat.S_IMODE(info.st_mode)))
            _walk(walk, path, f"{relative}/", ancestors | {identity})
        elif stat.S_ISREG(info.st_mode):
            walk.entries.append(
                BundleEntry(
                    name=relative,
                    kind="file",
                    mode=stat.S_IMODE(info.st_mode),
                    size=info.st_size,
                    source=path,
                    mtime_ns=info.st_mtime_ns,
                    ctime_ns=info.st_ctime_ns,
                )
            )
        else:
            raise BundleError(
                f"{relative} is not a regular file, directory or symlink (a socket, FIFO or device); exclude it"
            )


# --- writing archives ----------------------------------------------------------------------------------------


def _write_zip(entries: list[BundleEntry], handle: t.BinaryIO, compression_level: int) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name + ("/" if entry.kind == "dir" else ""), date_time=FIXED_ZIP_DATE_TIME)
            info.create_system = 3  # Unix, so unzip honours the mode bits in external_attr
            if entry.kind == "dir":
                info.external_attr = ((stat.S_IFDIR | entry.mode) << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, b"")
            elif entry.kind == "symlink":
                info.external_attr = (stat.S_IFLNK | entry.mode) << 16
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, entry.link_target.encode("utf-8"))
            else:
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                # zipfile sets the level per archive in its public API; a ZipInfo carries its own only privately.
                info._compresslevel = compression_level  # type: ignore[attr-defined]  # pylint: disable=protected-access
                info.file_size = entry.size
                with open(entry.source, "rb") as source, archive.open(
                    info, "w", force_zip64=entry.size >= zipfile.ZIP64_LIMIT
                ) as target:
                    shutil.copyfileobj(source, target, COPY_CHUNK)


def _tar_info(entry: BundleEntry) -> tarfile.TarInfo:
    info = tarfile.TarInfo(entry.name)
    info.mtime = FIXED_EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = entry.mode
    if entry.kind == "dir":
        info.type = tarfile.DIRTYPE
    elif entry.kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = entry.link_target
    else:
        info.size = entry.size
    return info


def _write_tar(entries: list[BundleEntry], handle: t.BinaryIO) -> None:
    with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for entry in entries:
            if entry.kind == "file":
                with open(entry.source, "rb") as source:
                    archive.addfile(_tar_info(entry), source)
            else:
                archive.addfile(_tar_info(entry))


def write_archive(entries: list[BundleEntry], handle: t.BinaryIO, bundle_type: str, compression_level: int = 6) -> None:
    if bundle_type == "zip":
        _write_zip(entries, handle, compression_level)
    elif bundle_type == "tar":
        _write_tar(entries, handle)
    elif bundle_type == "tgz":
        # GzipFile with an empty name and mtime 0: the gzip header carries neither, so it stays reproducible.
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=compression_level) as packed:
            _write_tar(entries, t.cast(t.BinaryIO, packed))
    else:
        raise BundleError(f"bundle_type {bundle_type!r} is not supported; use one of {', '.join(BUNDLE_TYPES)}")


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(COPY_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


RECORD_VERSION = 1


def record_path(dest: str) -> str:
    """Where the sources record of the archive at dest lives: a hidden file next to it."""
    return os.path.join(os.path.dirname(dest), f".{os.path.basename(dest)}.sources")


def sources_fingerprint(entries: list[BundleEntry], bundle_type: str, compression_level: int) -> str:
    """A digest of what the archive would be built from, by file metadata only (no content is read).

    The change time is in it, so content rewritten with its old size and modification time (cp -p, rsync -t)
    still counts as changed; a false "changed" only costs a rebuild that then compares contents.
    """
    digest = hashlib.sha256(f"{RECORD_VERSION}\0{bundle_type}\0{compression_level}\n".encode())
    for entry in entries:
        line = f"{entry.name}\0{entry.kind}\0{entry.mode:o}\0{entry.size}\0{entry.mtime_ns}\0{entry.ctime_ns}\0{entry.link_target}\n"
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _read_record(dest: str) -> dict[str, t.Any]:
    try:
        with open(record_path(dest), encoding="utf-8") as handle:
            record = json.load(handle)
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_record(dest: str, fingerprint: str, sha256: str) -> None:
    info = os.stat(dest)
    record = {
        "version": RECORD_VERSION,
        "fingerprint": fingerprint,
        "sha256": sha256,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
    }
    temp_path = f"{record_path(dest)}.tmp"
    with open(temp_path, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(temp_path, record_path(dest))


def _unchanged_build(dest: str, fingerprint: str) -> tuple[str, int] | None:
    """(sha256, size) of the archive at dest when it was built from exactly these sources and is untouched since."""
    record = _read_record(dest)
    try:
        info = os.stat(dest)
    except OSError:
        return None
    if (
        record.get("fingerprint") != fingerprint
        or record.get("size") != info.st_size
        or record.get("mtime_ns") != info.st_mtime_ns
    ):
        return None
    return str(record.get("sha256")), info.st_size


def build_bundle(
    entries: list[BundleEntry],
    dest: str,
    bundle_type: str = "zip",
    compression_level: int = 6,
    check_mode: bool = False,
    reuse_unchanged: bool = True,
) -> BundleResult:
    """Write the archive next to dest, then replace dest only if the content differs.

    With reuse_unchanged, an archive that the sources record shows was built from these very sources is not
    rebuilt at all. In check mode the archive is written to a temporary file and removed, so the predicted sha256
    is exact.
    """
    dest = os.path.abspath(dest)
    dest_dir = os.path.dirname(dest)
    file_count = sum(1 for entry in entries if entry.kind != "dir")
    fingerprint = sources_fingerprint(entries, bundle_type, compression_level)
    if reuse_unchanged:
        unchanged = _unchanged_build(dest, fingerprint)
        if unchanged is not None:
            return BundleResult(
                path=dest,
                sha256=unchanged[0],
                size=unchanged[1],
                file_count=file_count,
                bundle_type=bundle_type,
                changed=False,
            )
    if not check_mode:
        os.makedirs(dest_dir, exist_ok=True)
    work_dir = dest_dir if os.path.isdir(dest_dir) else None
    fd, temp_path = tempfile.mkstemp(prefix=".bundle-", suffix=BUNDLE_SUFFIXES.get(bundle_type, ""), dir=work_dir)
    try:
        with os.fdopen(fd, "w+b") as handle:
            write_archive(entries, handle, bundle_type, compression_level)
        sha256 = file_sha256(temp_path)
        size = os.path.getsize(temp_path)
        changed = not (os.path.isfile(dest) and file_sha256(dest) == sha256)
        if changed and not check_mode:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp_path, 0o666 & ~umask)
            os.replace(temp_path, dest)
    finally:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
    if not check_mode:
        _write_record(dest, fingerprint, sha256)
    return BundleResult(
        path=dest, sha256=sha256, size=size, file_count=file_count, bundle_type=bundle_type, changed=changed
    )
