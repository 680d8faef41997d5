"""The extension's HTTP surface follows the host's own rules: --api-auth, and the CORS headers of
--cors-allow-origins, on its status route and on its 422 for bad Clip skip args."""

import base64

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tests.fakewebui import PROFILES  # noqa: E402
from tests.fakewebui.http import fastapi_app  # noqa: E402

STATUS = "/clip-skip/v1/status"
TXT2IMG = "/sdapi/v1/txt2img"
BAD_ARGS = {"prompt": "a cat", "alwayson_scripts": {"clip skip": {"args": [True, 13]}}}
GOOD = {"Authorization": "Basic " + base64.b64encode(b"user:pass").decode()}
WRONG = {"Authorization": "Basic " + base64.b64encode(b"user:nope").decode()}
ORIGIN = "http://client.example"


@pytest.fixture(params=sorted(PROFILES))
def protected(request, make_webui):
    webui = make_webui(flavor=request.param, config={"CLIP_stop_at_last_layers": 1})
    webui.opts.cmd_opts.api_auth = "user:pass"
    webui.encode_calls.clear()
    return webui, TestClient(fastapi_app(webui))


@pytest.mark.parametrize("headers", [{}, WRONG], ids=["no-credentials", "wrong-credentials"])
def test_the_status_route_asks_for_the_same_credentials_as_the_hosts_api(protected, headers):
    _, client = protected
    assert client.get("/sdapi/v1/options", headers=headers).status_code == 401  # the host's own route
    assert client.get(STATUS, headers=headers).status_code == 401
    answer = client.get(STATUS, headers=GOOD)
    assert answer.status_code == 200 and answer.json()["global"] == 1


@pytest.mark.parametrize("headers", [{}, WRONG], ids=["no-credentials", "wrong-credentials"])
def test_bad_args_without_valid_credentials_get_the_hosts_401_not_the_validation(protected, headers):
    webui, client = protected
    answer = client.post(TXT2IMG, json=BAD_ARGS, headers=headers)
    assert answer.status_code == 401
    assert "Clip skip" not in answer.text and "13" not in answer.text
    assert answer.json()["detail"] == "Incorrect username or password" or answer.json()["detail"] == "Not authenticated"
    assert webui.encode_calls == []


def test_bad_args_with_valid_credentials_get_the_422(protected):
    webui, client = protected
    answer = client.post(TXT2IMG, json=BAD_ARGS, headers=GOOD)
    assert answer.status_code == 422
    assert "must be a number from 1 to 12 with at most one decimal, got 13" in answer.json()["detail"]
    assert webui.encode_calls == []


def test_good_args_with_valid_credentials_generate(protected):
    _, client = protected
    answer = client.post(TXT2IMG, json={"alwayson_scripts": {"clip skip": {"args": [True, 2]}}}, headers=GOOD)
    assert answer.status_code == 200 and "Clip skip: 2" in answer.json()["infotexts"][0]


def test_without_api_auth_both_answer_without_credentials(webui):
    client = TestClient(fastapi_app(webui))
    assert client.get(STATUS).status_code == 200
    assert client.post(TXT2IMG, json=BAD_ARGS).status_code == 422


def test_api_auth_without_the_api_refuses_the_status_route(webui):
    # --api-auth with no --api: no host dependency to borrow, so nobody is let in.
    webui.opts.cmd_opts.api_auth = "user:pass"
    client = TestClient(fastapi_app(webui, api=False))
    assert client.get(STATUS, headers=GOOD).status_code == 401


def test_the_422_carries_the_hosts_cors_headers(make_webui):
    webui = make_webui(config={"CLIP_stop_at_last_layers": 1})
    webui.opts.cmd_opts.cors_allow_origins = ORIGIN
    client = TestClient(fastapi_app(webui))
    answer = client.post(TXT2IMG, json=BAD_ARGS, headers={"Origin": ORIGIN})
    assert answer.status_code == 422
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    other = client.post(TXT2IMG, json=BAD_ARGS, headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers


def test_the_refusal_route_called_from_outside_is_not_found(webui):
    client = TestClient(fastapi_app(webui))
    assert client.post("/clip-skip/v1/refused", json=BAD_ARGS).status_code == 404


@pytest.mark.parametrize(("api_auth", "classes"), [(None, []), ("user:pass", ["clip-skip-status-unreadable"])])
def test_the_page_is_told_not_to_read_the_status_under_api_auth(make_webui, api_auth, classes):
    import gradio as gr

    webui = make_webui(cmd_opts={"api_auth": api_auth})
    with gr.Blocks() as demo:
        webui.extension().ui(False)
    [status] = [b for b in demo.blocks.values() if str(getattr(b, "elem_id", "")).endswith("_model_status")]
    assert list(status.elem_classes or []) == classes
