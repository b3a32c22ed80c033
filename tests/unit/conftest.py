# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import typing as t
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

# tests/unit/conftest.py -> the collection root (ansible_collections/rollout/codedeploy under ansible-test)
COLLECTION_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def collection_root() -> Path:
    """The root of the collection under test (where galaxy.yml lives)."""
    return COLLECTION_ROOT


IMPORTED_AWS_LIBRARIES = """
import sys
import ansible_collections.rollout.codedeploy.plugins.module_utils.{module}
print(" ".join(sorted(name for name in ("ansible_collections.amazon", "boto3", "botocore") if name in sys.modules)))
"""


@pytest.fixture(scope="session")
def aws_libraries_imported_by() -> t.Callable[[str], list[str]]:
    """module (under module_utils, e.g. "bundles") -> the AWS libraries importing it pulls in, sorted.

    A fresh interpreter (this one has boto3 imported already, above) that finds what this one finds, the folder holding
    this collection's ansible_collections/ first.
    """

    def imported(module: str) -> list[str]:
        path = [str(COLLECTION_ROOT.parents[2]), *sys.path]
        output = subprocess.run(
            [sys.executable, "-c", IMPORTED_AWS_LIBRARIES.format(module=module)],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(path)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return output.split()

    return imported


class FlakyEndpoint:
    """A CodeDeploy endpoint on 127.0.0.1: refuses until open(), then drops `drops` requests, then answers."""

    def __init__(self, answers: dict[str, tuple[int, dict[str, t.Any]]]) -> None:
        self.answers = answers  # operation name -> (HTTP status, JSON payload)
        self.drops = 0
        self.seen: list[str] = []  # operations that reached the endpoint, "dropped:" prefixed when dropped
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]  # AWS JSON 1.1
                if endpoint.drops:
                    endpoint.drops -= 1
                    endpoint.seen.append(f"dropped:{operation}")
                    self.close_connection = True  # hang up without an answer
                    return
                endpoint.seen.append(operation)
                status, payload = endpoint.answers[operation]
                body = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: t.Any) -> None:
                pass

        # Bound but not listening: connecting is refused, as when nothing runs on the port.
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.server.server_bind()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread: threading.Thread | None = None

    def open(self, drops: int = 0) -> None:
        self.drops = drops
        self.server.server_activate()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.thread.join()
        self.server.server_close()

    def client(self) -> t.Any:
        # botocore's own retries are off, so each call is one attempt and the retry under test is ours alone.
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
        return boto3.client(
            "codedeploy",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )


@pytest.fixture
def local_codedeploy() -> t.Iterator[FlakyEndpoint]:
    """A CodeDeploy endpoint on 127.0.0.1 that refuses connections until open(); set its answers first."""
    endpoint = FlakyEndpoint({})
    yield endpoint
    endpoint.close()
