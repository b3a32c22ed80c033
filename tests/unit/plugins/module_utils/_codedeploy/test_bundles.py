# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy import bundles
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.bundles import BundleError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.bundles import ExcludeRules
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.bundles import build_bundle
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.bundles import collect_entries

BUNDLE_TYPES = ["zip", "tar", "tgz"]


def make_tree(root, mtime: int) -> None:
    (root / "scripts").mkdir(parents=True)
    (root / "web" / "img").mkdir(parents=True)
    (root / "appspec.yml").write_text("version: 0.0\nos: linux\n")
    (root / "scripts" / "start.sh").write_text("#!/bin/sh\nexit 0\n")
    (root / "scripts" / "start.sh").chmod(0o755)
    (root / "web" / "index.html").write_text("<h1>hello</h1>\n" * 100)
    (root / "web" / "img" / "logo.bin").write_bytes(bytes(range(256)) * 64)
    (root / "web" / "current").symlink_to("index.html")
    for path in [root, *root.rglob("*")]:
        os.utime(path, (mtime, mtime), follow_symlinks=False)


def build(root, dest, bundle_type, reuse_unchanged=True, **kwargs):
    return build_bundle(collect_entries(str(root), **kwargs), str(dest), bundle_type, reuse_unchanged=reuse_unchanged)


@pytest.mark.parametrize("bundle_type", BUNDLE_TYPES)
def test_same_content_with_other_timestamps_is_byte_identical(tmp_path, bundle_type):
    make_tree(tmp_path / "one", mtime=1_600_000_000)
    make_tree(tmp_path / "two", mtime=1_700_000_000)
    first = build(tmp_path / "one", tmp_path / f"one.{bundle_type}", bundle_type)
    second = build(tmp_path / "two", tmp_path / f"two.{bundle_type}", bundle_type)
    assert first.sha256 == second.sha256
    assert (tmp_path / f"one.{bundle_type}").read_bytes() == (tmp_path / f"two.{bundle_type}").read_bytes()
    assert first.file_count == 5
    assert first.bundle_type == bundle_type


@pytest.mark.parametrize("bundle_type", BUNDLE_TYPES)
@pytest.mark.parametrize("change", ["content", "executable bit"])
def test_one_change_changes_the_sha256(tmp_path, bundle_type, change):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    before = build(tmp_path / "src", tmp_path / "before", bundle_type)
    script = tmp_path / "src" / "scripts" / "start.sh"
    if change == "content":
        script.write_text("#!/bin/sh\nexit 1\n")
    else:
        script.chmod(0o644)
    after = build(tmp_path / "src", tmp_path / "after", bundle_type)
    assert before.sha256 != after.sha256


@pytest.mark.parametrize("bundle_type", BUNDLE_TYPES)
@pytest.mark.parametrize("reuse_unchanged", [True, False])
def test_rebuild_into_same_destination_is_not_a_change(tmp_path, bundle_type, reuse_unchanged):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    dest = tmp_path / "out" / "bundle"
    first = build(tmp_path / "src", dest, bundle_type)
    assert first.changed
    written = dest.stat().st_mtime_ns
    again = build(tmp_path / "src", dest, bundle_type, reuse_unchanged=reuse_unchanged)
    assert not again.changed
    assert (again.sha256, again.size, again.file_count) == (first.sha256, first.size, first.file_count)
    assert dest.stat().st_mtime_ns == written
    assert sorted(os.listdir(tmp_path / "out")) == [".bundle.sources", "bundle"]  # no temporary file left behind


def test_unchanged_sources_are_not_read_again(tmp_path, monkeypatch):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    first = build(tmp_path / "src", tmp_path / "b.zip", "zip")

    def no_build(*args, **kwargs):
        raise AssertionError("the archive was rebuilt")

    monkeypatch.setattr(bundles, "write_archive", no_build)
    again = build(tmp_path / "src", tmp_path / "b.zip", "zip")
    assert not again.changed and again.sha256 == first.sha256


