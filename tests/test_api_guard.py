"""Invalid API args are refused over HTTP before any image is made."""

import asyncio
import json

import pytest

from sd_webui_clip_skip.rules.api_request import CheckedRequest
from sd_webui_clip_skip.webui.api_guard import ArgsGuard, check_body, install


def body(scripts, **extra):
    return json.dumps({"prompt": "a cat", "alwayson_scripts": scripts, **extra}).encode()


@pytest.mark.parametrize(
    ("scripts", "words"),
    [
        (
            {"clip skip": {"args": [True, 13]}},
            "alwayson_scripts['clip skip'].args[1] (clip_skip, \"Clip skip value\")"
            " must be a number from 1 to 12 with at most one decimal, got 13",
        ),
        ({"Clip Skip": {"args": [True, None]}}, "alwayson_scripts['Clip Skip'].args[1]"),
        ({"clip skip": {"args": [True, 2.55]}}, "got 2.55"),
        ({"clip skip": {"args": ["on", 2]}}, "args[0] (enabled, \"Clip skip\") must be true or false, got 'on'"),
        ({"clip skip": {"args": [True, 2, False, False, 1, "", 3]}}, "expected at most 6 args"),
        ({"clip skip": {"args": "true, 2"}}, ".args must be a list"),
        ({"clip skip": [True, 2]}, "must be an object"),
    ],
)
def test_invalid_args_are_explained(scripts, words):
    assert words in check_body(body(scripts)).error


def test_an_escaped_script_name_is_still_checked():
    payload = b'{"alwayson_scripts": {"clip\\u0020skip": {"args": [true, 13]}}}'
    assert "got 13" in check_body(payload).error
    assert "got 13" in check_body(b'{"clip\\u005fskip": 13}').error


@pytest.mark.parametrize(
    "payload",
    [
        body({"clip skip": {"args": [True, 2]}}),
        body({"clip skip": {"args": [False]}}),
        body({"clip skip": {}}),
        body({"other": {"args": ["clip skip", 99]}}),
        b'{"prompt": "clip skip"',  # malformed JSON is the host's to answer
        b'["clip skip"]',
        json.dumps({"prompt": "no mention"}).encode(),
    ],
)
def test_valid_absent_or_foreign_args_pass(payload):
    assert check_body(payload) == CheckedRequest()


