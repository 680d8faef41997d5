"""localizations/<name>.json: an entry for every text the extension shows, and nothing else.

The WebUI merges each extension's localizations/<name>.json into the localization of that name
(A1111 82a973c0 modules/localization.py:list_localizations, localization_js: `data.update` per file, the WebUI's own
folder first, then the extensions in folder-name order, so on a shared key the last folder wins). The same file in
Forge dfdcbab6, reForge 3b56b268, Forge Classic 1f95d717, Forge Neo 3df257ae and ersatzForge fca12a28. A pack's own
wording must win whatever the folder names, so the files here hold no key a pack has: "Clip skip" is the WebUI's
own label (the accordion's and the X/Y/Z axis's) and comes translated by the pack.

What the extension shows, collected from the code itself: the labels, placeholder and buttons of the built UI and the
X/Y/Z axes (translated by the page's localization.js as they are), the hints, the header's words and the message
templates of javascript/clip_skip.js, and every message the Python side writes, driven through the fake WebUI, each
of which must match one of those templates.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sd_webui_clip_skip.models import defaults as model_defaults
from sd_webui_clip_skip.models.auto import AutoSource, AutoValue
from sd_webui_clip_skip.models.defaults import DEFAULTS_FILENAME
from sd_webui_clip_skip.models.families import NOTICES, effect_notice
from sd_webui_clip_skip.models.loras import lora_hint
from sd_webui_clip_skip.rules.args import ARGS
from sd_webui_clip_skip.rules.xyz import AXIS_LABEL
from tests.fakewebui import CLIP_KEY, Checkpoint, prompt_parser
from tests.fakewebui.extensions import TiledDiffusion

ROOT = Path(__file__).resolve().parents[1]
LOCALIZATIONS = ROOT / "localizations"
SCRIPT = (ROOT / "javascript" / "clip_skip.js").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"\{\w+\}")

HOST_TEXTS = {ARGS[0].label, AXIS_LABEL}
"""Shown by the extension but the WebUI's own words (its setting's label), which the packs translate: never shipped."""
ENGLISH_DETAIL = "Clip skip args refused, nothing was generated: {reason}"
"""Its {reason} is the args check's detail, which stays English as the API's HTTP 422 says it."""


@dataclass(frozen=True)
class Pack:
    """A localization extension, checked at this commit: its file names are the names the files here use."""

    names: tuple[str, ...]
    repository: str
    commit: str


PACKS = (
    # The A1111 extension index's "zh_CN Localization"; its default branch is Anne (main is 7406993e).
    Pack(("zh_CN",), "dtlnor/stable-diffusion-webui-localization-zh_CN", "6b6934002bdbb28d6d512f51b91e9fc424b51b2a"),
    Pack(("zh_CN",), "dtlnor/stable-diffusion-webui-localization-zh_CN", "7406993e9fb50ccc6e1cf2ce6ce94c0251cfa92d"),
    Pack(
        ("zh-Hans (Stable)", "zh-Hans (Testing)"),
        "hanamizuki-ai/stable-diffusion-webui-localization-zh_Hans",
        "51051b43716be7fe3c805509089fd2dcba8b22da",
    ),
    Pack(
        ("zh_Hans", "zh_Hant"),
        "bluelovers/stable-diffusion-webui-localization-zh_Hant",
        "047728f52fb0c65f1a80a2214551b1fbb3ecd501",
    ),
    Pack(
        ("zh_TW",), "harukaxxxx/stable-diffusion-webui-localization-zh_TW", "1d685279983152b4ec36dde2345ff91ddc204742"
    ),
    Pack(
        ("zh_TW",), "benlisquare/stable-diffusion-webui-localization-zh_TW", "5fd9de2f158a5d8fd203622f8acdadb28b96a3f4"
    ),
    Pack(
        ("ja_JP",),
        "AI-Creators-Society/stable-diffusion-webui-localization-ja_JP",
        "d639f8ca6d635686806bebfc8fb6efbe9a71e636",
    ),
)
WITHOUT_PACK = ("id_ID",)
"""Neither the extension index nor GitHub has an Indonesian pack: the WebUI's name form (language_REGION)."""
PACK_REPOS = "SD_WEBUI_LOCALIZATION_REPOS"
"""Clones or bare repositories of PACKS, separated by os.pathsep, for the opt-in check against the packs' own files."""


