"""A job's runs (webui/jobs.py): which hook calls begin and end a run, and which only repeat it."""

import json
import pickle
from copy import copy

from sd_webui_clip_skip.webui.jobs import begin_run, close_job, end_run, innermost_run, join_job, own_run, run_of

KEY = "CLIP_stop_at_last_layers"


class Job:
    """A stand-in for StableDiffusionProcessing: a plain object that copies shallowly."""

    def __init__(self):
        self.override_settings = {}


def test_only_plain_text_marks_go_on_the_job_and_they_survive_copy_pickle_and_json():
    p = Job()
    join_job(p)
    run = begin_run(p)
    assert run is not None
    ours = {key: value for key, value in vars(p).items() if key != "override_settings"}
    assert sorted(ours) == ["clip_skip_job", "clip_skip_run"] and all(isinstance(v, str) for v in ours.values())
    json.dumps(ours)
    assert pickle.loads(pickle.dumps(p)).clip_skip_run == run.mark
    end_run(p)


def test_hooks_called_again_on_a_copy_during_the_run_change_nothing():
    # ADetailer 36189cb scripts/!adetailer.py:postprocess_image: postprocess(copy(p)), then before_process(copy(p))
    p = Job()
    join_job(p)
    run = begin_run(p)
    early = copy(p)
    assert own_run(early) is None and run_of(early) is run
    assert end_run(early) is False and own_run(p) is run
    assert begin_run(copy(p)) is None and own_run(p) is run
    assert close_job(copy(p)) is None and own_run(p) is run
    assert end_run(p) is True
    assert own_run(p) is None and run_of(early) is None


def test_the_same_job_run_again_after_its_end_is_a_new_run():
    # Ultimate SD upscale 2322caa scripts/ultimate-upscale.py:USDURedraw.linear_process: process_images(p) per tile
    p = Job()
    join_job(p)
    first = begin_run(p)
    end_run(p)
    second = begin_run(p)
    assert second is not None and second is not first and own_run(p) is second
    end_run(p)


def test_each_xyz_cell_is_a_run_and_a_cell_that_never_ended_is_ended_by_the_next():
    p = Job()
    join_job(p)
    options = {KEY: 1}
    cell = copy(p)
    first = begin_run(cell)
    first.arm(options)
    options[KEY] = 4  # the cell raised before its postprocess; the host did not restore
    second = begin_run(copy(p))
    assert second is not None and options == {KEY: 1}
    assert run_of(cell) is None
    assert close_job(p) is second and options == {KEY: 1}


def test_closing_the_job_ends_its_run_and_twice_is_harmless():
    p = Job()
    join_job(p)
    run = begin_run(p)
    assert close_job(p) is run
    assert close_job(p) is None and own_run(p) is None


def test_a_job_created_inside_a_run_sees_it_as_the_innermost_and_then_its_own():
    outer = Job()
    join_job(outer)
    outer_run = begin_run(outer)
    nested = Job()  # ADetailer's inpainting job: a new object
    assert innermost_run() is outer_run and run_of(nested) is None
    join_job(nested)
    nested_run = begin_run(nested)
    assert innermost_run() is nested_run
    end_run(nested)
    assert innermost_run() is outer_run
    end_run(outer)
    assert innermost_run() is None


def test_a_job_without_marks_has_no_run():
    p = Job()
    assert run_of(p) is None and own_run(p) is None and end_run(p) is False and close_job(p) is None
    assert vars(p) == {"override_settings": {}}
