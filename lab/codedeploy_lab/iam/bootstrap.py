"""Who may call an enforcing lab first: the administrator it creates, and the lab's own internal principal.

* The administrator: IAM user ``codedeploy-lab-admin`` with the AWS managed policy ``AdministratorAccess``. Its key
  pair is kept in ``<state>/admin-credentials.json`` (mode 0600, like the control token) and survives ``reset``
  (the user is made again with the same keys), so exported credentials keep working.
* The internal principal: a key pair made at random when the lab process starts and kept only in its memory. The
  lab's own callers that speak HTTP to the lab from inside its process (the agent's bundle download, the console's
  reads) sign with it; the guard lets it do anything and does not count its calls. No host and no file ever sees it.
"""

from __future__ import annotations

import json
import os
import secrets
import typing as t
from dataclasses import dataclass
from pathlib import Path

from moto.iam.models import iam_backends

from .resources import ACCOUNT

ADMIN_USER = "codedeploy-lab-admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_CREDENTIALS_FILE = "admin-credentials.json"
INTERNAL_ARN = f"arn:aws:iam::{ACCOUNT}:role/codedeploy-lab-internal"


@dataclass(frozen=True)
class KeyPair:
    access_key_id: str
    secret_access_key: str

    def as_boto3(self) -> dict[str, str]:
        return {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}


_INTERNAL = KeyPair("ASIALABINTERNAL" + secrets.token_hex(3).upper()[:5], secrets.token_urlsafe(30))


def internal_credentials() -> KeyPair:
    """The lab process's own key pair (see the module docstring); any lab, enforcing or not, accepts it."""
    return _INTERNAL


def _iam_backend() -> t.Any:
    return iam_backends[ACCOUNT]["aws"]


def read_admin_credentials(state_dir: Path) -> KeyPair | None:
    try:
        data = json.loads((state_dir / ADMIN_CREDENTIALS_FILE).read_text())
        return KeyPair(str(data["access_key_id"]), str(data["secret_access_key"]))
    except (FileNotFoundError, KeyError, ValueError):
        return None


def _write_admin_credentials(state_dir: Path, keys: KeyPair, arn: str) -> None:
    path = state_dir / ADMIN_CREDENTIALS_FILE
    temporary = state_dir / f"{ADMIN_CREDENTIALS_FILE}.tmp"
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(
            {"access_key_id": keys.access_key_id, "secret_access_key": keys.secret_access_key, "user_arn": arn},
            file,
            indent=2,
        )
        file.write("\n")
    temporary.replace(path)


def create_admin(state_dir: Path) -> KeyPair:
    """Make the administrator in moto's IAM, with the key pair of the state directory if it has one."""
    backend = _iam_backend()
    if ADMIN_USER not in backend.users:
        backend.create_user("us-east-1", ADMIN_USER)
        backend.attach_user_policy(ADMIN_POLICY, ADMIN_USER)
    user = backend.get_user(ADMIN_USER)
    kept = read_admin_credentials(state_dir)
    key = user.access_keys[0] if user.access_keys else backend.create_access_key(ADMIN_USER)
    if kept is not None and kept.access_key_id.startswith("AKIA"):
        backend.access_keys.pop(key.physical_resource_id, None)
        key.access_key_id, key.secret_access_key = kept.access_key_id, kept.secret_access_key
        backend.access_keys[key.physical_resource_id] = key
    keys = KeyPair(key.access_key_id, key.secret_access_key)
    _write_admin_credentials(state_dir, keys, user.arn)
    return keys
