# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The two faces of module_utils: what importing each pulls in."""

from __future__ import annotations


def test_the_bundle_face_imports_no_aws_library(aws_libraries_imported_by):
    assert aws_libraries_imported_by("bundles") == []


def test_the_aws_face_imports_them(aws_libraries_imported_by):
    # The counterpart: the check does see an import of boto3, so the test above cannot pass by seeing nothing.
    assert aws_libraries_imported_by("codedeploy") == ["ansible_collections.amazon", "boto3", "botocore"]
