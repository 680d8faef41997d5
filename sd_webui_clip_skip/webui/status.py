"""GET /clip-skip/v1/status: what the accordion header shows (javascript/clip_skip.js). The one owner of its JSON.

The route carries the host's own API dependencies, so with --api-auth it asks for the same credentials
as /sdapi/v1/*. The page then cannot read it (the browser has no API credentials): the UI marks the
accordion and the header does without Auto's source and the notices (javascript/clip_skip.js).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import logger
from ..host import Host
from ..models.model_aware import ModelAware
from ..rules.values import ALL_VALUES, SETTING_KEY, ClipSkipError, parse_clip_skip

STATUS_PATH = "/clip-skip/v1/status"
UNKNOWN_STATUS: dict[str, object] = {
    "host": None,
    "family": None,
    "global": None,
    "auto": None,
    "checkpoint": None,
    "notices": {},
}


def status(host: Host, model: ModelAware, checkpoint_title: str | None = None) -> dict[str, object]:
    """The global value, Auto's value and source for the checkpoint (the selected one without a title),
    and the loaded model's family and notice per value."""
    try:
        global_value: int | None = parse_clip_skip(host.clip_skip_in_effect(), source=SETTING_KEY)
    except ClipSkipError:
        global_value = None
    checkpoint = host.checkpoint(checkpoint_title)
    auto = model.auto_for(checkpoint)
    return {
        "host": host.name,
        "family": host.model_family().value,
        "global": global_value,
        "auto": auto and {"value": auto.value, "source": auto.source.value, "text": auto.reason},
        "checkpoint": checkpoint and checkpoint.name,
        "notices": {str(value): text for value, text in model.notices(ALL_VALUES).items()},
    }


def install(app: Any, host: Host, model: ModelAware, dependencies: Sequence[Any]) -> None:
    """Add the route behind `dependencies`; a failure inside answers an unknown status, never a 500."""

    def clip_skip_status(checkpoint: str | None = None) -> dict[str, object]:
        try:
            return status(host, model, checkpoint or None)
        except Exception:
            logger.exception("The Clip skip status could not be read")
            return dict(UNKNOWN_STATUS)

    app.add_api_route(STATUS_PATH, clip_skip_status, methods=["GET"], dependencies=list(dependencies))
