"""How a patch replaces a moto attribute: one helper, so every replaced attribute is listed in ``REPLACED``."""

from __future__ import annotations

import typing as t

REPLACED: list[str] = []  # "Class.attribute" of every attribute the lab replaced in moto, in install order


def replace(owner: type, name: str, new: t.Any) -> None:
    """Set ``owner.name`` to ``new`` (a function or a property); classes, so it outlives ``/moto-api/reset``."""
    setattr(owner, name, new)
    REPLACED.append(f"{owner.__name__}.{name}")
