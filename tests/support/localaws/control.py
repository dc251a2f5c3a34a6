"""The control endpoints under /_localaws/, mounted in front of moto's WSGI app.

GET    /_localaws/health   200 once the server answers
GET    /_localaws/clock    {"now": RFC 3339}
POST   /_localaws/clock    {"advance_seconds": N} | {"now": "RFC 3339"} | {"reset": true}
GET    /_localaws/calls    [{"service","action","region","key_id"?,"secret_id"?,"name"?,
                             "agent"? ("kms-import" for the helper's calls),
                             "access_key_id"? (the caller's, from the SigV4 Credential),
                             "time"}, ...]
DELETE /_localaws/calls    clears the record
GET    /_localaws/sts      {"check_roles": bool}
POST   /_localaws/sts      {"check_roles": true}: AssumeRole needs an existing role whose
                           trust policy allows the caller (else AccessDenied); {} = moto's
                           default, any role (see localaws.sts)
POST   /_localaws/save     saves the state now (with --state-dir): {"saved": bool,
                           "failures": {service: error}}; `offline-stack down` calls it
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from localaws import calls, clock, faults, persistence, sts

PREFIX = "/_localaws/"
Handler = Callable[[Request], Any]


def _health(_: Request) -> Any:
    return {"status": "ok"}


def _clock(request: Request) -> Any:
    if request.method == "POST":
        body = request.get_json(force=True, silent=True) or {}
        if body.get("reset"):
            clock.reset()
        elif "now" in body:
            clock.set(datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00")))
        elif "advance_seconds" in body:
            clock.advance(float(body["advance_seconds"]))
        else:
            raise ValueError('expected "advance_seconds", "now" or "reset"')
    return {"now": clock.now().isoformat()}


def _calls(request: Request) -> Any:
    if request.method == "DELETE":
        calls.clear()
        return {"cleared": True}
    return calls.calls()


def _faults(request: Request) -> Any:
    if request.method == "POST":
        body = request.get_json(force=True, silent=True) or {}
        faults.configure(**body)
    return faults.current()


def _sts(request: Request) -> Any:
    if request.method == "POST":
        body = request.get_json(force=True, silent=True) or {}
        sts.configure(**body)
    return sts.current()


def _save(_: Request) -> Any:
    return persistence.save_now()


ROUTES: dict[str, tuple[Handler, tuple[str, ...]]] = {
    "health": (_health, ("GET",)),
    "clock": (_clock, ("GET", "POST")),
    "calls": (_calls, ("GET", "DELETE")),
    "faults": (_faults, ("GET", "POST")),
    "sts": (_sts, ("GET", "POST")),
    "save": (_save, ("POST",)),
}


class ControlApp:
    """WSGI middleware: /_localaws/* here, everything else to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.routes = dict(ROUTES)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            with persistence.gate.request():  # a save waits for this request to finish
                return self.app(environ, start_response)
        return self._control(Request(environ), path[len(PREFIX) :].strip("/"))(
            environ, start_response
        )

    def _control(self, request: Request, name: str) -> Response:
        route = self.routes.get(name)
        if route is None:
            return _json({"error": f"no control endpoint {name!r}"}, 404)
        handler, methods = route
        if request.method not in methods:
            return _json({"error": f"{request.method} not allowed"}, 405)
        try:
            return _json(handler(request), 200)
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