def test_same_size_rewrite_with_old_mtime_is_seen(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    first = build(tmp_path / "src", tmp_path / "b.zip", "zip")
    page = tmp_path / "src" / "web" / "index.html"
    page.write_text(page.read_text().replace("hello", "HELLO"))
    os.utime(page, (1_600_000_000, 1_600_000_000))  # as cp -p or rsync -t would leave it
    again = build(tmp_path / "src", tmp_path / "b.zip", "zip")
    assert again.changed and again.sha256 != first.sha256


def test_touched_archive_is_checked_by_content(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    first = build(tmp_path / "src", tmp_path / "b.zip", "zip")
    (tmp_path / "b.zip").write_bytes(b"something else")
    again = build(tmp_path / "src", tmp_path / "b.zip", "zip")
    assert again.changed and again.sha256 == first.sha256


def test_check_mode_predicts_the_sha256_and_writes_nothing(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    predicted = build_bundle(
        collect_entries(str(tmp_path / "src")), str(tmp_path / "out" / "b.zip"), "zip", check_mode=True
    )
    assert predicted.changed
    assert not (tmp_path / "out").exists()
    real = build(tmp_path / "src", tmp_path / "out" / "b.zip", "zip")
    assert real.sha256 == predicted.sha256


def test_zip_keeps_modes_symlinks_and_fixed_metadata(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    build(tmp_path / "src", tmp_path / "b.zip", "zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        infos = {info.filename: info for info in archive.infolist()}
        assert list(infos) == sorted(infos, key=lambda name: name.rstrip("/").split("/"))
        assert oct(infos["scripts/start.sh"].external_attr >> 16) == "0o100755"
        assert oct(infos["web/current"].external_attr >> 16) == "0o120777"
        assert archive.read("web/current") == b"index.html"
        assert {info.date_time for info in infos.values()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("bundle_type", ["tar", "tgz"])
def test_tar_normalises_owners_and_keeps_links(tmp_path, bundle_type):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    build(tmp_path / "src", tmp_path / "b", bundle_type)
    with tarfile.open(tmp_path / "b") as archive:
        members = {member.name: member for member in archive.getmembers()}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "", "")}
    assert members["web/current"].issym() and members["web/current"].linkname == "index.html"
    assert members["scripts/start.sh"].mode == 0o755


def test_follow_symlinks_stores_the_target(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    entries = {e.name: e for e in collect_entries(str(tmp_path / "src"), follow_symlinks=True)}
    assert entries["web/current"].kind == "file"
    assert entries["web/current"].size == (tmp_path / "src" / "web" / "index.html").stat().st_size


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "../../outside", "../img/../../../x"])
@pytest.mark.parametrize("follow_symlinks", [False, True])
def test_link_escaping_the_bundle_is_refused(tmp_path, target, follow_symlinks):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "outside").write_text("secret\n")
    (tmp_path / "src" / "web" / "escape").symlink_to(target)
    refused = r"symlink web/escape points to .*, outside the source directory .*follow_external_symlinks=true"
    with pytest.raises(BundleError, match=refused):
        collect_entries(str(tmp_path / "src"), follow_symlinks=follow_symlinks)


def chained_escapes(src) -> list[str]:
    """Links whose own text stays inside src but which end outside it through other links; returns their names."""
    (src / "here").symlink_to(".")  # a link to the root is inside...
    (src / "web" / "via_here").symlink_to("../here/../outside")  # ...but root/.. is not: lexically "outside"
    (src / "first").symlink_to("second")  # a chain whose last link is excluded from the bundle
    (src / "second").symlink_to("third")
    (src / "third").symlink_to("../outside")
    return ["first", "second", "web/via_here"]


def test_link_escaping_through_a_chain_of_links_is_refused(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "outside").write_text("secret\n")
    chained_escapes(tmp_path / "src")
    outside = os.path.realpath(tmp_path / "outside")
    with pytest.raises(BundleError) as caught:
        collect_entries(str(tmp_path / "src"), excludes=["third"])
    assert str(caught.value).startswith(f"symlink first points to second, which resolves to {outside}, outside the")
    via_here = f"symlink web/via_here points to ../here/../outside, which resolves to {outside}"
    with pytest.raises(BundleError, match=via_here):
        collect_entries(str(tmp_path / "src"), excludes=["third", "first", "second"])


def test_external_links_are_followed_with_a_warning_when_asked(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "outside").write_text("secret\n")
    escapes = chained_escapes(tmp_path / "src")
    warnings: list[str] = []
    collected = collect_entries(
        str(tmp_path / "src"), excludes=["third"], follow_external_symlinks=True, warn=warnings.append
    )
    entries = {entry.name: entry for entry in collected}
    for name in escapes:
        assert entries[name].kind == "file" and entries[name].size == len("secret\n")
    assert [warning.split(" points")[0] for warning in warnings] == [f"symlink {name}" for name in escapes]
    outside = os.path.realpath(tmp_path / "outside")
    assert all("follow_external_symlinks=true" in warning and outside in warning for warning in warnings)
    # Links that stay inside keep being stored as links, chained or not.
    assert (entries["here"].kind, entries["here"].link_target) == ("symlink", ".")
    assert (entries["web/current"].kind, entries["web/current"].link_target) == ("symlink", "index.html")


def test_external_directory_followed_when_asked_is_walked(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "lib.sh").write_text("echo shared\n")
    (tmp_path / "src" / "shared").symlink_to("../shared")
    warnings: list[str] = []
    collected = collect_entries(str(tmp_path / "src"), follow_external_symlinks=True, warn=warnings.append)
    entries = {entry.name: entry for entry in collected}
    assert entries["shared"].kind == "dir" and entries["shared/lib.sh"].kind == "file"
    assert len(warnings) == 1 and warnings[0].startswith("symlink shared points outside the source directory")


def test_link_through_the_parent_to_the_tree_itself_is_refused(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "src" / "back").symlink_to("../src/web/index.html")  # ends inside, but not on the instances
    with pytest.raises(BundleError, match="symlink back points to ../src/web/index.html, a path through the parent"):
        collect_entries(str(tmp_path / "src"))
    entries = {e.name: e for e in collect_entries(str(tmp_path / "src"), follow_symlinks=True)}
    assert entries["back"].kind == "file"


@pytest.mark.parametrize(
    "link, target, inside",
    [
        ("a", "web/index.html", True),
        ("a", ".", True),
        ("a", "here/web", True),
        ("a", "here/..", False),
        ("a", "here/../src/web", True),
        ("a", "b", False),  # b -> ../outside
        ("web/up", "../../outside", False),
        ("a", "missing/../../outside", False),
    ],
)
def test_resolves_inside_follows_every_link_on_the_way(tmp_path, link, target, inside):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "src" / "here").symlink_to(".")
    (tmp_path / "src" / "b").symlink_to("../outside")
    (tmp_path / "src" / link).symlink_to(target)
    assert bundles.resolves_inside(str(tmp_path / "src"), str(tmp_path / "src" / link))[0] is inside


def test_excluded_escaping_link_is_fine(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "src" / "web" / "escape").symlink_to("/etc/passwd")
    names = [e.name for e in collect_entries(str(tmp_path / "src"), excludes=["escape"])]
    assert "web/escape" not in names


def test_dangling_link_with_follow_is_refused(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "src" / "gone").symlink_to("missing")
    with pytest.raises(BundleError, match="does not exist"):
        collect_entries(str(tmp_path / "src"), follow_symlinks=True)


def test_directory_loop_with_follow_is_refused(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "src" / "web" / "loop").symlink_to("..")
    with pytest.raises(BundleError, match="links back to one of its parents"):
        collect_entries(str(tmp_path / "src"), follow_symlinks=True)


def test_vcs_folders_left_out_by_default_and_ignore_file_read(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    (tmp_path / "src" / ".git").mkdir()
    (tmp_path / "src" / ".git" / "HEAD").write_text("ref\n")
    (tmp_path / "src" / ".codedeployignore").write_text("# build leftovers\n*.bin\n")
    names = [e.name for e in collect_entries(str(tmp_path / "src"))]
    assert not any(name.startswith(".git") or name.endswith(".bin") or name == ".codedeployignore" for name in names)
    names = [e.name for e in collect_entries(str(tmp_path / "src"), exclude_vcs=False, ignore_file=None)]
    assert ".git/HEAD" in names and "web/img/logo.bin" in names and ".codedeployignore" in names


@pytest.mark.parametrize(
    "patterns, name, is_dir, excluded",
    [
        (["*.pyc"], "a/b/c.pyc", False, True),
        (["*.pyc"], "a/b/c.py", False, False),
        (["/build"], "build", True, True),
        (["/build"], "src/build", True, False),
        (["docs/*.md"], "docs/a.md", False, True),
        (["docs/*.md"], "docs/sub/a.md", False, False),
        (["docs/**/*.md"], "docs/sub/deep/a.md", False, True),
        (["**/cache"], "x/y/cache", True, True),
        (["tmp/"], "tmp", False, False),
        (["tmp/"], "a/tmp", True, True),
        (["*.log", "!keep.log"], "keep.log", False, False),
        (["*.log", "!keep.log"], "other.log", False, True),
        (["file?.txt"], "file1.txt", False, True),
        (["file[0-9].txt"], "filea.txt", False, False),
        (["# comment", ""], "# comment", False, False),
    ],
)
def test_exclude_rules(patterns, name, is_dir, excluded):
    assert ExcludeRules(patterns).excluded(name, is_dir) is excluded


def test_missing_source_directory(tmp_path):
    with pytest.raises(BundleError, match="does not exist or is not a directory"):
        collect_entries(str(tmp_path / "nope"))


def test_fifo_is_refused(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    os.mkfifo(tmp_path / "src" / "pipe")
    with pytest.raises(BundleError, match="pipe is not a regular file"):
        collect_entries(str(tmp_path / "src"))


def test_extracted_zip_matches_the_tree(tmp_path):
    make_tree(tmp_path / "src", mtime=1_600_000_000)
    build(tmp_path / "src", tmp_path / "b.zip", "zip")
    shutil.unpack_archive(tmp_path / "b.zip", tmp_path / "out")
    assert (tmp_path / "out" / "web" / "img" / "logo.bin").read_bytes() == (
        tmp_path / "src" / "web" / "img" / "logo.bin"
    ).read_bytes()
