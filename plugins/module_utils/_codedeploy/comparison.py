# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""One comparison drives changed, check mode and diff.

A DifferenceTracker records each field whose current value differs from the desired one; the module
then reports changed when it has differences, predicts the after-state from them in check mode and
shows them in --diff.
"""

from __future__ import annotations

import json
import typing as t


def canonical(value: t.Any, ordered: bool = False) -> t.Any:
    """A form of value in which lists whose order does not matter compare equal.

    With ordered=False every list (at every depth) is sorted by the JSON text of its canonical
    items, so [a, b] and [b, a] compare equal (a multiset comparison: duplicates still count).
    """
    if isinstance(value, dict):
        return {key: canonical(item, ordered) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = [canonical(item, ordered) for item in value]
        if ordered:
            return items
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return value


def values_equal(before: t.Any, after: t.Any, ordered: bool = False) -> bool:
    """True when before and after are the same value; lists compare as sets unless ordered."""
    return canonical(before, ordered) == canonical(after, ordered)


class DifferenceTracker:
    """Collects the fields that differ between the current and the desired resource."""

    def __init__(self) -> None:
        self._differences: list[dict[str, t.Any]] = []

    def compare(self, name: str, before: t.Any, after: t.Any, ordered: bool = False) -> bool:
        """Record name as different when before != after; returns True when it differs."""
        if values_equal(before, after, ordered):
            return False
        self.add(name, before, after)
        return True

    def add(self, name: str, before: t.Any, after: t.Any) -> None:
        self._differences.append({"name": name, "before": before, "after": after})

    @property
    def has_differences(self) -> bool:
        return bool(self._differences)

    @property
    def names(self) -> list[str]:
        return [difference["name"] for difference in self._differences]

    @property
    def differences(self) -> list[dict[str, t.Any]]:
        return list(self._differences)

    def get_before_after(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        """The differing fields only, as two dicts suitable for a diff."""
        before = {difference["name"]: difference["before"] for difference in self._differences}
        after = {difference["name"]: difference["after"] for difference in self._differences}
        return before, after

    def __bool__(self) -> bool:
        return self.has_differences


def merge_partial(current: t.Any, desired: t.Any) -> t.Any:
    """Apply a partially specified desired dict over the current one.

    Keys whose desired value is None are left as they are (unset means leave alone); nested dicts
    merge the same way; lists and scalars replace.
    """
    if not isinstance(desired, dict) or not isinstance(current, dict):
        return desired
    merged = dict(current)
    for key, value in desired.items():
        if value is None:
            continue
        merged[key] = merge_partial(current.get(key), value)
    return merged
