from sd_webui_clip_skip.precedence import Source, resolve

KEY = "CLIP_stop_at_last_layers"


def test_axis_wins_over_everything():
    resolution = resolve(own=2, overrides={KEY: 3}, axis=4, global_value=5)
    assert (resolution.source, resolution.value, resolution.writes_override) == (Source.AXIS, 4, True)


def test_an_override_already_on_the_job_wins_over_the_extension():
    resolution = resolve(own=2, overrides={KEY: 3}, global_value=5)
    assert (resolution.source, resolution.value, resolution.writes_override) == (Source.JOB_OVERRIDE, 3, False)


def test_the_extension_value_wins_over_the_global_setting_and_is_written():
    resolution = resolve(own=2, overrides={"other": 1}, global_value=5)
    assert (resolution.source, resolution.value, resolution.writes_override) == (Source.EXTENSION, 2, True)


def test_the_global_setting_is_the_fallback():
    resolution = resolve(own=None, overrides={}, global_value=5)
    assert (resolution.source, resolution.value, resolution.writes_override) == (Source.GLOBAL, 5, False)