def shipped() -> dict[str, dict[str, str]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(LOCALIZATIONS.glob("*.json"))}


def script_strings(name: str) -> list[str]:
    """The string literals of `var <name> = [...]` or `{...}` in javascript/clip_skip.js."""
    found = re.search(rf"^    var {name} = [\[{{].*?^    [\]}}];", SCRIPT, re.S | re.M)
    assert found, f"javascript/clip_skip.js has no {name}"
    return [ast.literal_eval(literal) for literal in re.findall(r"'(?:[^'\\\n]|\\.)*'", found.group(0))]


HINTS = script_strings("HINTS")[1::2]  # label: hint
HEADER = script_strings("HEADER")
MESSAGES = script_strings("MESSAGES")


def template_for(text: str) -> str | None:
    """The MESSAGES template `text` was written from, as javascript/clip_skip.js:translateMessage picks it."""
    found = []
    for template in MESSAGES:
        parts = PLACEHOLDER.split(template)
        pattern = r"([\s\S]+?)".join(re.escape(part) for part in parts)
        if re.fullmatch(pattern, text.strip()):
            found.append((len("".join(parts)), template))
    return max(found)[1] if found else None


def templates_of(text: str) -> list[str]:
    """The template of `text` and, for a {reason}, of the reason too; fails for a text no template matches."""
    template = template_for(text)
    assert template is not None, f"no template in javascript/clip_skip.js MESSAGES matches {text!r}"
    if "{reason}" not in template or template == ENGLISH_DETAIL:
        return [template]
    parts = PLACEHOLDER.split(template)
    names = PLACEHOLDER.findall(template)
    match = re.fullmatch(r"([\s\S]+?)".join(re.escape(part) for part in parts), text.strip())
    assert match
    return [template, *templates_of(match.group(names.index("{reason}") + 1))]


# --- what the Python side shows, from the code ------------------------------------------------------------------


def ui_texts(webui) -> set[str]:
    """Labels, placeholders and button texts of the accordion as built in the page, and the X/Y/Z axes' labels."""
    texts = set()
    for runner in (webui.txt2img_runner, webui.img2img_runner):
        for block in runner.blocks.blocks.values():
            if "clip_skip" not in str(getattr(block, "elem_id", None)):
                continue
            for attribute in ("label", "placeholder"):
                if isinstance(getattr(block, attribute, None), str):
                    texts.add(getattr(block, attribute))
            if type(block).__name__ == "Button":
                texts.add(block.value)
    texts |= {option.label for option in webui.xyz_module.axis_options if getattr(option, "clip_skip_extension", False)}
    return texts


def click(webui, item, *values):
    runner = webui.txt2img_runner
    return runner.click(webui.extension(runner).elem_id(item), *values)


def refusing_open(monkeypatch, refuse):
    """`open` in models/defaults.py, refusing some files as a permission error does."""

    def fake_open(file, mode="r", *args, **kwargs):
        if refuse(str(file), mode):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(model_defaults, "open", fake_open, raising=False)


