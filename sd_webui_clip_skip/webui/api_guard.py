"""Refuses API generation requests whose Clip skip args are invalid, before any image is made.

The host swallows exceptions raised in script hooks (A1111 82a973c0 scripts.py:ScriptRunner, every
call wrapped in try/except + errors.report) and would generate anyway, so the check sits in the API's
middleware as a plain ASGI middleware. A refused request is not answered there but handed, with its
reason, to a route of ours that carries the host's own API dependencies: the host's --api-auth check
answers 401 first, and the host's CORS and GZip middleware, which sit outside, wrap the 422.
"""

# No `from __future__ import annotations`: FastAPI reads the refusal route's annotations at runtime.

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from .. import logger
from ..rules.api_request import CheckedRequest, check_generation_request

GENERATION_PATHS = ("/sdapi/v1/txt2img", "/sdapi/v1/img2img")
REFUSAL_PATH = "/clip-skip/v1/refused"
_REFUSAL = "clip_skip.refusal"
"""The scope key that carries the reason; a request without it (from outside) finds no route."""
_MENTIONS_CLIP_SKIP = re.compile(rb"clip[ _]skip", re.IGNORECASE)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def check_body(body: bytes) -> CheckedRequest:
    """The request body checked (rules/api_request.py); malformed JSON is the host's to answer."""
    # Skip parsing large img2img bodies that cannot name the script: not in their bytes, and no \u escape
    # (JSON may spell "clip skip" as "clip\u0020skip").
    if not _MENTIONS_CLIP_SKIP.search(body) and b"\\u" not in body:
        return CheckedRequest()
    try:
        request = json.loads(body)
    except ValueError:
        return CheckedRequest()
    return check_generation_request(request)


class ArgsGuard:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _generation_path(scope)
        if path is None:
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        if disconnected:
            return
        checked = check_body(body)
        if checked.error is None:
            if checked.request is not None:
                body = json.dumps(checked.request).encode()
                scope = {**scope, "headers": _with_content_length(scope.get("headers", []), len(body))}
            await self.app(scope, _replay(body, receive), send)
            return
        error = checked.error
        prefix = str(scope["path"])[: -len(path)]  # keeps a root path or --subpath in front
        refused = {**scope, "path": prefix + REFUSAL_PATH, "raw_path": (prefix + REFUSAL_PATH).encode()}
        refused[_REFUSAL] = (path, error)
        await self.app(refused, _replay(body, receive), send)


def install(app: Any, dependencies: Sequence[Any]) -> None:
    """Put the guard into the WebUI's FastAPI app (once per app), with its refusal route behind `dependencies`.

    The server already answers requests in another thread (gradio's launch starts uvicorn before
    the host calls app_started, A1111 82a973c0 webui.py:webui), so a request can build Starlette's
    middleware stack at any moment; `add_middleware` then raises and the WebUI exits. Instead the guard
    joins the list innermost (inside the host's CORS and GZip) and a complete stack is built here and
    swapped in with one assignment.
    """
    from fastapi.responses import JSONResponse
    from starlette.middleware import Middleware
    from starlette.requests import Request

    if any(getattr(entry, "cls", None) is ArgsGuard for entry in app.user_middleware):
        return

    def refuse(request: Request) -> JSONResponse:
        refusal = request.scope.get(_REFUSAL)
        if refusal is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        path, error = refusal
        logger.warning("Refused %s: %s.", path, error)
        return JSONResponse({"error": "Invalid Clip skip args", "detail": error}, status_code=422)

    app.add_api_route(REFUSAL_PATH, refuse, methods=["POST"], dependencies=list(dependencies), include_in_schema=False)
    app.user_middleware.append(Middleware(ArgsGuard))
    app.middleware_stack = app.build_middleware_stack()


def _generation_path(scope: Scope) -> str | None:
    """Which generation route a request is for, as the path ends ("/sdapi/v1/txt2img"), else None."""
    if scope.get("type") != "http" or scope.get("method") != "POST":
        return None
    path = str(scope.get("path", ""))
    trimmed = path.rstrip("/")
    for route in GENERATION_PATHS:
        if trimmed.endswith(route):
            return route + path[len(trimmed) :]
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks = []
    while True:
        message = await receive()
        if message.get("type") != "http.request":
            return b"", True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _with_content_length(headers: Sequence[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
