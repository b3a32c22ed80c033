# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

COLLECTION_NAME = "rollout.codedeploy"
# Kept equal to galaxy.yml's version; a unit test checks that they agree.
COLLECTION_VERSION = "1.0.0"
