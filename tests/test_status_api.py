"""GET /clip-skip/v1/status, mounted by the entry script's app_started callback on a real FastAPI app."""

import pytest

from tests.fakewebui import CLIP_KEY, Checkpoint

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from tests.fakewebui.http import fastapi_app  # noqa: E402

ANIME = Checkpoint("animeModelV3", metadata={"modelspec.encoder_layer": "2"})
PLAIN = Checkpoint("plainModel")
STATUS = "/clip-skip/v1/status"


def client(webui):
    return TestClient(fastapi_app(webui))


@pytest.fixture
def sd1(make_webui):
    return make_webui(config={CLIP_KEY: 3}, checkpoints=[ANIME, PLAIN])


def test_the_selected_checkpoint(sd1):
    answer = client(sd1).get(STATUS)
    assert answer.status_code == 200
    assert answer.json() == {
        "host": "AUTOMATIC1111",
        "family": "SD1",
        "global": 3,
        "auto": {"value": 2, "source": "metadata", "text": "from model metadata (modelspec.encoder_layer)"},
        "checkpoint": "animeModelV3",
        "notices": {},
    }


def test_another_checkpoint_by_query(sd1):
    status = client(sd1).get(STATUS, params={"checkpoint": "plainModel.safetensors"}).json()
    assert status["checkpoint"] == "plainModel"
    assert status["auto"] == {"value": 3, "source": "global", "text": "global setting"}


def test_a_saved_default_shows_where_it_came_from(sd1):
    sd1.txt2img_runner.click(sd1.extension().elem_id("clip_skip_save"), 5)
    assert client(sd1).get(STATUS).json()["auto"] == {
        "value": 5,
        "source": "saved",
        "text": "saved for animeModelV3",
    }


@pytest.mark.parametrize(
    ("flavor", "family", "values"),
    [("a1111", "SD2", [str(v) for v in range(1, 13)]), ("forge", "SDXL", ["1", "2"]), ("forge", "SD1", [])],
)
def test_notices_are_keyed_by_value_for_the_loaded_model(make_webui, flavor, family, values):
    webui = make_webui(flavor=flavor, checkpoints=[Checkpoint("model", family)])
    notices = client(webui).get(STATUS).json()["notices"]
    assert list(notices) == values
    assert all(isinstance(text, str) and text for text in notices.values())


def test_no_checkpoint_at_all(make_webui):
    webui = make_webui(config={})
    assert client(webui).get(STATUS).json() == {
        "host": "AUTOMATIC1111",
        "family": "no model loaded",
        "global": 1,
        "auto": {"value": 1, "source": "global", "text": "global setting"},
        "checkpoint": None,
        "notices": {},
    }


def test_a_failure_inside_answers_an_empty_status_and_is_logged(sd1, monkeypatch, caplog):
    import sys

    class Rebuilding(dict):
        def get(self, *args):
            raise RuntimeError("checkpoint list is being rebuilt")

    monkeypatch.setattr(sys.modules["modules.sd_models"], "checkpoint_aliases", Rebuilding())
    answer = client(sd1).get(STATUS)
    assert answer.status_code == 200
    assert answer.json() == {
        "host": None,
        "family": None,
        "global": None,
        "auto": None,
        "checkpoint": None,
        "notices": {},
    }
    assert "The Clip skip status could not be read" in caplog.text
    assert "checkpoint list is being rebuilt" in caplog.text


def test_the_api_guard_is_installed_by_the_same_callback(sd1):
    from sd_webui_clip_skip.webui.api_guard import ArgsGuard

    app = fastapi_app(sd1)
    assert [entry.cls for entry in app.user_middleware].count(ArgsGuard) == 1
    assert [route.path for route in app.routes].count(STATUS) == 1


@pytest.mark.xfail(
    strict=True,
    reason="webui/status.py:status takes the notices from the loaded model; Forge loads a newly selected "
    "checkpoint only at the next generation (Forge dfdcbab6 main_entry.py:checkpoint_change), so the "
    "header shows the previous model's notices for the checkpoint it names",
)
def test_forge_notices_follow_the_checkpoint_the_header_asks_about(make_webui):
    webui = make_webui(flavor="forge", checkpoints=[Checkpoint("sd15"), Checkpoint("flux", "Flux")])
    webui.select_checkpoint("flux")
    status = client(webui).get(STATUS, params={"checkpoint": webui.opts.sd_model_checkpoint}).json()
    assert status["checkpoint"] == "flux"
    assert set(status["notices"]) == {str(v) for v in range(1, 13)}  # as it will be once the model is loaded


def test_the_loaded_model_is_read_without_loading_or_waiting_for_one(make_webui):
    """`shared.sd_model` would load a model, or wait for a load in progress (A1111 82a973c0
    shared_items.py:Shared.sd_model); the header's status reads sd_models.model_data instead
    (sd_models.py:SdModelData)."""
    import sys

    webui = make_webui(flavor="a1111", checkpoints=[Checkpoint("model", "SD2")])
    del sys.modules["modules.shared"].sd_model  # any access now fails, as a blocking one would
    notices = client(webui).get(STATUS).json()["notices"]
    assert sorted(notices, key=int) == [str(v) for v in range(1, 13)]


@pytest.mark.parametrize(
    ("family", "notices"), [("SD1", []), ("SDXL", ["1", "2"]), ("a new family", [str(v) for v in range(1, 13)])]
)
def test_forge_neo_warns_of_nothing_before_its_first_generation_loads_a_model(make_webui, family, notices):
    """Neo loads no checkpoint until the first generation and holds a FakeInitialModel meanwhile (3df257ae
    sd_models.py:SdModelData): nothing is loaded to warn about; afterwards the notices are the loaded model's."""
    webui = make_webui(flavor="neo", checkpoints=[Checkpoint("model", family)])
    before = client(webui).get(STATUS).json()
    assert (before["family"], before["checkpoint"], before["notices"]) == ("no model loaded", "model", {})
    processed, _ = webui.txt2img((True, 1))
    after = client(webui).get(STATUS).json()
    assert (after["family"], list(after["notices"])) == (family if family in ("SD1", "SDXL") else "unknown", notices)
    assert bool(processed.comments) is bool(notices)  # the first image's own notice names the model it loaded