def run_asgi(app, path, payload, method="POST", chunks=2):
    """Drive an ASGI app with the body split in chunks; return (status, body, what the app received)."""
    size = max(1, len(payload) // chunks)
    parts = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    messages = [{"type": "http.request", "body": part, "more_body": i < len(parts) - 1} for i, part in enumerate(parts)]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


async def echo_app(scope, receive, send):
    received = b""
    while True:
        message = await receive()
        received += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": received})


@pytest.mark.parametrize(
    ("path", "refused_at"),
    [
        ("/sdapi/v1/txt2img", "/clip-skip/v1/refused"),
        ("/sdapi/v1/img2img/", "/clip-skip/v1/refused"),
        ("/subpath/sdapi/v1/txt2img", "/subpath/clip-skip/v1/refused"),
    ],
)
def test_a_refused_request_goes_to_the_refusal_route_with_its_reason_never_to_the_generation_route(path, refused_at):
    called = []

    async def app(scope, receive, send):
        called.append(scope)
        await echo_app(scope, receive, send)

    payload = body({"clip skip": {"args": [True, 0]}})
    assert run_asgi(ArgsGuard(app), path, payload) == (200, payload)
    [scope] = called
    assert scope["path"] == refused_at and scope["raw_path"] == refused_at.encode()
    route, reason = scope["clip_skip.refusal"]
    assert path.startswith(route) or path.rstrip("/").endswith(route.rstrip("/"))
    assert "must be a number from 1 to 12 with at most one decimal, got 0" in reason


@pytest.mark.parametrize("path", ["/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/options"])
def test_the_app_receives_the_whole_body_unchanged(path):
    payload = body({"clip skip": {"args": [True, 2]}}, init_images=["x" * 5000])
    assert run_asgi(ArgsGuard(echo_app), path, payload, chunks=5) == (200, payload)


def test_bad_args_on_other_routes_are_not_its_business():
    payload = body({"clip skip": {"args": [True, 99]}})
    assert run_asgi(ArgsGuard(echo_app), "/sdapi/v1/options", payload)[0] == 200


fastapi = pytest.importorskip("fastapi")


@pytest.fixture
def http(webui):
    """The fake WebUI's FastAPI app after startup ran the extension's app_started callback."""
    from fastapi.testclient import TestClient

    from tests.fakewebui.http import fastapi_app

    app = fastapi_app(webui)
    webui.callbacks.fire("app_started", None, app)  # a second call must not stack a second guard
    webui.encode_calls.clear()
    return TestClient(app), app


def test_http_bad_args_get_422_naming_the_field_and_no_image(http, webui):
    client, app = http
    answer = client.post(
        "/sdapi/v1/txt2img", json={"prompt": "a cat", "alwayson_scripts": {"clip skip": {"args": [True, 13]}}}
    )
    assert answer.status_code == 422
    assert (
        'args[1] (clip_skip, "Clip skip value") must be a number from 1 to 12 with at most one decimal, got 13'
        in answer.json()["detail"]
    )
    assert webui.encode_calls == []
    assert sum(entry.cls is ArgsGuard for entry in app.user_middleware) == 1


def test_http_good_args_generate(http, webui):
    client, _ = http
    answer = client.post(
        "/sdapi/v1/txt2img", json={"prompt": "a cat", "alwayson_scripts": {"clip skip": {"args": [True, 2]}}}
    )
    assert answer.status_code == 200
    assert "Clip skip: 2" in answer.json()["infotexts"][0]


def test_install_is_idempotent_on_a_fresh_app():
    app = fastapi.FastAPI()
    install(app, [])
    install(app, [])
    assert [entry.cls for entry in app.user_middleware].count(ArgsGuard) == 1


def test_install_never_calls_add_middleware_on_a_serving_app():
    """The server thread may already have built the stack (gradio launches uvicorn before the host
    calls app_started, A1111 82a973c0 webui.py:webui); Starlette's add_middleware then raises."""
    app = fastapi.FastAPI()
    app.middleware_stack = app.build_middleware_stack()  # a request came in already

    def refuse(*args, **kwargs):
        raise RuntimeError("Cannot add middleware after an application has started")

    app.add_middleware = refuse
    install(app, [])
    assert app.middleware_stack is not None  # never a moment without a stack for the other thread
    layer, found = app.middleware_stack, False
    while layer is not None and not found:
        found = isinstance(layer, ArgsGuard)
        layer = getattr(layer, "app", None)
    assert found


def test_http_a_top_level_clip_skip_generates_at_that_value_and_changes_nothing_global(http, webui):
    client, _ = http
    answer = client.post("/sdapi/v1/txt2img", json={"prompt": "a cat", "clip_skip": 2})
    assert answer.status_code == 200
    assert "Clip skip: 2" in answer.json()["infotexts"][0]
    assert webui.global_clip_skip == 1 and webui.encode_calls[-1][1] == 2


def test_http_override_settings_outrank_a_top_level_clip_skip(http, webui):
    client, _ = http
    request = {"clip_skip": 2, "override_settings": {"CLIP_stop_at_last_layers": 4}}
    assert "Clip skip: 4" in client.post("/sdapi/v1/txt2img", json=request).json()["infotexts"][0]


@pytest.mark.parametrize("value", [0, 13, "abc", 2.75, None])
def test_http_a_bad_top_level_clip_skip_gets_422_naming_it(http, webui, value):
    client, _ = http
    answer = client.post("/sdapi/v1/txt2img", json={"prompt": "a cat", "clip_skip": value})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("clip_skip must be a number from 1 to 12 with at most one decimal")
    assert webui.encode_calls == []


def test_http_a_conflict_gets_422(http, webui):
    client, _ = http
    request = {"clip_skip": 2, "alwayson_scripts": {"clip skip": {"args": [True, 3]}}}
    answer = client.post("/sdapi/v1/txt2img", json=request)
    assert answer.status_code == 422 and "ask for different values" in answer.json()["detail"]
