"""IAM: AWS-managed policies (``arn:aws:iam::aws:policy/...``) exist.

moto loads them only when ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is true when it builds the IAM backend; ``iam_role`` with
``managed_policies`` fails with NoSuchEntity otherwise. ``install()`` must run before the first IAM request.
"""

from __future__ import annotations

import os


def install() -> None:
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
