import logging

import pytest

from sd_webui_clip_skip import logger
from sd_webui_clip_skip.models import defaults as model_defaults
from sd_webui_clip_skip.models import metadata as model_metadata
from tests.fakewebui import PROFILES, FakeWebUI


@pytest.fixture(autouse=True)
def _package_logger_reaches_caplog():
    """The entry script gives the logger a console handler; tests read records through caplog."""
    saved = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:], logger.propagate = saved[0], saved[1]
    logger.setLevel(saved[2])


@pytest.fixture(autouse=True)
def _fresh_report_once_state(monkeypatch):
    """What the package reports once per process starts afresh in every test."""
    monkeypatch.setattr(model_defaults, "_reported", set())
    monkeypatch.setattr(model_metadata, "_cache", model_metadata._Recent(model_metadata.CACHE_SIZE))
    monkeypatch.setattr(model_metadata, "_warned", model_metadata._Recent(model_metadata.CACHE_SIZE))


def _make_webui(request, **kwargs):
    kwargs.setdefault("data_path", request.getfixturevalue("tmp_path"))
    webui = FakeWebUI(**kwargs)
    webui.install()
    request.addfinalizer(webui.uninstall)
    webui.load_extension()
    logger.handlers.clear()
    logger.propagate = True
    logger.setLevel(logging.INFO)
    return webui


@pytest.fixture(params=sorted(PROFILES))
def webui(request):
    """A loaded fake WebUI with config.json holding Clip skip 1, as after any saved setting."""
    return _make_webui(request, flavor=request.param, config={"CLIP_stop_at_last_layers": 1})


@pytest.fixture
def make_webui(request):
    return lambda **kwargs: _make_webui(request, **kwargs)
