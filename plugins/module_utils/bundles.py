# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The face of rollout.codedeploy for revision bundles and AppSpec files, which need no AWS.

It imports neither boto3 nor amazon.aws (module_utils/codedeploy.py, the AWS face, does): a module that only builds a
bundle saves about 0.5 s of CPU per run and does not need boto3. The code lives in the private _codedeploy package.
"""

from __future__ import annotations

from ._codedeploy import appspec as _appspec
from ._codedeploy import bundles as _bundles

BUNDLE_TYPES = _bundles.BUNDLE_TYPES
BundleError = _bundles.BundleError
build_bundle = _bundles.build_bundle
collect_bundle_entries = _bundles.collect_entries
check_bundle_appspec = _appspec.check_bundle_appspec