def save_and_forget_lines(make_webui, monkeypatch, tmp_path) -> list[str]:
    """What the Save and Forget buttons answer, in every case they have. One fake WebUI at a time: each new one
    replaces the modules the extension reads (tests/fakewebui: FakeWebUI.install)."""
    anime = Checkpoint("animeModelV3", metadata={"ss_clip_skip": "2"})
    webui = make_webui(config={CLIP_KEY: 1}, checkpoints=[anime])
    lines = [click(webui, "clip_skip_save", 3), click(webui, "clip_skip_clear"), click(webui, "clip_skip_clear")]
    store = Path(webui.data_path) / DEFAULTS_FILENAME
    store.write_text(json.dumps({"version": 99, "models": {}}), encoding="utf-8")
    lines.append(click(webui, "clip_skip_save", 3))  # a newer version's file
    store.write_text("{not json", encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(model_defaults.os, "replace", refuse)
        lines.append(click(webui, "clip_skip_save", 3))  # corrupt, and it cannot be moved aside
    store.unlink(missing_ok=True)
    with monkeypatch.context() as patch:
        refusing_open(patch, lambda file, mode: file.endswith(".lock"))
        lines.append(click(webui, "clip_skip_save", 3))  # the folder takes no lock file
    with monkeypatch.context() as patch:
        patch.setattr(model_defaults, "fcntl", None)
        refusing_open(patch, lambda file, mode: "w" in mode)
        lines.append(click(webui, "clip_skip_save", 3))  # the folder takes no file
    click(webui, "clip_skip_save", 3)
    with monkeypatch.context() as patch:
        refusing_open(patch, lambda file, mode: file == str(store) and mode == "r")
        lines.append(click(webui, "clip_skip_save", 4))  # the file cannot be read

    nothing = make_webui(checkpoints=(), data_path=tmp_path / "none")
    lines += [click(nothing, "clip_skip_save", 3), click(nothing, "clip_skip_clear")]
    unhashed = Checkpoint("animeModelV3", hashed=False)
    no_hashing = make_webui(checkpoints=[unhashed], cmd_opts={"no_hashing": True}, data_path=tmp_path / "no-hashing")
    lines += [click(no_hashing, "clip_skip_save", 3), click(no_hashing, "clip_skip_clear")]
    ersatz = make_webui(config={"use_real_SHA256": False}, checkpoints=[unhashed], data_path=tmp_path / "sha")
    return [*lines, click(ersatz, "clip_skip_save", 3)]


def refuse(*args: object) -> None:
    raise PermissionError(errno.EACCES, "Permission denied")


def comments(make_webui) -> list[str]:
    """What the hooks write under the image."""
    webui = make_webui(config={CLIP_KEY: 1})
    refused, _ = webui.txt2img((True, 13))
    reforge = make_webui(flavor="reforge", config={CLIP_KEY: 1, "dynamic_clip_skip_enabled": True})
    dynamic, _ = reforge.txt2img((True, 3), steps=4)
    no_blends = make_webui(config={CLIP_KEY: 1})
    del no_blends.prompt_parser.get_learned_conditioning  # a host with nothing to wrap for blends (test_blends.py)
    no_blends.load_extension()
    no_blends.prompt_parser.get_learned_conditioning = prompt_parser.make_module().get_learned_conditioning
    nearest, _ = no_blends.txt2img((True, 1.5))
    tiled = make_webui(config={CLIP_KEY: 1}, extensions=(TiledDiffusion,))
    direct, _ = tiled.txt2img((True, 2, False, False, 1, "[2:1:0.5]"), others={TiledDiffusion: (True, True)}, steps=4)
    lora = make_webui(config={CLIP_KEY: 1})
    lora.networks.add("fooStyle", {"ss_clip_skip": "2"})
    hinted, _ = lora.txt2img((True, 1), prompt="a cat <lora:fooStyle:0.8>")
    return [
        line for processed in (refused, dynamic, nearest, direct, hinted) for line in processed.comments.splitlines()
    ]


@pytest.fixture
def python_messages(make_webui, monkeypatch, tmp_path) -> list[str]:
    notices = [effect_notice(n.host, n.family, n.values[0], sdxl_clip_l_skip=bool(n.sdxl_clip_l_skip)) for n in NOTICES]
    autos = (AutoValue(2, AutoSource.SAVED, "animeModelV3"), AutoValue(2, AutoSource.METADATA, "ss_clip_skip"))
    messages = [
        *(notice for notice in notices if notice),
        *(auto.reason for auto in (*autos, AutoValue(1, AutoSource.GLOBAL))),
        *save_and_forget_lines(make_webui, monkeypatch, tmp_path),
        *comments(make_webui),
        lora_hint("foo", 2, 1),
    ]
    assert len(notices) == len(NOTICES) and all(notices)
    return messages


def test_every_message_the_python_side_writes_has_a_template_and_every_template_is_written(python_messages):
    written = {template for message in python_messages for template in templates_of(message)}
    assert sorted(set(MESSAGES) - written) == [], "templates nothing writes any more"
    assert len(MESSAGES) == len(set(MESSAGES))


def test_the_notices_are_the_templates_themselves(python_messages):
    """Each notice's text with its {host} and {family} left in is a template, so a translator sees one per kind."""
    assert {notice.text for notice in NOTICES} <= set(MESSAGES)


# --- the shipped files ------------------------------------------------------------------------------------------


@pytest.fixture
def shown(webui) -> set[str]:
    """Every key a shipped file must have: what the extension shows, but the WebUI's own words."""
    texts = ui_texts(webui)
    assert texts >= HOST_TEXTS
    return (texts | set(HINTS) | set(HEADER) | set(MESSAGES)) - HOST_TEXTS


def test_the_names_are_the_packs_names():
    expected = {name for pack in PACKS for name in pack.names} | set(WITHOUT_PACK)
    assert set(shipped()) == expected


@pytest.mark.parametrize("name", sorted(shipped()))
def test_a_file_has_an_entry_for_every_text_shown_and_no_other(name, shown):
    entries = shipped()[name]
    assert sorted(shown - set(entries)) == [], f"{name}.json lacks these"
    assert sorted(set(entries) - shown) == [], f"{name}.json has entries the extension no longer shows"


@pytest.mark.parametrize("name", sorted(shipped()))
def test_each_translation_is_one_line_with_its_keys_placeholders(name):
    for key, value in shipped()[name].items():
        assert isinstance(value, str) and value.strip() == value and value, (name, key)
        assert "\n" not in value, (name, key)
        assert sorted(PLACEHOLDER.findall(value)) == sorted(PLACEHOLDER.findall(key)), (name, key, value)
        if key in MESSAGES:
            assert template_for(value) is None, f"{name}: {value!r} would be taken for English again"


def test_no_file_takes_the_webuis_own_words_from_a_pack():
    for name, entries in shipped().items():
        assert not HOST_TEXTS & set(entries), name


def test_the_files_are_utf8_json_objects_as_localization_py_reads_them():
    for path in LOCALIZATIONS.iterdir():
        assert path.suffix == ".json", f"{path.name}: localization.py lists every .json here as a language"
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), path.name  # json.load of an utf8 file with a BOM fails
        assert isinstance(json.loads(raw.decode("utf-8")), dict)


