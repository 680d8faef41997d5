"""Jobs that are copied, serialized or queued: the distributed extension's worker requests, agent-scheduler's
UI-queued tasks, and args that reach the script without the API guard."""

import copy
import json
import pickle

import pytest

from sd_webui_clip_skip.rules.precedence import only_repeats_global
from tests.fakewebui import CLIP_KEY
from tests.fakewebui import processing as fake_processing

# What scripts/distributed.py (papuSpartan 8fd65ebd) leaves out of the worker payload it builds from
# `copy.copy(p.__dict__)` before `copy.deepcopy` and `json.dumps`.
DISTRIBUTED_DROPS = {"scripts", "script_args", "script_args_value", "scripts_value"}


def layer(processed):
    return {image[3] for image in processed.images}


class Snooping:
    """Records p.__dict__ as every hook leaves it, as another script's later hook would see it."""

    def __init__(self, webui):
        self.seen = []
        runner = webui.txt2img_runner
        original = runner.run_hook

        def run_hook(name, p, *args, **kwargs):
            result = original(name, p, *args, **kwargs)
            self.seen.append((name, dict(vars(p))))
            return result

        runner.run_hook = run_hook


def added_by_us(attributes, before):
    return {key: value for key, value in attributes.items() if key not in before and key not in DISTRIBUTED_DROPS}


@pytest.mark.parametrize("args", [(True, 3), (False,), (True, 2, False, True, 4)], ids=["on", "off", "hires"])
def test_every_attribute_on_the_job_survives_copy_pickle_and_json(webui, args):
    before = set(vars(fake_processing.Processing(webui)))
    snoop = Snooping(webui)
    processed, p = webui.txt2img(args, enable_hr=True)
    assert snoop.seen
    for hook, attributes in snoop.seen:
        ours = added_by_us(attributes, before)
        assert "close" not in ours, f"{hook}: the job's close was replaced on the job"
        json.dumps(copy.deepcopy(ours))  # what distributed sends its workers
        pickle.loads(pickle.dumps(ours))
    if args[0]:
        assert f"Clip skip: {args[1]}" in processed.infotexts[0]
    assert webui.global_clip_skip == 1


def test_the_global_value_is_restored_after_an_exception_on_a_fresh_install(make_webui):
    webui = make_webui(config={})
    webui.fail_while_sampling = True
    with pytest.raises(RuntimeError):
        webui.txt2img((True, 4))
    assert CLIP_KEY not in webui.opts.data and webui.global_clip_skip == 1


@pytest.mark.parametrize(
    ("override", "global_value", "is_api", "expected"),
    [(2, 2, False, True), ("2", 2, False, True), (3, 2, False, False), (2, 2, True, False), ("x", 2, False, False)],
)
def test_only_a_ui_override_that_repeats_the_global_value_is_no_choice(override, global_value, is_api, expected):
    assert only_repeats_global(override, global_value, is_api=is_api) is expected


@pytest.mark.parametrize("global_value", [1, 2])
def test_an_agent_scheduler_ui_task_keeps_the_accordions_value(make_webui, global_value):
    # agent-scheduler (a33753321 task_helpers.py:map_ui_task_args_list_to_named_args) appends
    # "Clip skip: <global>" to the Override settings texts of every task queued from the UI.
    webui = make_webui(config={CLIP_KEY: global_value})
    processed, _ = webui.txt2img((True, 3), override_settings_texts=[f"Clip skip: {global_value}"])
    assert layer(processed) == {"layer 10"}
    assert "Clip skip: 3," in processed.infotexts[0]
    assert webui.global_clip_skip == global_value


def test_a_real_override_in_the_override_settings_box_still_wins(make_webui):
    webui = make_webui(config={CLIP_KEY: 1})
    processed, _ = webui.txt2img((True, 3), override_settings_texts=["Clip skip: 4"])
    assert layer(processed) == {"layer 9"}
    assert "Clip skip: 4," in processed.infotexts[0]


def test_an_api_override_equal_to_the_global_value_still_wins(webui):
    result = webui.api_txt2img(
        {"override_settings": {CLIP_KEY: 1}, "alwayson_scripts": {"clip skip": {"args": [True, 3]}}}
    )
    assert "Clip skip: 1" in result["infotexts"][0]


def test_queued_bad_args_make_no_image_at_another_value(webui, caplog):
    # agent-scheduler's API queue runs the stored request through Api.text2imgapi on its own FastAPI
    # app (task_runner.py:TaskRunner.__init__), so the extension's middleware never sees it.
    result = webui.api_txt2img({"alwayson_scripts": {"clip skip": {"args": [True, 13]}}})
    assert result["images"] == []
    assert "Clip skip args refused, nothing was generated" in caplog.text
