from copy import copy
from types import SimpleNamespace

import pytest

from sd_webui_clip_skip.webui.guard import JobState, SettingSnapshot, job_state, release_job

KEY = "CLIP_stop_at_last_layers"


@pytest.mark.parametrize("options", [{KEY: 3, "x": 1}, {"x": 1}])
def test_a_snapshot_puts_back_presence_and_value(options):
    before = dict(options)
    snapshot = SettingSnapshot.take(options)
    options[KEY] = 7
    snapshot.put_back(options)
    assert options == before


def test_arming_twice_keeps_the_first_snapshot():
    options = {KEY: 2}
    job = JobState()
    job.arm(options)
    options[KEY] = 5  # e.g. an X/Y/Z cell that the host did not restore
    job.arm(options)
    job.release()
    assert options == {KEY: 2}
    options[KEY] = 3
    job.release()  # nothing held any more
    assert options == {KEY: 3}


def test_release_takes_our_override_back_out_but_not_someone_elses():
    overrides = {}
    job = JobState()
    job.write_override(overrides, 2)
    job.release()
    assert overrides == {}

    job.write_override(overrides, 2)
    overrides[KEY] = 4  # an X/Y/Z axis replaced it
    job.release()
    assert overrides == {KEY: 4}


def test_release_twice_is_harmless():
    options = {}
    job = JobState()
    job.arm(options)
    options[KEY] = 2
    job.release()
    options[KEY] = 9  # changed by the user after the job
    job.release()
    assert options == {KEY: 9}


class Job:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


def test_release_job_restores_and_only_a_plain_token_stays_on_the_job():
    p = Job()
    options = {KEY: 1}
    state = job_state(p)
    assert job_state(p) is state
    state.arm(options)
    options[KEY] = 2
    assert list(vars(p)) == ["closed", "clip_skip_job"] and isinstance(p.clip_skip_job, str)
    release_job(p)
    release_job(p)
    assert options == {KEY: 1}
    assert job_state(p) is not state  # a later X/Y/Z cell starts afresh under the same token


def test_the_override_entry_the_job_had_is_put_back():
    overrides = {KEY: 2}  # e.g. agent-scheduler's "Clip skip: <global>"
    job = JobState()
    job.write_override(overrides, 3)
    assert overrides == {KEY: 3}
    job.release()
    assert overrides == {KEY: 2}


def test_shallow_copies_share_the_state():
    p = Job()
    state = job_state(p)
    cell = copy(p)
    assert job_state(cell) is state


def test_release_job_without_state_does_nothing():
    p = SimpleNamespace()
    release_job(p)
    assert vars(p) == {}
