"""The console's WSGI application: pages and their JSON under ``/console/``, read-only.

* pages: ``/console/``, ``/console/fleet``, ``/console/applications/<app>/<group>``, ``/console/deployments/<id>``
  (one HTML file; its script draws the view the path names);
* their JSON: the same paths under ``/console/api/`` (``/console/api/applications`` for ``/console/``);
* ``/console/static/<file>``: the script and the style sheet, shipped in this package.

A read the lab refuses (``--enforce-iam``) is answered 502 with a sentence naming the keys, the call, the lab's
error and what the console needs; any other failed read, 502 with the error.

Only GET and HEAD are served (405 otherwise). No CORS header is ever sent, and a request that says it comes from
another origin is refused, so a page elsewhere can neither read the console nor make it work for it.
"""

from __future__ import annotations

import json
import logging
import typing as t
from datetime import datetime
from importlib import resources

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .data import ConsoleData
from .data import LabSource
from .data import NotFound as MissingResource

LOG = logging.getLogger("codedeploy_lab.console")

PREFIX = "/console"
STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
READ_METHODS = ("GET", "HEAD")


def _json_default(value: t.Any) -> t.Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class ConsoleApp:
    """``ConsoleApp(source)`` is a WSGI application for every path under ``/console``."""

    def __init__(self, source: LabSource) -> None:
        self.data = ConsoleData(source)
        self.static = resources.files(__package__).joinpath("static")
        page = ("page", READ_METHODS)
        self._map = Map(
            [
                Rule(f"{PREFIX}/", endpoint=page),
                Rule(f"{PREFIX}/fleet", endpoint=page),
                Rule(f"{PREFIX}/applications/<application>/<group>", endpoint=page),
                Rule(f"{PREFIX}/deployments/<deployment_id>", endpoint=page),
                Rule(f"{PREFIX}/api/applications", endpoint=("applications", READ_METHODS)),
                Rule(f"{PREFIX}/api/applications/<application>/<group>", endpoint=("deployment_group", READ_METHODS)),
                Rule(f"{PREFIX}/api/deployments/<deployment_id>", endpoint=("deployment", READ_METHODS)),
                Rule(f"{PREFIX}/api/fleet", endpoint=("fleet", READ_METHODS)),
                Rule(f"{PREFIX}/static/<name>", endpoint=("static", READ_METHODS)),
            ],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, t.Any], start_response: t.Callable) -> t.Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.method not in READ_METHODS:
            return _error(
                405,
                f"the console is read-only: {request.method} is not served; use GET",
                headers={"Allow": ", ".join(READ_METHODS)},
            )
        if not _same_origin(request):
            return _error(
                403,
                f"requests from {request.headers.get('Origin')} are refused: the console answers "
                f"pages of its own origin only",
            )
        if request.path == PREFIX:
            return Response(status=308, headers={"Location": f"{PREFIX}/"})
        try:
            (name, _methods), arguments = self._map.bind_to_environ(request.environ).match()
        except NotFound:
            return _error(404, f"no console page at {request.path}; start at {PREFIX}/")
        except MethodNotAllowed:  # every rule takes GET and HEAD, already checked
            return _error(405, "the console is read-only")
        except HTTPException as redirect:  # strict_slashes redirects
            return redirect.get_response(request.environ)
        if name == "page":
            return self._file("index.html")
        if name == "static":
            return self._file(arguments["name"])
        try:
            payload = getattr(self.data, name)(**arguments)
        except MissingResource as missing:
            return _error(404, str(missing))
        except Exception as error:  # a page shows what went wrong; the lab keeps running
            refusal = self.data.refusal(error)
            if refusal is not None:  # the lab enforces IAM and refused the console's keys or call
                LOG.warning("console %s: %s", request.path, refusal)
                return _error(502, refusal)
            LOG.exception("console %s failed", request.path)
            return _error(502, f"the lab did not answer {request.path}: {type(error).__name__}: {error}")
        return Response(json.dumps(payload, default=_json_default), content_type="application/json")

    def _file(self, name: str) -> Response:
        suffix = name[name.rfind(".") :] if "." in name else ""
        resource = self.static.joinpath(name)
        if suffix not in STATIC_TYPES or "/" in name or not resource.is_file():
            return _error(404, f"no console file {name}")
        return Response(resource.read_bytes(), content_type=STATIC_TYPES[suffix])


def _same_origin(request: Request) -> bool:
    """False for a request a browser marks as coming from a page of another origin."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        return False
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps({"error": message}), status=status, content_type="application/json", headers=headers or {}
    )
