# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

import pytest

# tests/unit/conftest.py -> the collection root (ansible_collections/rollout/codedeploy under ansible-test)
COLLECTION_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def collection_root() -> Path:
    """The root of the collection under test (where galaxy.yml lives)."""
    return COLLECTION_ROOT
