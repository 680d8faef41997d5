"""A settings save while a job holds its Clip skip writes the value from before the job, on every host."""

import json

import pytest

from tests.fakewebui import CLIP_KEY, PROFILES


def saved_clip_skip(webui):
    config = webui.saved_config()
    return config.get(CLIP_KEY, "absent")


def save_other_setting_meanwhile(webui):
    saves = []

    def save():
        webui.save_settings(sdxl_clip_l_skip=not webui.opts.sdxl_clip_l_skip)
        saves.append((webui.global_clip_skip, saved_clip_skip(webui), webui.saved_config()["sdxl_clip_l_skip"]))

    webui.meanwhile.append(save)
    return saves


@pytest.mark.parametrize("flavor", sorted(PROFILES))
@pytest.mark.parametrize("config", [{CLIP_KEY: 1}, {CLIP_KEY: 4}, {}], ids=["1", "4", "absent"])
def test_a_save_during_the_job_writes_the_value_from_before_and_the_other_setting(make_webui, flavor, config):
    webui = make_webui(flavor=flavor, config=config)
    before = config.get(CLIP_KEY, "absent")
    saves = save_other_setting_meanwhile(webui)
    processed, _ = webui.txt2img((True, 3))
    assert "Clip skip: 3" in processed.infotexts[0]
    # The job really held 3 while the saves happened, each save kept the other setting.
    assert {(live, saved) for live, saved, _ in saves} == {(3, before)}
    assert [other for *_, other in saves] == [index % 2 == 0 for index in range(len(saves))]
    assert saved_clip_skip(webui) == before
    webui.meanwhile.clear()
    restarted = webui.restarted()
    assert restarted.global_clip_skip == config.get(CLIP_KEY, webui.profile.clip_skip_default)


def test_a_save_through_the_api_during_an_api_job(make_webui):
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from tests.fakewebui.http import fastapi_app

    webui = make_webui(config={CLIP_KEY: 1})
    client = TestClient(fastapi_app(webui))
    webui.meanwhile.append(lambda: client.post("/sdapi/v1/options", json={"sdxl_clip_l_skip": True}))
    answer = client.post("/sdapi/v1/txt2img", json={"alwayson_scripts": {"clip skip": {"args": [True, 3]}}})
    assert "Clip skip: 3" in answer.json()["infotexts"][0]
    assert webui.saved_config() == {**webui.saved_config(), CLIP_KEY: 1, "sdxl_clip_l_skip": True}


def test_saves_in_every_xyz_cell_and_during_the_hires_re_encode(make_webui):
    webui = make_webui(config={CLIP_KEY: 1})
    saves = save_other_setting_meanwhile(webui)
    webui.xyz_plot((True, 2, False, True, 5), x=("Clip skip", "3,4"), enable_hr=True)
    lives = {live for live, _, _ in saves}
    assert {3, 4, 5} <= lives  # the cells' values, and the hires pass's while it was encoded
    assert {saved for _, saved, _ in saves} == {1}
    assert saved_clip_skip(webui) == 1 and webui.global_clip_skip == 1


def test_clip_skip_itself_set_during_the_job_is_put_back_in_memory_and_on_disk_alike(make_webui):
    # As the host's own restore does for any overridden setting: live and config.json never disagree.
    webui = make_webui(config={CLIP_KEY: 1})
    webui.meanwhile.append(lambda: webui.meanwhile.clear() or webui.save_settings(**{CLIP_KEY: 2}))
    webui.txt2img((True, 3))
    assert saved_clip_skip(webui) == 1
    assert webui.global_clip_skip == 1


def test_a_job_override_asked_to_stay_is_the_hosts_to_save(make_webui):
    webui = make_webui(config={CLIP_KEY: 1})
    webui.meanwhile.append(lambda: webui.save_settings(sdxl_clip_l_skip=True))
    webui.api_txt2img(
        {
            "override_settings": {CLIP_KEY: 4},
            "override_settings_restore_afterwards": False,
            "alwayson_scripts": {"clip skip": {"args": [True, 3]}},
        }
    )
    assert saved_clip_skip(webui) == 4  # the request asked for it to stay: the host keeps and saves it
    assert webui.global_clip_skip == 4


def test_without_a_job_a_save_writes_the_live_settings(webui):
    webui.save_settings(**{CLIP_KEY: 5})
    with open(webui.config_filename, encoding="utf8") as file:
        assert json.load(file)[CLIP_KEY] == 5


def test_the_save_is_guarded_once_however_often_the_script_loads(webui):
    save = webui.opts.save
    webui.load_extension()  # Reload UI runs the scripts again
    assert webui.opts.save is save
