"""GET /clip-skip/v1/status: what the accordion header shows (javascript/clip_skip.js)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import logger

STATUS_PATH = "/clip-skip/v1/status"


def install(app: Any, status: Callable[[str | None], dict[str, object]]) -> None:
    """Add the route to the WebUI's FastAPI app; a failure inside answers an empty status, never a 500."""

    def clip_skip_status(checkpoint: str | None = None) -> dict[str, object]:
        try:
            return status(checkpoint or None)
        except Exception:
            logger.exception("The Clip skip status could not be read")
            return {"global": None, "auto": None, "checkpoint": None, "notices": {}}

    app.add_api_route(STATUS_PATH, clip_skip_status, methods=["GET"])
