#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_bundle
version_added: 0.1.0
short_description: Build a reproducible CodeDeploy revision bundle from a directory
description:
  - Builds a zip, tar or tgz bundle of an application directory for CodeDeploy EC2/on-premises deployments.
  - Checks the AppSpec file (C(appspec.yml) or C(appspec.yaml)) with the CodeDeploy agent's rules B(before) building,
    so a mistake is reported here, with the file, line, rule and what to change, instead of failing on every host.
  - The archive is reproducible. Entries are sorted, timestamps fixed and owners normalised to 0:0; file modes,
    including the executable bit, are kept. The same content therefore always gives the same bytes, and RV(sha256)
    identifies the content.
  - Symbolic links are stored as links unless O(follow_symlinks=true). A link that points outside the source
    directory, by its own target or through the links it passes, is refused unless O(follow_external_symlinks=true).
  - The AppSpec file is read with bounded YAML parsing, at most 256 KiB, 50 aliases and 100,000 nodes once aliases
    are expanded, so a file of nested aliases fails at once instead of exhausting the controller's memory.
  - File contents are streamed, so memory does not grow with file sizes.
  - Runs where the source directory is, needs no AWS access, and is not part of the C(group/rollout.codedeploy.aws)
    module defaults group (its options are not AWS connection options).
author:
  - rollout.codedeploy developers (@rollout)
seealso:
  - module: rollout.codedeploy.codedeploy_revision
    description: Upload the bundle and register it as a revision.
  - module: rollout.codedeploy.codedeploy_deployment
    description: Deploy the registered revision.
