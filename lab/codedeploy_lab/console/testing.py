"""Helpers for the console's tests: serve a console beside a running lab, and drive Debian's Chromium with Playwright.

The console is served on a loopback port of its own in the test process (``serve_console``), reading a real lab in
another process through ``OverHttp``: the same pages and JSON the lab serves under ``/console/`` once it mounts them.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import typing as t
from pathlib import Path

from werkzeug.serving import make_server

from ..iam import read_admin_credentials
from ..iam.bootstrap import KeyPair
from ..testing import RunningLab
from .app import ConsoleApp
from .data import OverHttp

LOOPBACK = "127.0.0.1"
CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that would reach past 127.0.0.1 (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def serve_wsgi(application: t.Callable[..., t.Any]) -> t.Iterator[str]:
    """Serve ``application`` on a free loopback port in a thread; yields its base URL (``http://127.0.0.1:N``)."""
    server = make_server(LOOPBACK, 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def serve_console(lab: RunningLab, credentials: KeyPair | None = None) -> t.Iterator[str]:
    """A console for a running lab (``RunningLab``); yields the console's address (``http://127.0.0.1:N/console/``).

    It signs with ``credentials``, else with the lab's administrator's keys if it enforces IAM, else ``testing``.
    """
    keys = credentials or read_admin_credentials(lab.state_dir)
    with serve_wsgi(ConsoleApp(OverHttp(lab.endpoint, lab.token, keys))) as base:
        yield f"{base}/console/"


@contextlib.contextmanager
def chromium() -> t.Iterator[t.Any]:
    """A Playwright ``BrowserContext`` of Debian's Chromium (``tools/install-browser``), headless, empty profile."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install it with tools/install-browser (Debian's chromium)")
    from playwright.sync_api import sync_playwright  # a development requirement: only the browser tests need it

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
