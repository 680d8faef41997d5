"""The extension's HTTP surface under the host's own rules, the settings file during a job, and the API's
top-level `clip_skip`, on a real WebUI. Opt-in: see tests/integration/conftest.py."""

from __future__ import annotations

import base64
import threading
import time

import pytest

from sd_webui_clip_skip.rules.values import SETTING_KEY

from .bodies import TXT2IMG, generation
from .test_real_webui import generate, ok, recorded
from .webui_server import WebUIServer, pixels

STATUS = "/clip-skip/v1/status"
CREDENTIALS = {"Authorization": "Basic " + base64.b64encode(b"user:pass").decode()}
WRONG = {"Authorization": "Basic " + base64.b64encode(b"user:nope").decode()}
ORIGIN = "http://client.example"
BAD_ARGS = generation([True, 13])


@pytest.fixture(scope="module")
def protected(request, webui_config, checkpoint, untouched_checkout) -> WebUIServer:
    """The WebUI started with --api-auth and --cors-allow-origins, as an API server exposed to a web client."""
    server = WebUIServer(webui_config, checkpoint, args=("--api-auth", "user:pass", "--cors-allow-origins", ORIGIN))
    request.addfinalizer(server.stop)
    return server.start()


@pytest.mark.parametrize("headers", [{}, WRONG], ids=["no-credentials", "wrong-credentials"])
def test_with_api_auth_the_status_route_asks_for_the_apis_credentials(protected, headers):
    assert protected.request("GET", "/sdapi/v1/options", headers=headers).status == 401  # the host's own
    assert protected.request("GET", STATUS, headers=headers).status == 401
    answer = protected.request("GET", STATUS, headers=CREDENTIALS)
    options = protected.request("GET", "/sdapi/v1/options", headers=CREDENTIALS).body
    assert answer.status == 200 and answer.body["global"] == options["CLIP_stop_at_last_layers"]


@pytest.mark.parametrize("headers", [{}, WRONG], ids=["no-credentials", "wrong-credentials"])
def test_with_api_auth_bad_args_without_credentials_get_the_hosts_401(protected, headers):
    answer = protected.request("POST", TXT2IMG, BAD_ARGS, headers=headers)
    assert answer.status == 401
    assert "Clip skip" not in str(answer.body)


def test_with_api_auth_bad_args_with_credentials_get_the_422_with_the_hosts_cors_headers(protected):
    answer = protected.request("POST", TXT2IMG, BAD_ARGS, headers={**CREDENTIALS, "Origin": ORIGIN})
    assert answer.status == 422
    assert "must be a number from 1 to 12 with at most one decimal, got 13" in answer.body["detail"]
    assert answer.headers.get("access-control-allow-origin") == ORIGIN


def test_with_api_auth_good_args_with_credentials_generate(protected):
    answer = ok(protected.request("POST", TXT2IMG, generation([True, 2]), headers=CREDENTIALS))
    assert recorded(answer.infotexts[0]) == 2


def test_a_top_level_clip_skip_is_the_accordion_at_that_value(webui, references):
    answer = ok(generate(webui, generation(clip_skip=2)))
    assert recorded(answer.infotexts[0]) == 2
    assert pixels(answer.images[0]) == pixels(ok(references["host_override_2"]).images[0])


@pytest.mark.parametrize("value", [0, 13, "abc", 2.75, None])
def test_a_bad_top_level_clip_skip_gets_422_naming_it(webui, value):
    answer = generate(webui, generation(clip_skip=value))
    assert answer.status == 422, answer.body
    assert answer.body["detail"].startswith("clip_skip must be a number from 1 to 12 with at most one decimal")
    assert "images" not in answer.body


def test_a_top_level_clip_skip_and_different_script_args_get_422(webui):
    answer = generate(webui, generation([True, 3], clip_skip=2))
    assert answer.status == 422 and "ask for different values" in answer.body["detail"]


def test_a_settings_save_during_a_generation_never_writes_the_jobs_clip_skip(request, webui_config, checkpoint):
    """Accordion on at 3, a long generation, and meanwhile another setting saved over the API: config.json
    keeps the global Clip skip and gets the other setting, also after a restart."""
    server = WebUIServer(webui_config, checkpoint, settings={SETTING_KEY: 1})
    request.addfinalizer(server.stop)
    server.start()
    results = {}
    job = threading.Thread(
        target=lambda: results.setdefault("job", server.post(TXT2IMG, generation([True, 3], steps=40)))
    )
    job.start()
    live = None
    deadline = time.monotonic() + 300
    while job.is_alive() and time.monotonic() < deadline:
        progress = server.get("/sdapi/v1/progress?skip_current_image=true").body
        if progress.get("state", {}).get("sampling_step", 0) >= 1:  # sampling: the override is applied
            live = server.global_clip_skip()
            ok(server.post("/sdapi/v1/options", {"jpeg_quality": 81}))
            break
        time.sleep(0.2)
    job.join(timeout=600)
    assert live == 3, "the save did not happen while the job held its value"
    assert recorded(ok(results["job"]).infotexts[0]) == 3
    saved = server.saved_settings()
    assert (saved.get(SETTING_KEY), saved.get("jpeg_quality")) == (1, 81)
    server.restart()
    options = server.get("/sdapi/v1/options").body
    assert (options[SETTING_KEY], options["jpeg_quality"]) == (1, 81)
