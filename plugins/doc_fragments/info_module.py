# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The attributes every *_info module shares: it only reads.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Reads only, so it runs in check mode as usual.
    support: full
  diff_mode:
    description: Reads only; there is nothing to diff.
    support: N/A
  idempotent:
    description: Reads only.
    support: full
"""
