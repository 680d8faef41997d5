import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from sd_webui_clip_skip.inspector.cli import NEEDS_PILLOW, inspect, main
from tests.samples.make_samples import make_samples, save_like_webui, write_safetensors

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path("tests", "samples")
# What `inspect` prints for every sample, one line per finding (samples/make_samples.py says what each is).
SAMPLE_LINES = (ROOT / SAMPLES / "expected-inspect.txt").read_text(encoding="utf-8").splitlines()


def run_cli(*args, cwd=ROOT, without_site_packages=False):
    # -S: no site-packages, so no Pillow: the Python of a machine without a WebUI.
    flags = ["-S"] if without_site_packages else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "sd_webui_clip_skip", *args], cwd=cwd, capture_output=True, text=True
    )


def test_the_committed_samples_read_as_recorded():
    result = run_cli("inspect", str(SAMPLES / "images"), str(SAMPLES / "models"))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [f"{SAMPLES}/{line}" for line in SAMPLE_LINES]


def test_the_generator_makes_what_is_committed(tmp_path):
    make_samples(tmp_path)
    lines = list(inspect([tmp_path / "images", tmp_path / "models"]))
    assert lines == [f"{tmp_path}/{line}" for line in SAMPLE_LINES]
    for name in ("lora-clip-skip-2.safetensors", "lora-no-clip-skip.safetensors"):
        assert (tmp_path / "models" / name).read_bytes() == (ROOT / SAMPLES / "models" / name).read_bytes()


def test_the_samples_stay_small():
    assert all(path.stat().st_size < 4096 for path in (ROOT / SAMPLES).rglob("*.*") if path.suffix != ".py")


def test_without_pillow_models_are_read_and_each_image_says_what_is_missing():
    result = run_cli("inspect", str(SAMPLES / "images"), str(SAMPLES / "models"), without_site_packages=True)
    assert (result.returncode, result.stderr) == (0, "")
    images = list(dict.fromkeys(line.split(":")[0] for line in SAMPLE_LINES if line.startswith("images/")))
    assert result.stdout.splitlines() == [
        *(f"{SAMPLES}/{name}: skipped: {NEEDS_PILLOW}" for name in images),
        *(f"{SAMPLES}/{line}" for line in SAMPLE_LINES if line.startswith("models/")),
    ]


def test_the_rules_models_and_inspector_import_with_the_standard_library_only():
    modules = "rules.args rules.paste rules.precedence rules.xyz models.model_aware inspector.cli host".split()
    code = "; ".join(f"import sd_webui_clip_skip.{m}" for m in modules)
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.fixture
def folder(tmp_path):
    """b/ and a/ with images, models and other files, named so that a sort is visible."""
    image = Image.new("RGB", (8, 8))
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "a").mkdir()
    save_like_webui(image, "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Clip skip: 3", tmp_path / "b" / "z.png")
    save_like_webui(image, "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7", tmp_path / "b" / "deeper" / "y.jpg")
    save_like_webui(image, "a cat\nSteps: 20, Sampler: Euler a, Clip skip: abc", tmp_path / "a" / "bad.webp")
    image.save(tmp_path / "a" / "plain.PNG")
    write_safetensors(tmp_path / "a" / "sdxl.safetensors", {"modelspec.encoder_layer": "2"})
    (tmp_path / "a" / "broken.safetensors").write_bytes(b"\x04\0\0\0\0\0\0\0nope")
    (tmp_path / "a" / "model.ckpt").write_bytes(b"pickle")
    (tmp_path / "a" / "fake.jpg").write_text("not an image")
    (tmp_path / "notes.txt").write_text("hello")
    return tmp_path


def test_folders_are_walked_recursively_in_sorted_order_and_every_file_is_reported(folder):
    assert list(inspect([folder])) == [
        f"{folder}/notes.txt: skipped: not an image or a .safetensors file",
        f"{folder}/a/bad.webp: skipped: The recorded 'Clip skip' must be a number from 1 to 12 with at most one "
        "decimal, got 'abc'",
        f"{folder}/a/broken.safetensors: skipped: header is not JSON (Expecting value: line 1 column 1 (char 0))",
        f"{folder}/a/fake.jpg: skipped: not a PNG, JPEG or WebP image",
        f"{folder}/a/model.ckpt: skipped: not an image or a .safetensors file",
        f"{folder}/a/plain.PNG: no generation parameters",
        f"{folder}/a/sdxl.safetensors: Clip skip 2 from modelspec.encoder_layer",
        f"{folder}/b/z.png: Clip skip 3 (recorded)",
        f"{folder}/b/deeper/y.jpg: Clip skip 1 (not recorded; the WebUI reads 1)",
    ]


def test_files_and_folders_are_reported_in_the_order_given(folder):
    lines = list(inspect([folder / "b" / "z.png", folder / "missing.safetensors", folder / "b" / "deeper"]))
    assert lines == [
        f"{folder}/b/z.png: Clip skip 3 (recorded)",
        f"{folder}/missing.safetensors: skipped: no such file or directory",
        f"{folder}/b/deeper/y.jpg: Clip skip 1 (not recorded; the WebUI reads 1)",
    ]


def test_a_folder_that_cannot_be_listed_is_reported(folder, monkeypatch):
    real_scandir = os.scandir
    locked = str(folder / "a")

    def scandir(path):
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    lines = list(inspect([folder]))
    assert not any(line.startswith(f"{locked}/") for line in lines)
    assert lines[-1] == f"{locked}: skipped: permission denied"


def test_unreadable_files_exit_0(folder, capsys):
    assert main(["inspect", str(folder / "a" / "fake.jpg"), str(folder / "nothing")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{folder}/a/fake.jpg: skipped: not a PNG, JPEG or WebP image",
        f"{folder}/nothing: skipped: no such file or directory",
    ]


@pytest.mark.parametrize("args", [[], ["inspect"], ["inspekt", "x.png"], ["inspect", "--bogus", "x.png"]])
def test_usage_errors_exit_2(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: python -m sd_webui_clip_skip" in result.stderr


def test_help_exits_0():
    result = run_cli("inspect", "--help")
    assert result.returncode == 0
    assert "a file or a folder" in result.stdout
