"""The lab's IAM room: with ``--enforce-iam`` every AWS call is authenticated and authorized as AWS does it.

* ``actions.py``: the table from API operation to IAM action (S3's ``HeadObject`` is ``s3:GetObject``), with sources;
* ``resources.py``: the resource ARNs each call is authorized on, and the roles it passes (``iam:PassRole``);
* ``policies.py``: identity-policy evaluation (moto's, with AWS's wildcards, ``NotResource`` and conditions);
* ``guard.py``: ``IamGuard``, the check ``server.py`` runs on every AWS call, and the errors in each service's shape;
* ``bootstrap.py``: the administrator (``admin-credentials.json``) and the lab's in-memory internal principal.

``attach(lab)`` makes the administrator (again after every reset), sets ``lab.iam`` and adds ``GET``/``DELETE
/_lab/iam/actions`` (the IAM actions each principal was allowed to use) and ``GET /_lab/iam/passed-roles`` (the roles
it passed, and to which service), which ``tools/derive-iam-policies`` reads; DELETE clears both.
Without ``--enforce-iam`` nothing here runs and ``lab.iam`` is None.
"""

from __future__ import annotations

import typing as t

from ..lab import LAB_PREFIX
from ..lab import Lab
from .bootstrap import ADMIN_CREDENTIALS_FILE
from .bootstrap import create_admin
from .bootstrap import internal_credentials
from .bootstrap import read_admin_credentials
from .guard import IamGuard

__all__ = ["ADMIN_CREDENTIALS_FILE", "IamGuard", "attach", "internal_credentials", "read_admin_credentials"]


def attach(lab: Lab) -> IamGuard:
    guard = IamGuard(lab)
    lab.iam = guard
    create_admin(lab.state_dir)
    lab.on_reset(guard.clear)
    lab.on_reset(lambda: create_admin(lab.state_dir))

    def clear(request: t.Any) -> dict[str, str]:
        guard.clear()
        return {"status": "ok"}

    lab.router.add(f"{LAB_PREFIX}/iam/actions", lambda request: guard.used_actions())
    lab.router.add(f"{LAB_PREFIX}/iam/actions", clear, methods=("DELETE",))
    lab.router.add(f"{LAB_PREFIX}/iam/passed-roles", lambda request: guard.passed_roles())
    return guard