options:
  src:
    description:
      - The application directory, the root of the bundle. Its C(appspec.yml) must be at this root.
    type: path
    required: true
  dest:
    description:
      - Where to write the archive. Parent directories are created.
      - When O(dest) already holds an archive with the same content, nothing is written and the task is not changed.
    type: path
    required: true
  bundle_type:
    description:
      - The archive format. V(tgz) is a gzip-compressed tar.
      - Windows instances accept only V(zip).
    type: str
    choices: [zip, tar, tgz]
    default: zip
  compression_level:
    description:
      - Compression level for V(zip) and V(tgz), from V(0) (store) to V(9) (smallest).
      - Part of the content identity, the same tree gives different bytes at different levels.
    type: int
    default: 6
  excludes:
    description:
      - Glob patterns of paths to leave out, with C(.gitignore) rules.
      - A pattern without a slash matches a name at any depth (V(*.pyc)); with a slash it is anchored at O(src)
        (V(docs/build)). V(**) matches any number of directories, a trailing V(/) matches directories only, and a
        leading V(!) includes again what an earlier pattern excluded.
    type: list
    elements: str
    default: []
  ignore_file:
    description:
      - Name of an ignore file in O(src) whose lines are added to O(excludes) (same syntax, C(#) starts a comment).
      - A missing file is not an error. The ignore file itself is not put in the bundle.
      - Set to an empty string to read no ignore file.
    type: str
    default: .codedeployignore
  exclude_vcs:
    description:
      - Leave out version-control directories (C(.git), C(.hg), C(.svn), C(.bzr), C(CVS), C(_darcs), C(.fossil)).
    type: bool
    default: true
  follow_symlinks:
    description:
      - V(false) stores symbolic links as links; a link whose target is absolute or outside O(src) is refused.
      - V(true) stores what links point to instead; a dangling link or a directory loop is refused.
      - Either way, a link that ends outside O(src) is refused unless O(follow_external_symlinks=true).
    type: bool
    default: false
  follow_external_symlinks:
    description:
      - What to do with a symbolic link that ends outside O(src), by its own target (V(/etc/passwd), V(../../x)) or
        through other links it passes (a link to V(second) where V(second) points to V(../x), or V(here/..) where
        V(here) points to V(.)).
      - V(false) refuses the link, naming it and where it ends, so files from elsewhere on the controller never
        reach the bundle unnoticed.
      - V(true) stores the content the link points to in its place and emits a warning for each such link.
    type: bool
    default: false
    version_added: 0.1.0
  reuse_unchanged:
    description:
      - Do not rebuild when the archive at O(dest) was built from exactly the current sources and is untouched since.
      - "The sources are compared by metadata recorded at the last build in C(.<dest name>.sources) next to O(dest):
        names, types, modes, sizes, link targets, modification and change times (as C(make) and C(git) do).
        Rewritten content always gets a new change time, so C(cp -p) or C(rsync -t) of new content is still seen."
      - V(false) always builds and compares the new archive's content with O(dest).
    type: bool
    default: true
  check_appspec:
    description:
      - Check the AppSpec file before building and fail on any problem.
    type: bool
    default: true
  target_os:
    description:
      - The operating system of the instances the bundle is for. The AppSpec C(os) must match it.
    type: str
    choices: [linux, windows]
    default: linux
attributes:
  check_mode:
    description: Can run in check mode and return the predicted result without changing anything.
    support: full
    details:
      - In check mode the archive is built in a temporary file and removed, so RV(sha256) is exact.
  diff_mode:
    description: Does not return a diff; the archive is binary.
    support: none
  idempotent:
    description: Running the task again with the same options changes nothing.
    support: full
notes:
  - With O(reuse_unchanged=true) (the default) a second run on an unchanged tree reads no file contents.
  - The sha256 depends on the Python zlib's output for V(zip) and V(tgz); hosts with the same zlib build give the same
    bytes.
  - >-
    IAM actions: none. The module builds the bundle on the host and makes no AWS call.
"""

EXAMPLES = r"""
- name: Build the application bundle
  rollout.codedeploy.codedeploy_bundle:
    src: "{{ playbook_dir }}/app"
    dest: /var/tmp/bundles/web.zip
  register: bundle

- name: Build a tgz for Linux hosts, without tests and build leftovers
  rollout.codedeploy.codedeploy_bundle:
    src: ./app
    dest: ./build/web.tar.gz
    bundle_type: tgz
    excludes:
      - "*.pyc"
      - __pycache__/
      - /tests
"""

RETURN = r"""
path:
  description: Absolute path of the archive.
  returned: always
  type: str
  sample: /var/tmp/bundles/web.zip
sha256:
  description: SHA-256 of the archive; equal content gives equal digests.
  returned: always
  type: str
  sample: 9f2c1a0e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6
size:
  description: Size of the archive in bytes.
  returned: always
  type: int
  sample: 104857
file_count:
  description: Number of files and symbolic links in the bundle (directories not counted).
  returned: always
  type: int
  sample: 42
bundle_type:
  description: The archive format, as CodeDeploy's C(bundleType) names it.
  returned: always
  type: str
  sample: zip
appspec:
  description: The AppSpec file the bundle carries, as parsed (empty when O(check_appspec=false)).
  returned: always
  type: dict
  sample: {"version": 0.0, "os": "linux", "hooks": {"AfterInstall": [{"location": "scripts/start.sh"}]}}
appspec_problems:
  description: The AppSpec problems found, one line each (the task fails when there are any).
  returned: failure
  type: list
  elements: str
  sample: ["appspec.yml:12: [hook-timeout] hooks.AfterInstall[0].timeout: timeout is 4000; use a whole number of seconds between 1 and 3600"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rollout.codedeploy.plugins.module_utils.bundles import BUNDLE_TYPES
from ansible_collections.rollout.codedeploy.plugins.module_utils.bundles import BundleError
from ansible_collections.rollout.codedeploy.plugins.module_utils.bundles import build_bundle
from ansible_collections.rollout.codedeploy.plugins.module_utils.bundles import check_bundle_appspec
from ansible_collections.rollout.codedeploy.plugins.module_utils.bundles import collect_bundle_entries


def do(module: AnsibleModule) -> None:
    params = module.params
    src = os.path.abspath(params["src"])
    entries = collect_bundle_entries(
        src,
        excludes=params["excludes"],
        ignore_file=params["ignore_file"] or None,
        exclude_vcs=params["exclude_vcs"],
        follow_symlinks=params["follow_symlinks"],
        follow_external_symlinks=params["follow_external_symlinks"],
        warn=module.warn,
    )
    appspec = {}
    if params["check_appspec"]:
        files = {entry.name for entry in entries if entry.kind != "dir"}
        dirs = {entry.name for entry in entries if entry.kind == "dir"}
        report = check_bundle_appspec(src, files, dirs, params["target_os"], params["bundle_type"])
        for warning in report.warnings:
            module.warn(str(warning))
        if not report.ok:
            problems = [str(problem) for problem in report.problems]
            module.fail_json(
                msg=f"The AppSpec file in {src} has {len(problems)} problem(s); nothing was built:\n"
                + "\n".join(problems),
                appspec_problems=problems,
            )
        appspec = report.appspec
    result = build_bundle(
        entries,
        params["dest"],
        params["bundle_type"],
        params["compression_level"],
        module.check_mode,
        params["reuse_unchanged"],
    )
    module.exit_json(
        changed=result.changed,
        path=result.path,
        sha256=result.sha256,
        size=result.size,
        file_count=result.file_count,
        bundle_type=result.bundle_type,
        appspec=appspec,
    )


def main() -> None:
    argument_spec = dict(
        src=dict(type="path", required=True),
        dest=dict(type="path", required=True),
        bundle_type=dict(type="str", choices=list(BUNDLE_TYPES), default="zip"),
        compression_level=dict(type="int", default=6),
        excludes=dict(type="list", elements="str", default=[]),
        ignore_file=dict(type="str", default=".codedeployignore"),
        exclude_vcs=dict(type="bool", default=True),
        follow_symlinks=dict(type="bool", default=False),
        follow_external_symlinks=dict(type="bool", default=False),
        reuse_unchanged=dict(type="bool", default=True),
        check_appspec=dict(type="bool", default=True),
        target_os=dict(type="str", choices=["linux", "windows"], default="linux"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not 0 <= module.params["compression_level"] <= 9:
        module.fail_json(msg=f"compression_level is {module.params['compression_level']}; use a number from 0 to 9")
    try:
        do(module)
    except (BundleError, OSError) as e:
        module.fail_json(msg=f"Cannot build the bundle: {e}")


if __name__ == "__main__":
    main()
