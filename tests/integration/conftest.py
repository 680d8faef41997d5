"""Opt-in fixtures for the real-WebUI suite: one WebUI with the extension, one without, per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from sd_webui_clip_skip.rules.values import SETTING_KEY

from .bodies import TXT2IMG, generation
from .webui_server import Response, WebUIConfig, WebUIServer, checkout_status, random_checkpoint

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    ours = [item for item in items if HERE in Path(item.fspath).parents]
    webui = WebUIConfig.from_environment()
    reason = "set SD_WEBUI_DIR to a WebUI checkout to run" if webui is None else webui.problem()
    for item in ours:
        item.add_marker(pytest.mark.integration)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"real-WebUI suite: {reason}"))


@pytest.fixture(scope="session")
def webui_config() -> WebUIConfig:
    return WebUIConfig.from_environment()


@pytest.fixture(scope="session")
def checkpoint(webui_config) -> Path:
    return random_checkpoint(webui_config)


@pytest.fixture(scope="session")
def metadata_checkpoint(webui_config) -> Path:
    """The same weights with `ss_clip_skip: 2` in the header; made before the WebUI lists its models."""
    return random_checkpoint(webui_config, clip_skip=2)


@pytest.fixture(scope="session")
def family_checkpoint(webui_config):
    """`family_checkpoint("sd2")`: the cached random checkpoint of a family (sd15, sd2, sd2-v, sdxl), made on
    first use."""
    return lambda family: random_checkpoint(webui_config, family=family)


@pytest.fixture(scope="session")
def untouched_checkout(webui_config):
    """Fails the run if starting the WebUI changed anything git tracks or would add in the checkout."""
    before = checkout_status(webui_config.directory)
    yield
    after = checkout_status(webui_config.directory)
    assert after == before, f"the WebUI checkout changed during the run:\n{after}"


def _server(request, webui_config, checkpoint, **kwargs) -> WebUIServer:
    server = WebUIServer(webui_config, checkpoint, **kwargs)
    request.addfinalizer(server.stop)  # also on failure and Ctrl-C: pytest tears fixtures down then
    return server.start()


@pytest.fixture(scope="session")
def webui(request, webui_config, checkpoint, metadata_checkpoint, untouched_checkout) -> WebUIServer:
    """The user's WebUI with this extension linked in, on a fresh data directory."""
    return _server(request, webui_config, checkpoint)


@pytest.fixture(scope="session")
def references(request, webui_config, checkpoint, untouched_checkout) -> dict[str, Response]:
    """What the same WebUI makes without the extension: the plain request (at the host's default: 1, or Forge Neo's
    2), then the host's own override at 1 and at 2.

    In this order, because on a fresh data directory the host's override outlives its request
    (A1111 82a973c0 processing.py:process_images restores only keys already in config.json).
    """
    server = _server(request, webui_config, checkpoint, with_extension=False)
    try:
        plain = server.post(TXT2IMG, generation())
        overrides = {
            f"host_override_{value}": server.post(TXT2IMG, generation(override_settings={SETTING_KEY: value}))
            for value in (1, 2)
        }
        pasted = {name: server.post(TXT2IMG, generation(infotext=text)) for name, text in EXACT_INFOTEXTS.items()}
    finally:
        server.stop()
    return {"plain": plain, **overrides, **pasted}


EXACT_INFOTEXTS = {
    "pasted_blend": "Steps: 2, Seed: 1234, Clip skip: 2, Clip skip blend: 1.5",
    "pasted_schedule": 'Steps: 2, Seed: 1234, Clip skip: 2, Clip skip schedule: "[2:1:0.5]"',
}
"""The last lines the extension writes for 1.5 and [2:1:0.5], pasted into the WebUI without it."""