# --- the packs' own files (opt-in) -------------------------------------------------------------------------------


def pack_file(pack: Pack, name: str) -> dict[str, str]:
    repositories = [Path(part) for part in os.environ.get(PACK_REPOS, "").split(os.pathsep) if part]
    for repository in repositories:
        found = subprocess.run(
            ["git", "-C", str(repository), "show", f"{pack.commit}:localizations/{name}.json"],
            capture_output=True,
            check=False,
        )
        if found.returncode == 0:
            return dict(json.loads(found.stdout.decode("utf-8")))
    pytest.skip(f"set {PACK_REPOS} to a clone of {pack.repository} (commit {pack.commit[:12]})")


@pytest.mark.parametrize(
    ("pack", "name"), [(pack, name) for pack in PACKS for name in pack.names], ids=lambda value: str(value)[:40]
)
def test_a_packs_own_wording_stays_whichever_folder_loads_last(pack, name):
    theirs = pack_file(pack, name)
    ours = shipped()[name]
    assert sorted(set(theirs) & set(ours)) == []
    for merged in ({**theirs, **ours}, {**ours, **theirs}):  # localization_js: data.update in folder order
        assert {key: merged[key] for key in theirs} == theirs
        assert {key: merged[key] for key in ours} == ours
    assert "Clip skip" in theirs, "the pack translates the accordion's label"
