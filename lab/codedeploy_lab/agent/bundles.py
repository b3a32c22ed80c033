"""Build revision bundles in memory (zip, tar, tgz) for tests and demos.

``make_bundle({"appspec.yml": "...", "scripts/start.sh": ("#!/bin/sh\\n...", 0o755)}, "zip")`` -> bytes.
A value is text, bytes, or ``(content, mode)``; ``symlinks`` maps entry names to link targets; ``top_dir`` puts
everything under one leading directory (the agent strips it when it holds the appspec).
"""

from __future__ import annotations

import io
import stat
import tarfile
import time
import typing as t
import zipfile

Content = str | bytes | tuple[str | bytes, int]


def _normalise(value: Content) -> tuple[bytes, int]:
    if isinstance(value, tuple):
        content, mode = value
    else:
        content, mode = value, 0o644
    return (content.encode() if isinstance(content, str) else content), mode


def make_bundle(
    files: t.Mapping[str, Content],
    bundle_type: str = "zip",
    *,
    top_dir: str | None = None,
    symlinks: t.Mapping[str, str] | None = None,
) -> bytes:
    prefix = f"{top_dir.strip('/')}/" if top_dir else ""
    entries = {f"{prefix}{name}": _normalise(value) for name, value in files.items()}
    links = {f"{prefix}{name}": target for name, target in (symlinks or {}).items()}
    buffer = io.BytesIO()
    if bundle_type == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (content, mode) in entries.items():
                info = zipfile.ZipInfo(name, time.localtime()[:6])
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, content)
            for name, target in links.items():
                info = zipfile.ZipInfo(name, time.localtime()[:6])
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, target)
        return buffer.getvalue()
    if bundle_type not in ("tar", "tgz"):
        raise ValueError(f"bundle_type must be zip, tar or tgz, got {bundle_type!r}")
    with tarfile.open(fileobj=buffer, mode="w:gz" if bundle_type == "tgz" else "w") as archive:
        for name, (content, mode) in entries.items():
            member = tarfile.TarInfo(name)
            member.size, member.mode, member.mtime = len(content), mode, int(time.time())
            archive.addfile(member, io.BytesIO(content))
        for name, target in links.items():
            member = tarfile.TarInfo(name)
            member.type, member.linkname, member.mtime = tarfile.SYMTYPE, target, int(time.time())
            archive.addfile(member)
    return buffer.getvalue()
