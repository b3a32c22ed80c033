"""``/_lab/faults``: the faults over HTTP (the table in the package docstring), and ``attach(lab)``."""

from __future__ import annotations

import typing as t

from werkzeug.wrappers import Request

from ..lab import LAB_PREFIX
from ..lab import Lab
from ..rooms import Router
from .model import FaultError
from .model import Faults

# -- the lab endpoints ------------------------------------------------------------------------------------------------


def _body(request: Request) -> dict[str, t.Any]:
    body = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise FaultError("the request body must be a JSON object")
    return body


def _answer(action: t.Callable[[], t.Any]) -> t.Any:
    try:
        return action()
    except FaultError as error:
        return 400, {"error": "InvalidFault", "message": str(error)}
    except LookupError as error:
        return 404, {"error": "NotFound", "message": str(error).strip("'\"")}


def register(faults: Faults, router: Router) -> None:
    def status(request: Request) -> t.Any:
        return faults.describe()

    def clear(request: Request) -> t.Any:
        faults.clear()
        return faults.describe()

    def put_api(request: Request, service: str) -> t.Any:
        return _answer(lambda: {service: faults.set_api_fault(service, _body(request)).describe()})

    def delete_api(request: Request, service: str) -> t.Any:
        return {"service": service, "removed": faults.clear_api_fault(service)}

    def agent(request: Request, instance_id: str) -> t.Any:
        def act() -> t.Any:
            body = _body(request)
            return faults.agent(instance_id, body.get("action", ""), body.get("timeout_minutes"))

        return _answer(act)

    def web(request: Request, instance_id: str) -> t.Any:
        def act() -> t.Any:
            body = _body(request)
            return faults.web(instance_id, body.get("action", ""), body.get("status", 503))

        return _answer(act)

    def terminate(request: Request, instance_id: str) -> t.Any:
        def act() -> t.Any:
            body = _body(request)
            return faults.terminate(instance_id, body.get("at_event"), body.get("region") or "us-east-1")

        return _answer(act)

    router.add(f"{LAB_PREFIX}/faults", status)
    router.add(f"{LAB_PREFIX}/faults", clear, methods=("DELETE",))
    router.add(f"{LAB_PREFIX}/faults/api/<service>", put_api, methods=("PUT", "POST"))
    router.add(f"{LAB_PREFIX}/faults/api/<service>", delete_api, methods=("DELETE",))
    router.add(f"{LAB_PREFIX}/faults/hosts/<instance_id>/agent", agent, methods=("POST",))
    router.add(f"{LAB_PREFIX}/faults/hosts/<instance_id>/web", web, methods=("POST",))
    router.add(f"{LAB_PREFIX}/faults/hosts/<instance_id>/terminate", terminate, methods=("POST",))


def attach(lab: Lab) -> Faults:
    """``lab.faults``, its endpoints, and a reset that turns every fault off."""
    faults = Faults(lab)
    lab.faults = faults
    register(faults, lab.router)
    lab.on_reset(faults.clear)
    return faults
