import pytest

from sd_webui_clip_skip.webui.guard import SettingSnapshot
from sd_webui_clip_skip.webui.jobs import Run

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
    job = Run("run", None)
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
    job = Run("run", None)
    job.write_override(overrides, 2)
    job.release()
    assert overrides == {}

    job.write_override(overrides, 2)
    overrides[KEY] = 4  # an X/Y/Z axis replaced it
    job.release()
    assert overrides == {KEY: 4}


def test_release_twice_is_harmless():
    options = {}
    job = Run("run", None)
    job.arm(options)
    options[KEY] = 2
    job.release()
    options[KEY] = 9  # changed by the user after the job
    job.release()
    assert options == {KEY: 9}
