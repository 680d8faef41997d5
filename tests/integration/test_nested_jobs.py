"""The extension inside the jobs other extensions run, on a real WebUI (issue 20): ADetailer's face pass and its
calls of the job's hooks on copies, Ultimate SD upscale's job once per tile, Tiled Diffusion's region prompts and
noise inversion (or the host's own MultiDiffusion Integrated on Forge-family hosts) and Regional Prompter's
Differential script, which runs the job once per frame.

Opt-in like the rest of the suite (tests/integration/conftest.py); each group also needs its extension's
checkout, named by the variable in tests/integration/pinned_extensions.py, and skips without it. Exactly the
pinned commit is copied into the run's temporary extensions/ folder; packages come from a cache outside the
WebUI's venv. One WebUI per group, with this extension and that one, stopped before the next group's starts.

The oracle for every image is the same WebUI's own override: the same request, seed and other extension's
args, with the accordion off and `override_settings: {"CLIP_stop_at_last_layers": N}`. The extension's image
must have the same pixels, its infotext `Clip skip: N` and the other extension's keys as the oracle's, and the
global value must be what it was. A blend (1.5) must differ from both whole values in every pass.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sd_webui_clip_skip.rules.values import SETTING_KEY

from .bodies import BASE, IMG2IMG, SCRIPT_NAME, TXT2IMG
from .pinned_extensions import (
    ADETAILER,
    REGIONAL_PROMPTER,
    TILED_DIFFUSION,
    ULTIMATE_UPSCALE,
    PinnedExtension,
    dependencies,
)
from .test_queues import launch_args, pinned
from .test_real_webui import ok, recorded
from .webui_server import WebUIConfig, WebUIServer, checkpoint_cache, pixels

GLOBAL = 1
SETTINGS = {SETTING_KEY: GLOBAL}
"""Each server's config.json holds the global Clip skip, so that the host puts its own override back after
each oracle request (A1111 82a973c0 processing.py:process_images restores only keys config.json has; on a fresh
one the override would stay), and every host starts from 1 (Forge Neo's default is 2)."""
BLEND = "1.5"
WHOLES = (1, 2)
"""The whole values either side of BLEND."""
PARAMETER = re.compile(r'\s*(\w[\w \-/]*): ("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


# --- requests and what came back ----------------------------------------------------------------------------


def accordion(value: int | str, scripts: dict | None = None, **fields) -> dict:
    """The request with the accordion on at a whole value, or at an exact value such as "1.5" (args[5])."""
    ours = [True, value] if isinstance(value, int) else [True, 1, False, False, 1, value]
    return _request(ours, scripts, fields)


def host_override(value: int, scripts: dict | None = None, **fields) -> dict:
    """The oracle: the same request with the accordion off and the WebUI's own override at `value`."""
    return _request([False, 1], scripts, {**fields, "override_settings": {SETTING_KEY: value}})


def _request(ours: list, scripts: dict | None, fields: dict) -> dict:
    return {**BASE, **fields, "alwayson_scripts": {SCRIPT_NAME: {"args": ours}, **(scripts or {})}}


@dataclass(frozen=True)
class Made:
    images: list[bytes]
    """PNG files."""
    infotexts: list[str]
    global_after: object
    """The global Clip skip right after the request."""


def make(server: WebUIServer, body: dict, path: str = TXT2IMG) -> Made:
    response = ok(server.post(path, body))
    return Made(response.images, response.infotexts, server.global_clip_skip())


def parameters(infotext: str) -> dict[str, str]:
    """The `Key: value` pairs of an infotext's last line."""
    return dict(PARAMETER.findall(infotext.splitlines()[-1]))


def keys_of(infotext: str, prefix: str) -> dict[str, str]:
    return {key: value for key, value in parameters(infotext).items() if key.startswith(prefix)}


def crop(png: bytes, box: tuple[int, int, int, int] | None) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return (image.convert("RGB").crop(box) if box else image.convert("RGB")).tobytes()


def differences(ours: Made, oracle: Made, value: int, prefix: str) -> list[str]:
    """How the extension's result differs from the WebUI's own override at `value`: pixels, the recorded
    Clip skip, the other extension's infotext keys (those starting with `prefix`), the global value after.

    The oracle's own `Clip skip` is not compared: where an extension writes the infotext after the job (Ultimate
    SD upscale, 2322caa scripts/ultimate-upscale.py:USDURedraw.linear_process) the host has put its override
    back by then and records nothing."""
    assert all(keys_of(text, prefix) for text in oracle.infotexts), f"no {prefix!r} keys: {oracle.infotexts}"
    assert oracle.global_after == GLOBAL, "the host's own override stayed in the global value"
    found = []
    if len(ours.images) != len(oracle.images):
        found.append(f"{len(ours.images)} images, the WebUI's own override made {len(oracle.images)}")
    for index, (mine, theirs) in enumerate(zip(ours.images, oracle.images, strict=False), 1):
        if pixels(mine) != pixels(theirs):
            found.append(f"image {index}: other pixels than the WebUI's own override at {value}")
    for index, text in enumerate(ours.infotexts, 1):
        if recorded(text) != value:
            found.append(f"infotext {index}: Clip skip {recorded(text)}, not {value}")
    for index, (mine, theirs) in enumerate(zip(ours.infotexts, oracle.infotexts, strict=False), 1):
        if keys_of(mine, prefix) != keys_of(theirs, prefix):
            found.append(f"infotext {index}: {keys_of(mine, prefix)} instead of {keys_of(theirs, prefix)}")
    if ours.global_after != GLOBAL:
        found.append(f"the global Clip skip is {ours.global_after} after the request, not {GLOBAL}")
    return found


def whole_in(blend: Made, wholes: dict[int, Made], boxes: dict[str, tuple[int, int, int, int] | None]) -> list[str]:
    """Each part (`boxes`: name → region, None for the whole image) of each image of the blend that has exactly
    a whole value's pixels, and a global value other than before. The whole values must differ in each part, or
    the part could not tell."""
    first, second = wholes.values()
    found = []
    for index, image in enumerate(blend.images):
        for name, box in boxes.items():
            one, two = crop(first.images[index], box), crop(second.images[index], box)
            assert one != two, f"image {index + 1}, {name}: Clip skip {WHOLES} make the same pixels here"
            for value, whole in wholes.items():
                if crop(image, box) == crop(whole.images[index], box):
                    found.append(f"image {index + 1}, {name}: the blend {BLEND} has the pixels of Clip skip {value}")
    if blend.global_after != GLOBAL:
        found.append(f"the global Clip skip is {blend.global_after} after the request, not {GLOBAL}")
    return found


WHOLE_IMAGE: dict[str, tuple[int, int, int, int] | None] = {"the whole image": None}


# --- servers and data ---------------------------------------------------------------------------------------


def start_with(
    request, config: WebUIConfig, checkpoint: Path, extensions: tuple[PinnedExtension, ...], *args: str
) -> WebUIServer:
    """A WebUI with this extension and `extensions` at their pinned commits, their packages on PYTHONPATH."""
    staging = Path(tempfile.mkdtemp(prefix="clip-skip-nested-"))
    folders, python_path = [], []
    for extension in extensions:
        folder, packages = pinned(extension, config, staging)
        folders.append(folder)
        python_path += packages
    server = WebUIServer(
        config,
        checkpoint,
        extra_extensions=tuple(folders),
        python_path=tuple(python_path),
        settings=SETTINGS,
        args=(*launch_args(config), *args),
    )
    request.addfinalizer(server.stop)
    return server.start()


def script_args(server: WebUIServer, name: str, *, img2img: bool) -> list[dict] | None:
    """A script's args as the host lists them (`/sdapi/v1/script-info`), or None when it has no such script."""
    for script in ok(server.get("/sdapi/v1/script-info")).body:
        if script["name"] == name and script["is_img2img"] == img2img:
            return script["args"]
    return None


def settled(make_once: Callable[[], Made], what: str) -> None:
    """Makes a request once, then twice more, this extension off. The first such request after a start gives other
    pixels than every later one (Ultimate SD upscale on A1111 82a973c0 and Forge dfdcbab6, MultiDiffusion Integrated
    in img2img on Forge Neo 3df257ae), so it can be neither oracle nor candidate; and where the next two differ
    (both on ersatzForge fca12a2) the WebUI has no oracle to compare with."""
    make_once()
    if make_once().images != make_once().images:
        pytest.skip(f"{what} gives other pixels each time on this WebUI, this extension off: no oracle")


def host_errors(server: WebUIServer) -> list[str]:
    """The last errors in the WebUI's log: why a script did not load, or what a hook that the host swallowed raised."""
    return [line.strip() for line in server.log_tail(2000).splitlines() if "Error" in line][-3:]


def defaults(info: list[dict]) -> list:
    return [arg.get("value") for arg in info]


def position(info: list[dict], label: str, after: int = 0) -> int:
    return next(index for index, arg in enumerate(info) if index >= after and arg.get("label") == label)


ASTRONAUT_WHEEL = "scikit-image==0.21.0"
ASTRONAUT_MEMBER = "skimage/data/astronaut.png"


def astronaut_file() -> Path:
    """scikit-image's `data.astronaut()` photograph, taken once from the scikit-image wheel (PyPI) into the cache."""
    path = checkpoint_cache() / "data" / "astronaut.png"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
            subprocess.run([*pip, "--dest", folder, ASTRONAUT_WHEEL], check=True)
            (wheel,) = Path(folder).glob("*.whl")
            with zipfile.ZipFile(wheel) as archive:
                path.write_bytes(archive.read(ASTRONAUT_MEMBER))
    return path


def astronaut(size: int) -> bytes:
    """The photograph as a size×size PNG."""
    from PIL import Image

    with Image.open(astronaut_file()) as image:
        buffer = io.BytesIO()
        image.convert("RGB").resize((size, size), Image.LANCZOS).save(buffer, format="PNG")
        return buffer.getvalue()


def encoded(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


# --- ADetailer ----------------------------------------------------------------------------------------------

ADETAILER_SCRIPT = "ADetailer"
FACE_MODEL = "mediapipe_face_full"
FACE_SIZE = 128
"""The photograph's size: mediapipe finds its face at 128×128, where ADetailer's skipped img2img pass is made
anyway (36189cb scripts/!adetailer.py:set_skip_img2img sets 128×128, 1 step)."""
MEDIAPIPE_PROBE = """
import sys
import numpy as np
from PIL import Image
import mediapipe as mp
image = np.array(Image.open(sys.argv[1]).convert("RGB").resize((int(sys.argv[2]),) * 2))
with mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.3) as detector:
    print(len(detector.process(image).detections or []))
"""
"""What ADetailer's mediapipe_face_full does (36189cb adetailer/mediapipe.py:mediapipe_face_detection), which
returns "nothing detected" for any exception, so a mediapipe that cannot load would pass unnoticed."""


def adetailer(*, skip_img2img: bool = False, **face) -> dict:
    """ADetailer's API args: enabled, skip img2img, one dict per model tab (36189cb README, API section)."""
    return {ADETAILER_SCRIPT: {"args": [True, skip_img2img, {"ad_model": FACE_MODEL, **face}]}}


def face_request(build, value, **face) -> tuple[dict, str]:
    """img2img on the photograph with ADetailer's *skip img2img*: the image that comes back is the face pass's
    (a nested job at the request's size and steps) pasted into the photograph."""
    body = build(
        value,
        adetailer(skip_img2img=True, **face),
        init_images=[encoded(astronaut(FACE_SIZE))],
        denoising_strength=0.5,
    )
    return body, IMG2IMG


@pytest.fixture(scope="class")
def adetailer_webui(request, webui_config, checkpoint, untouched_checkout) -> WebUIServer:
    # --ad-no-huggingface: no model downloads at start (36189cb preload.py, scripts/!adetailer.py:get_models).
    server = start_with(request, webui_config, checkpoint, (ADETAILER,), "--ad-no-huggingface")
    if script_args(server, ADETAILER_SCRIPT.lower(), img2img=False) is None:
        # ersatzForge fca12a2 has no modules/safe.py, which ADetailer imports (aaaaaa/helper.py).
        pytest.skip(f"ADetailer does not load on this WebUI: {host_errors(server)}")
    return server


@pytest.fixture(scope="class")
def face_found(webui_config, adetailer_webui) -> None:
    """Skips the face tests unless mediapipe, as the server imports it, finds the photograph's face."""
    packages = dependencies(ADETAILER, webui_config)
    environment = {"PYTHONPATH": str(packages)} if packages else {}
    probe = subprocess.run(
        [str(webui_config.python), "-c", MEDIAPIPE_PROBE, str(astronaut_file()), str(FACE_SIZE)],
        capture_output=True,
        text=True,
        env={**os.environ, **environment},
        check=False,
    )
    lines = probe.stdout.split()
    if probe.returncode != 0 or not lines or lines[-1] == "0":
        reason = probe.stderr.strip().splitlines()[-1:] or ["no face found"]
        pytest.skip(f"mediapipe finds no face in this WebUI's Python, so ADetailer would skip its pass: {reason[0]}")


@pytest.fixture(scope="class")
def face_oracles(adetailer_webui, face_found) -> dict[int, Made]:
    """The WebUI's own override at 1, 2 and 3 on the photograph; each different from the photograph."""
    made = {}
    for value in (*WHOLES, 3):
        body, path = face_request(host_override, value)
        made[value] = make(adetailer_webui, body, path)
        assert crop(made[value].images[0], None) != crop(astronaut(FACE_SIZE), None), "ADetailer made no face pass"
    return made


class TestADetailer:
    """ADetailer Bing-su/adetailer @ 36189cb (v25.3.0), mediapipe face model. Its postprocess_image calls the
    outer job's `postprocess(copy(p))` at batch index 0 before its passes and `before_process`/`process` on a
    copy at the last batch index after them (scripts/!adetailer.py:postprocess_image, aaaaaa/p_method.py); each
    face pass is a nested `process_images` whose always-on scripts are filtered to its `ad_script_names`
    setting, which leaves this extension out (get_i2i_p, script_filter)."""

    @pytest.mark.parametrize("batch", [{"n_iter": 2}, {"batch_size": 2}], ids=["batch count 2", "batch size 2"])
    def test_every_image_of_a_batch_is_made_at_the_accordions_value(self, adetailer_webui, batch):
        """txt2img: on random-weight noise mediapipe finds nothing, and ADetailer still calls the hooks."""
        ours = make(adetailer_webui, accordion(3, adetailer(), **batch))
        oracle = make(adetailer_webui, host_override(3, adetailer(), **batch))
        assert len(oracle.images) == 2
        found = differences(ours, oracle, 3, "ADetailer")
        assert not found, "\n".join(found)

    def test_the_face_pass_is_made_at_the_accordions_value(self, adetailer_webui, face_oracles):
        body, path = face_request(accordion, 3)
        found = differences(make(adetailer_webui, body, path), face_oracles[3], 3, "ADetailer")
        assert not found, "\n".join(found)
        assert crop(face_oracles[3].images[0], None) != crop(face_oracles[1].images[0], None)

    def test_adetailers_own_clip_skip_still_wins_in_its_pass(self, adetailer_webui, face_oracles):
        """ADetailer's *separate CLIP skip* is an override on its inner job (36189cb get_override_settings)."""
        own = {"ad_use_clip_skip": True, "ad_clip_skip": 2}
        body, path = face_request(host_override, 3, **own)
        oracle = make(adetailer_webui, body, path)
        # The inner job's own value made that face: not the outer value's face.
        assert crop(oracle.images[0], None) != crop(face_oracles[3].images[0], None)
        body, path = face_request(accordion, 3, **own)
        found = differences(make(adetailer_webui, body, path), oracle, 3, "ADetailer")
        assert not found, "\n".join(found)

    def test_a_blend_stays_a_blend_in_the_face_pass(self, adetailer_webui, face_oracles):
        body, path = face_request(accordion, BLEND)
        blend = make(adetailer_webui, body, path)
        found = whole_in(blend, {value: face_oracles[value] for value in WHOLES}, WHOLE_IMAGE)
        if f"Clip skip blend: {BLEND}" not in blend.infotexts[0] or not keys_of(blend.infotexts[0], "ADetailer"):
            found.append(f"infotext: {blend.infotexts[0]!r}")
        assert not found, "\n".join(found)


# --- Ultimate SD upscale ------------------------------------------------------------------------------------

USDU_SCRIPT = "ultimate sd upscale"
USDU_SOURCE = 64
TILE = 64
TILES = {f"tile {column + 1}": (column * TILE, 0, (column + 1) * TILE, TILE) for column in range(2)}
"""The two 64×64 tiles of the 128×64 upscale, each redrawn by its own job and nothing else (no padding, no
blur)."""


def usdu_args(info: list[dict]) -> list:
    """Ultimate SD upscale's args in the order of 2322caa scripts/ultimate-upscale.py:Script.ui (its labels repeat,
    so by position): the image resized to 128×64 with the "None" upscaler, then redrawn in linear order in two
    tiles, no seams fix, nothing saved."""
    assert [info[index].get("label") for index in (1, 2, 14)] == ["Tile width", "Tile height", "Target size type"]
    args = defaults(info)
    args[1:5] = [TILE, TILE, 0, 0]  # tile width, tile height, mask blur, padding
    args[8] = info[8]["choices"].index("None")  # upscaler (an index)
    args[9] = False  # save the upscaled image
    args[10] = 0  # redraw: Linear
    args[11] = False  # save the seams fix image
    args[13] = 0  # seams fix: None
    args[14] = 1  # target size: custom size
    args[15:17] = [2 * TILE, TILE]  # custom width, custom height
    return args


@pytest.fixture(scope="class")
def usdu_webui(request, webui_config, checkpoint, untouched_checkout) -> WebUIServer:
    server = start_with(request, webui_config, checkpoint, (ULTIMATE_UPSCALE,))
    settled(lambda: upscale(server, host_override, GLOBAL), "Ultimate SD upscale")
    return server


def upscale(server: WebUIServer, build, value) -> Made:
    info = script_args(server, USDU_SCRIPT, img2img=True)
    assert info, "Ultimate SD upscale is not loaded"
    body = build(
        value,
        init_images=[encoded(astronaut(USDU_SOURCE))],
        denoising_strength=0.5,
        script_name=USDU_SCRIPT,
        script_args=usdu_args(info),
    )
    return make(server, body, IMG2IMG)


class TestUltimateSDUpscale:
    """Ultimate SD upscale Coyote-A/ultimate-upscale-for-automatic1111 @ 2322caa: its img2img script calls
    `process_images(p)` once per tile on the same job (scripts/ultimate-upscale.py:USDURedraw.linear_process)
    and returns the last tile's infotext."""

    def test_every_tile_is_made_at_the_accordions_value(self, usdu_webui):
        oracle = upscale(usdu_webui, host_override, 3)
        ours = upscale(usdu_webui, accordion, 3)
        found = differences(ours, oracle, 3, "Ultimate SD upscale")
        assert not found, "\n".join(found)

    def test_a_blend_stays_a_blend_in_every_tile(self, usdu_webui):
        wholes = {value: upscale(usdu_webui, host_override, value) for value in WHOLES}
        blend = upscale(usdu_webui, accordion, BLEND)
        found = whole_in(blend, wholes, TILES)
        assert not found, "\n".join(found)
        assert f"Clip skip blend: {BLEND}" in blend.infotexts[0]


# --- Tiled Diffusion (A1111) or MultiDiffusion Integrated (Forge family) ------------------------------------

TILED_DIFFUSION_SCRIPT = "tiled diffusion"
MULTIDIFFUSION_INTEGRATED = "multidiffusion integrated"
TILED_SCRIPTS = (TILED_DIFFUSION_SCRIPT, MULTIDIFFUSION_INTEGRATED)
TILED_CANVAS = {"width": 192, "height": 128}
"""Two tiles of 128×128 with 64 of overlap: the smallest canvas either script splits."""
REGIONS = (
    {"x": 0.0, "y": 0.0, "w": 0.5, "h": 1.0, "prompt": "a red apple", "mode": "Background", "seed": 5},
    {"x": 0.5, "y": 0.0, "w": 0.5, "h": 1.0, "prompt": "a blue sky", "mode": "Foreground", "seed": 6},
)
NOISE_INVERSION_STEPS = 2
CACHED_INVERSION = "Noise Inversion will use the cached noise from the previous run"


@pytest.fixture(scope="class")
def tiled_webui(request, webui_config, checkpoint, untouched_checkout) -> WebUIServer:
    """With Tiled Diffusion, or the WebUI's own MultiDiffusion Integrated where it has one (Forge-family hosts, which
    do not load Tiled Diffusion: Forge dfdcbab6 modules_forge/config.py:always_disabled_extensions; Forge Neo
    3df257ae shows its own in img2img only, extensions-builtin/sd_forge_multidiffusion/scripts/
    forge_multidiffusion.py:show)."""
    builtin = any((webui_config.directory / "extensions-builtin").glob("*multidiffusion*"))
    extensions = () if builtin else (TILED_DIFFUSION,)
    return start_with(request, webui_config, checkpoint, extensions)


def tiled_script(server: WebUIServer, *, img2img: bool) -> tuple[str, list[dict]]:
    for name in TILED_SCRIPTS:
        if info := script_args(server, name, img2img=img2img):
            return name, info
    pytest.skip("this WebUI has neither Tiled Diffusion nor MultiDiffusion Integrated")


def tiling_args(name: str, info: list[dict]) -> list:
    """Two tiles on TILED_CANVAS: Tiled Diffusion counts in latent pixels (22798f6 scripts/tilediffusion.py:
    Script.ui), MultiDiffusion Integrated in image pixels (Forge dfdcbab6 extensions-builtin/
    sd_forge_multidiffusion/scripts/forge_multidiffusion.py)."""
    args = defaults(info)
    args[0] = True
    if name == TILED_DIFFUSION_SCRIPT:
        sizes = {"Latent tile width": 16, "Latent tile height": 16, "Latent tile overlap": 8}
    else:
        sizes = {"Tile Width": 128, "Tile Height": 128, "Tile Overlap": 64}
    for label, value in sizes.items():
        args[position(info, label)] = value
    return args


def region_args(info: list[dict]) -> list:
    """Tiled Diffusion's Region Prompt Control with REGIONS: each region's ten controls start at its
    "Enable Region N" box (22798f6 scripts/tilediffusion.py:Script.ui, tile_utils/utils.py:BBoxSettings)."""
    args = defaults(info)
    args[0] = True
    args[position(info, "Enable Control")] = True
    for number, region in enumerate(REGIONS, 1):
        start = position(info, f"Enable Region {number}")
        values = [True, region["x"], region["y"], region["w"], region["h"], region["prompt"], ""]
        args[start : start + len(values)] = values
        args[start + 7] = region["mode"]
        args[start + 9] = region["seed"]
    return args


def noise_inversion_args(info: list[dict]) -> list:
    args = defaults(info)
    args[0] = True
    args[position(info, "Enable Noise Inversion")] = True
    args[position(info, "Inversion steps")] = NOISE_INVERSION_STEPS
    return args


def tiled(
    server: WebUIServer, build, value, args: list, path: str = TXT2IMG, name: str = TILED_DIFFUSION_SCRIPT, **fields
) -> Made:
    scripts = {name: {"args": args}}
    if path == IMG2IMG:
        fields = {"init_images": [encoded(astronaut(64))], "denoising_strength": 0.5, **fields}
    return make(server, build(value, scripts, **fields), path)


def inverted(server: WebUIServer, build, value, args: list, prompt: str = BASE["prompt"]) -> Made:
    """img2img with noise inversion, after a request with another prompt: Tiled Diffusion keeps the last
    inversion and reuses it for the same prompts, image and steps whatever the Clip skip
    (22798f6 tile_methods/abstractdiffusion.py:AbstractDiffusion.sample_img2img), so each result here is
    inverted afresh."""
    tiled(server, host_override, GLOBAL, args, IMG2IMG, prompt="another prompt, to replace the cached inversion")
    return tiled(server, build, value, args, IMG2IMG, prompt=prompt)


class TestTiledDiffusion:
    """Tiled Diffusion pkuliyi2015/multidiffusion-upscaler-for-automatic1111 @ 22798f6 on A1111: region prompts
    are encoded through prompt_parser (tile_utils/utils.py:Condition.get_cond), noise inversion through
    `sd_model.get_learned_conditioning` directly (tile_methods/abstractdiffusion.py:
    find_noise_for_image_sigma_adjustment). Forge-family hosts run MultiDiffusion Integrated, tiling only."""

    def test_tiles_are_made_at_the_accordions_value(self, tiled_webui):
        in_txt2img = any(script_args(tiled_webui, name, img2img=False) for name in TILED_SCRIPTS)
        path = TXT2IMG if in_txt2img else IMG2IMG
        name, info = tiled_script(tiled_webui, img2img=not in_txt2img)
        args = tiling_args(name, info)
        if path == IMG2IMG:
            settled(lambda: tiled(tiled_webui, host_override, GLOBAL, args, path, name, **TILED_CANVAS), name)
        oracle = tiled(tiled_webui, host_override, 3, args, path, name, **TILED_CANVAS)
        ours = tiled(tiled_webui, accordion, 3, args, path, name, **TILED_CANVAS)
        prefix = "Tiled Diffusion" if name == TILED_DIFFUSION_SCRIPT else "multidiffusion"
        found = differences(ours, oracle, 3, prefix)
        assert not found, "\n".join(found)

    def test_region_prompts_are_encoded_at_the_accordions_value(self, tiled_webui):
        args = region_args(_tiled_diffusion(tiled_webui, img2img=False))
        oracle = tiled(tiled_webui, host_override, 3, args)
        found = differences(tiled(tiled_webui, accordion, 3, args), oracle, 3, "Tiled Diffusion")
        assert not found, "\n".join(found)

    def test_region_prompts_keep_a_blend(self, tiled_webui):
        args = region_args(_tiled_diffusion(tiled_webui, img2img=False))
        wholes = {value: tiled(tiled_webui, host_override, value, args) for value in WHOLES}
        found = whole_in(tiled(tiled_webui, accordion, BLEND, args), wholes, WHOLE_IMAGE)
        assert not found, "\n".join(found)

    def test_noise_inversion_is_made_at_the_accordions_value(self, tiled_webui):
        args = noise_inversion_args(_tiled_diffusion(tiled_webui, img2img=True))
        oracle = inverted(tiled_webui, host_override, 3, args)
        found = differences(inverted(tiled_webui, accordion, 3, args), oracle, 3, "Tiled Diffusion")
        assert not found, "\n".join(found)

    def test_the_inversion_of_a_blend_is_no_whole_value(self, tiled_webui):
        """The inversion alone, through Tiled Diffusion's cache: the blend's image from its own inversion must
        differ from the blend sampled from a whole value's cached inversion."""
        args = noise_inversion_args(_tiled_diffusion(tiled_webui, img2img=True))
        fresh = inverted(tiled_webui, accordion, BLEND, args)
        found = []
        for value in WHOLES:
            inverted(tiled_webui, host_override, value, args)  # now the cached inversion is this whole value's
            log_start = tiled_webui.log_path.stat().st_size
            from_whole = tiled(tiled_webui, accordion, BLEND, args, IMG2IMG)
            with open(tiled_webui.log_path, "rb") as log:
                log.seek(log_start)
                assert CACHED_INVERSION in log.read().decode(errors="replace"), tiled_webui.log_tail(40)
            if crop(from_whole.images[0], None) == crop(fresh.images[0], None):
                found.append(f"the blend {BLEND} was inverted at Clip skip {value}")
        assert not found, "\n".join(found)


def _tiled_diffusion(server: WebUIServer, *, img2img: bool) -> list[dict]:
    name, info = tiled_script(server, img2img=img2img)
    if name != TILED_DIFFUSION_SCRIPT:
        pytest.skip(f"{name} (this WebUI's own) has no region prompts and no noise inversion")
    return info


# --- Regional Prompter's Differential script ----------------------------------------------------------------

DIFFERENTIAL_SCRIPT = "differential regional prompter"
DIFFERENTIAL_PROMPT = "a girl in a garden, face close up, eyes"
DIFFERENTIAL_SCHEDULE = "0\nclosed eyes;eyes;1.3"
"""Two frames: the prompt, then `closed eyes` in the region of `eyes` from the script's Step, 1 (differential_en.md).
A fourth field with a single step fails in be62345 scripts/rps.py:Script.run (`istep = astep`, UnboundLocalError)."""


@pytest.fixture(scope="class")
def differential_webui(request, webui_config, checkpoint, untouched_checkout) -> WebUIServer:
    return start_with(request, webui_config, checkpoint, (REGIONAL_PROMPTER,))


def differential(server: WebUIServer, build, value) -> Made:
    info = script_args(server, DIFFERENTIAL_SCRIPT, img2img=False)
    assert info, "Regional Prompter's Differential script is not loaded"
    args = defaults(info)
    args[position(info, "Options")] = []
    args[position(info, "Additional Output")] = []  # no mp4, no gif
    args[position(info, "Schedule")] = DIFFERENTIAL_SCHEDULE
    args[position(info, "Step")] = 1
    body = build(value, prompt=DIFFERENTIAL_PROMPT, script_name=DIFFERENTIAL_SCRIPT, script_args=args)
    if build is host_override:
        # This extension is off in the oracle's request: a failure there is Regional Prompter's on this host, and
        # there is nothing to compare with.
        response = server.post(TXT2IMG, body)
        if response.status != 200:
            pytest.skip(f"Regional Prompter fails on this WebUI without this extension: {str(response.body)[:200]}")
        if not all(keys_of(text, "RP ") for text in response.infotexts):
            # Its always-on script records its keys before it splits the attention (be62345 scripts/rp.py:
            # Script.process); without them its regions did not run, and the host swallowed why.
            pytest.skip(f"Regional Prompter's regions do not run here without this extension: {host_errors(server)}")
        return Made(response.images, response.infotexts, server.global_clip_skip())
    return make(server, body)


class TestRegionalPrompterDifferential:
    """Regional Prompter hako-mikan/sd-webui-regional-prompter @ be62345, "Differential Regional Prompter":
    its script calls `process_images(p)` once per frame on the same job, with another prompt each time
    (scripts/rps.py:Script.run), and Regional Prompter's always-on script splits each prompt's attention
    (scripts/rp.py:Script.process, forced on by `p.rps_diff`). Chosen over AnimateDiff and ControlNet's batch,
    which need model files that no package ships (a motion module; a ControlNet model and its annotators)."""

    def test_every_frame_is_made_at_the_accordions_value(self, differential_webui):
        oracle = differential(differential_webui, host_override, 3)
        assert len(oracle.images) == 2
        found = differences(differential(differential_webui, accordion, 3), oracle, 3, "RP ")
        assert not found, "\n".join(found)

    def test_a_blend_stays_a_blend_in_every_frame(self, differential_webui):
        wholes = {value: differential(differential_webui, host_override, value) for value in WHOLES}
        blend = differential(differential_webui, accordion, BLEND)
        found = whole_in(blend, wholes, WHOLE_IMAGE)
        assert not found, "\n".join(found)
