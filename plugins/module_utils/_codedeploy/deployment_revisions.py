# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Moved into revisions.py, which reads and checks every revision the same way.

Kept only for the deployment code that still imports these names from here; new code imports from .revisions.
"""

from __future__ import annotations

from .revisions import describe_revision
from .revisions import revision_from_params
from .revisions import same_revision

__all__ = ["describe_revision", "revision_from_params", "same_revision"]
