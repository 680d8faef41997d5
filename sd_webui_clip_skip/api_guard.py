"""Refuses API generation requests whose Clip skip args are invalid, before any image is made.

The host swallows exceptions raised in script hooks (modules/scripts.py: every runner
call is wrapped in try/except + errors.report) and would generate anyway, so the check
sits in front of the API as a plain ASGI middleware and answers HTTP 422.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from . import logger
from .args import SCRIPT_TITLE, parse_script_args
from .values import ClipSkipError

GENERATION_PATHS = ("/sdapi/v1/txt2img", "/sdapi/v1/img2img")
_MENTIONS_SCRIPT = re.compile(re.escape(SCRIPT_TITLE.encode()), re.IGNORECASE)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def args_error(body: bytes) -> str | None:
    """Why the request body's Clip skip args are invalid, or None when they are fine or absent."""
    if not _MENTIONS_SCRIPT.search(body):  # skip parsing large img2img bodies
        return None
    try:
        request = json.loads(body)
    except ValueError:
        return None  # malformed JSON is the host's to answer
    scripts = request.get("alwayson_scripts") if isinstance(request, dict) else None
    if not isinstance(scripts, dict):
        return None
    for name, entry in scripts.items():
        # The host matches script titles case-insensitively (modules/api/api.py:36-40).
        if name.lower() != SCRIPT_TITLE.lower():
            continue
        where = f"alwayson_scripts[{name!r}]"
        if not isinstance(entry, dict):
            return f'{where} must be an object such as {{"args": [true, 2]}}'
        args = entry.get("args", [])
        if not isinstance(args, list):
            return f"{where}.args must be a list such as [true, 2]"
        try:
            parse_script_args(args)
        except ClipSkipError as error:
            return f"{where}.{error}"
    return None


class ArgsGuard:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_generation_request(scope):
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        if disconnected:
            return
        error = args_error(body)
        if error is None:
            await self.app(scope, _replay(body, receive), send)
            return
        logger.warning("Refused %s: %s.", scope["path"], error)
        await _send_json(send, 422, {"error": "Invalid Clip skip args", "detail": error})


def install(app: Any) -> None:
    """Put the guard in front of the WebUI's FastAPI app (once per app).

    The server already answers requests in another thread (gradio's launch starts uvicorn before
    the host calls app_started, webui.py:100-119), so a request can build Starlette's middleware
    stack at any moment; `add_middleware` then raises and the WebUI exits. Instead the guard joins
    the list and a complete stack is built here and swapped in with one assignment.
    """
    from starlette.middleware import Middleware

    if any(getattr(entry, "cls", None) is ArgsGuard for entry in app.user_middleware):
        return
    app.user_middleware.insert(0, Middleware(ArgsGuard))
    app.middleware_stack = app.build_middleware_stack()


def _is_generation_request(scope: Scope) -> bool:
    return (
        scope.get("type") == "http"
        and scope.get("method") == "POST"
        and str(scope.get("path", "")).rstrip("/").endswith(GENERATION_PATHS)
    )


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks = []
    while True:
        message = await receive()
        if message.get("type") != "http.request":
            return b"", True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_json(send: Send, status: int, payload: dict[str, str]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
