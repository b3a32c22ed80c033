"""The tripwire that fails a test run when something lands on the machine instead of inside a lab host."""

from __future__ import annotations

import machine_guard


def test_an_unchanged_machine_reports_nothing() -> None:
    assert machine_guard.changes(machine_guard.snapshot(), machine_guard.snapshot()) == []


def test_new_entries_and_changed_files_are_named() -> None:
    before = machine_guard.snapshot()
    after = dict(before)
    after["/etc/passwd"] = "something else"
    after["/var/www (entries)"] = frozenset({"html"})

    found = machine_guard.changes(before, after)

    assert "/etc/passwd: content changed" in found
    assert any(line.startswith("/var/www (entries): added ['html']") for line in found)
