"""Jobs through the fake host's real sequence: UI and API, on A1111 and Forge flavors."""

import pytest

from tests.fakewebui import CLIP_KEY, PROFILES, FakeWebUI
from tests.fakewebui.processing import Processing, process_images, run_job


def layer(processed):
    return {image[3] for image in processed.images}


def test_off_is_exactly_the_host_without_the_extension(webui):
    processed, _ = webui.txt2img((False, 5), batch_size=2)

    bare = FakeWebUI(flavor=webui.flavor, config={CLIP_KEY: 1})  # no extension loaded
    bare_processed = process_images(bare, Processing(bare, batch_size=2))

    assert processed.images == bare_processed.images
    assert processed.infotexts == bare_processed.infotexts
    assert "Clip skip" not in processed.infotexts[0]


def test_on_at_2_encodes_the_penultimate_layer_and_records_it(webui):
    processed, _ = webui.txt2img((True, 2))
    assert layer(processed) == {"layer 11"}
    assert processed.infotexts[0].count("Clip skip: 2") == 1
    assert webui.global_clip_skip == 1
    assert webui.opts.data == {CLIP_KEY: 1}


def test_on_at_1_writes_clip_skip_1_which_the_host_omits(make_webui):
    webui = make_webui(config={CLIP_KEY: 3})
    processed, _ = webui.txt2img((True, 1))
    assert layer(processed) == {"layer 12"}
    assert "Clip skip: 1," in processed.infotexts[0]
    assert webui.opts.data == {CLIP_KEY: 3}


def test_every_image_of_batches_and_hires_carries_the_value(webui):
    processed, _ = webui.txt2img((True, 4), batch_size=2, n_iter=2, enable_hr=True)
    assert len(processed.infotexts) == 4
    assert all(text.count("Clip skip: 4") == 1 for text in processed.infotexts)
    assert {image[4] for image in processed.images} == {"layer 9"}  # hires conds too


def test_img2img_tab(webui):
    p = Processing(webui)
    processed = run_job(webui, p, webui.img2img_runner, webui.ui_args((True, 3), webui.img2img_runner))
    assert "Clip skip: 3" in processed.infotexts[0]


@pytest.mark.parametrize("flavor", sorted(PROFILES))
def test_fresh_install_without_the_key_in_config_json_leaves_no_trace(make_webui, flavor):
    webui = make_webui(flavor=flavor, config={})
    processed, _ = webui.txt2img((True, 3))
    assert "Clip skip: 3" in processed.infotexts[0]
    assert webui.opts.data == {}
    assert webui.global_clip_skip == webui.profile.clip_skip_default  # Forge Neo's is 2


def test_the_host_itself_leaks_on_a_fresh_install(make_webui):
    """The gap the extension closes: without it, the override stays in the global settings."""
    webui = make_webui(config={})
    webui.txt2img((False, 1), override_settings_texts=["Clip skip: 2"])
    assert webui.opts.data == {CLIP_KEY: 2}


@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 1}])
def test_a_generation_that_raises_leaves_the_global_value(make_webui, config):
    webui = make_webui(config=config)
    webui.fail_while_sampling = True
    with pytest.raises(RuntimeError, match="sampling failed"):
        webui.txt2img((True, 2))
    assert webui.opts.data == config


@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 1}])
def test_an_interrupted_generation_leaves_the_global_value(make_webui, config):
    webui = make_webui(config=config)
    webui.interrupt_after_first_batch = True
    processed, _ = webui.txt2img((True, 2), n_iter=3)
    assert len(processed.images) == 1
    assert "Clip skip: 2" in processed.infotexts[0]
    assert webui.opts.data == config


@pytest.mark.parametrize("restore", [True, False])
@pytest.mark.parametrize("config", [{}, {CLIP_KEY: 1}])
@pytest.mark.parametrize("fails", [False, True])
def test_api_restore_afterwards_either_way_keeps_the_extension_value_out(make_webui, restore, config, fails):
    webui = make_webui(config=config)
    webui.fail_while_sampling = fails
    request = {"alwayson_scripts": {"clip skip": {"args": [True, 2]}}, "override_settings_restore_afterwards": restore}
    if fails:
        with pytest.raises(RuntimeError):
            webui.api_txt2img(request)
    else:
        assert "Clip skip: 2" in webui.api_txt2img(request)["infotexts"][0]
    assert webui.opts.data == config


def test_a_users_own_override_without_restore_is_kept_as_they_asked(webui):
    request = {
        "alwayson_scripts": {"clip skip": {"args": [True, 2]}},
        "override_settings": {CLIP_KEY: 3},
        "override_settings_restore_afterwards": False,
    }
    result = webui.api_txt2img(request)
    assert "Clip skip: 3" in result["infotexts"][0]
    assert webui.opts.data == {CLIP_KEY: 3}


def test_an_override_on_the_job_wins_and_is_reported(webui, caplog):
    processed, _ = webui.txt2img((True, 2), override_settings_texts=["Clip skip: 5"])
    assert layer(processed) == {"layer 8"}
    assert "Clip skip: 5" in processed.infotexts[0]
    assert "superseded by override settings (5)" in caplog.text
    assert webui.opts.data == {CLIP_KEY: 1}


def test_the_override_on_a_fresh_install_is_restored_while_the_extension_is_on(make_webui):
    webui = make_webui(config={})
    webui.txt2img((True, 2), override_settings_texts=["Clip skip: 5"])
    assert webui.opts.data == {}


def test_a_whole_float_reaches_the_encoder_as_an_int(make_webui):
    webui = make_webui(flavor="a1111", config={CLIP_KEY: 1})
    processed, _ = webui.txt2img((True, 3.0))
    assert layer(processed) == {"layer 10"}
    assert webui.reported == []
    assert "Clip skip: 3," in processed.infotexts[0]


@pytest.mark.parametrize("bad", [(True, 2.55), (True, 0), (True, None), ("yes", 2), (False, 13)])
def test_invalid_in_process_args_stop_the_job_with_a_clear_error(webui, caplog, bad):
    # Args that reach the hooks without the API guard (a queue, another extension): no image at a
    # value the user did not ask for, the reason in the console and under the (empty) result.
    processed, _ = webui.txt2img(bad)
    assert processed.images == []
    assert "Clip skip args refused, nothing was generated: args[" in processed.comments
    assert "Clip skip args refused, nothing was generated" in caplog.text
    assert webui.reported == [] and webui.global_clip_skip == 1


def test_the_next_job_after_refused_args_runs(webui):
    webui.txt2img((True, 13))
    processed, _ = webui.txt2img((True, 2))
    assert layer(processed) == {"layer 11"}


def test_frozen_settings_are_respected_instead_of_failing_the_generation(make_webui, caplog):
    webui = make_webui(config={CLIP_KEY: 1})
    webui.opts.cmd_opts.freeze_settings = True
    processed, _ = webui.txt2img((True, 2))
    assert layer(processed) == {"layer 12"}
    assert "--freeze-settings" in caplog.text
    assert "Clip skip" not in processed.infotexts[0]


def test_the_config_is_never_saved(webui):
    webui.txt2img((True, 2))
    webui.api_txt2img({"alwayson_scripts": {"clip skip": {"args": [True, 2]}}})
    assert webui.opts.saves == 0


def test_no_hook_raises_into_the_hosts_error_report(webui):
    webui.txt2img((True, 2), batch_size=2, enable_hr=True)
    webui.api_txt2img({"alwayson_scripts": {"Clip Skip": {"args": [True, 7]}}})
    assert webui.reported == []
