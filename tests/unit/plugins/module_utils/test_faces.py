# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The two faces of module_utils: what importing each pulls in."""

from __future__ import annotations

import os
import subprocess
import sys

IMPORTED_AWS_LIBRARIES = """
import sys
import ansible_collections.rollout.codedeploy.plugins.module_utils.{face}
print(" ".join(sorted(name for name in ("boto3", "botocore") if name in sys.modules)))
"""


def aws_libraries_imported_by(face: str, collection_root) -> list[str]:
    # A fresh interpreter (this one has boto3 imported already, by tests/unit/conftest.py) that finds what this one
    # finds, the folder holding this collection's ansible_collections/ first.
    path = [str(collection_root.parents[2]), *sys.path]
    output = subprocess.run(
        [sys.executable, "-c", IMPORTED_AWS_LIBRARIES.format(face=face)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return output.split()


def test_the_bundle_face_imports_no_aws_library(collection_root):
    assert aws_libraries_imported_by("bundles", collection_root) == []


def test_the_aws_face_imports_them(collection_root):
    # The counterpart: the check does see an import of boto3, so the test above cannot pass by seeing nothing.
    assert aws_libraries_imported_by("codedeploy", collection_root) == ["boto3", "botocore"]
