import struct
import zlib

import piexif
import piexif.helper
import pytest
from PIL import Image, PngImagePlugin

from sd_webui_clip_skip.inspector.findings import DamagedMetadata, image_findings
from sd_webui_clip_skip.inspector.images import ImageMetadata, ImageMetadataError, read_infotext
from tests.samples.make_samples import INFOTEXT, INFOTEXT_WITHOUT_CLIP_SKIP, save_like_webui

UNICODE_INFOTEXT = (
    "猫 on a windowsill, café\nNegative prompt: ぼやけ\nSteps: 20, Sampler: Euler a, Seed: 1, Clip skip: 3"
)


def webui_read_info(path):
    """A1111 1.10.1 82a973c0 modules/images.py:read_info_from_image, on Pillow and piexif."""
    with Image.open(path) as image:
        image.load()
        items = (image.info or {}).copy()
    geninfo = items.pop("parameters", None)
    if "exif" in items:
        exif = piexif.load(items["exif"])
        exif_comment = (exif or {}).get("Exif", {}).get(piexif.ExifIFD.UserComment, b"")
        try:
            exif_comment = piexif.helper.UserComment.load(exif_comment)
        except ValueError:
            exif_comment = exif_comment.decode("utf8", errors="ignore")
        if exif_comment:
            geninfo = exif_comment
    elif "comment" in items:
        geninfo = items["comment"].decode("utf8", errors="ignore")
    return geninfo


def image(tmp_path, name, infotext=INFOTEXT):
    path = tmp_path / name
    save_like_webui(Image.new("RGB", (8, 8), (10, 200, 30)), infotext, path)
    return path


def exif_with_user_comment(raw: bytes) -> bytes:
    return piexif.dump({"Exif": {piexif.ExifIFD.UserComment: raw}})


@pytest.mark.parametrize("name", ["i.png", "i.jpg", "i.jpeg", "i.webp"])
@pytest.mark.parametrize("infotext", [INFOTEXT, INFOTEXT_WITHOUT_CLIP_SKIP, UNICODE_INFOTEXT])
def test_infotext_is_read_from_images_saved_as_the_webui_saves_them(tmp_path, name, infotext):
    path = image(tmp_path, name, infotext)
    assert read_infotext(path) == infotext == webui_read_info(path)


def test_the_file_type_comes_from_its_content_not_its_name(tmp_path):
    path = image(tmp_path, "i.jpg")
    renamed = path.rename(tmp_path / "really-a-jpeg.png")
    assert read_infotext(renamed) == INFOTEXT


def png_with(tmp_path, add, **save):
    info = PngImagePlugin.PngInfo()
    add(info)
    path = tmp_path / "i.png"
    Image.new("RGB", (4, 4)).save(path, pnginfo=info, **save)
    return path


@pytest.mark.parametrize(
    "add",
    [
        pytest.param(lambda i: i.add_text("parameters", INFOTEXT), id="tEXt"),
        pytest.param(lambda i: i.add_text("parameters", INFOTEXT, zip=True), id="zTXt"),
        pytest.param(lambda i: i.add_itxt("parameters", UNICODE_INFOTEXT), id="iTXt"),
        pytest.param(
            lambda i: i.add_itxt("parameters", UNICODE_INFOTEXT, lang="ja", tkey="パラメータ"), id="iTXt-lang"
        ),
        pytest.param(lambda i: i.add_itxt("parameters", UNICODE_INFOTEXT, zip=True), id="iTXt-compressed"),
        pytest.param(lambda i: (i.add_text("Software", "x"), i.add_text("parameters", "a")), id="among-others"),
        pytest.param(lambda i: (i.add_text("parameters", "old"), i.add_text("parameters", "new")), id="last-wins"),
        pytest.param(lambda i: i.add_text("Comment", "not parameters"), id="other-key"),
        pytest.param(lambda i: i.add_text("parameters", ""), id="empty"),
    ],
)
def test_png_text_chunks_are_read_as_pillow_reads_them(tmp_path, add):
    path = png_with(tmp_path, add)
    assert read_infotext(path) == webui_read_info(path)


@pytest.mark.parametrize(
    ("user_comment", "expected"),
    [
        (piexif.helper.UserComment.dump("from exif", encoding="unicode"), "from exif"),
        (piexif.helper.UserComment.dump("from exif", encoding="ascii"), "from exif"),
        (piexif.helper.UserComment.dump("からexif", encoding="jis"), "からexif"),
        (b"\0" * 8 + b"undefined", "\0" * 8 + "undefined"),  # piexif refuses it; the WebUI decodes UTF-8
        (b"short", "short"),
        (b"", "from parameters"),  # an empty comment leaves the parameters
    ],
)
def test_a_png_exif_user_comment_replaces_the_parameters_as_in_the_webui(tmp_path, user_comment, expected):
    path = png_with(
        tmp_path, lambda i: i.add_text("parameters", "from parameters"), exif=exif_with_user_comment(user_comment)
    )
    assert read_infotext(path) == expected == webui_read_info(path)


def test_exif_without_a_user_comment_leaves_the_parameters(tmp_path):
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"camera"}})
    path = png_with(tmp_path, lambda i: i.add_text("parameters", "from parameters"), exif=exif)
    assert read_infotext(path) == "from parameters" == webui_read_info(path)


def test_little_endian_exif_is_read(tmp_path):
    comment = piexif.helper.UserComment.dump("little", encoding="ascii")
    tiff = b"II*\0" + struct.pack("<I", 8)
    tiff += struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, 26) + struct.pack("<I", 0)
    tiff += struct.pack("<H", 1) + struct.pack("<HHII", 0x9286, 7, len(comment), 44) + struct.pack("<I", 0)
    tiff += comment
    path = png_with(tmp_path, lambda i: None, exif=b"Exif\0\0" + tiff)
    assert read_infotext(path) == "little" == webui_read_info(path)


def test_a_jpeg_comment_is_the_infotext_when_there_is_no_exif(tmp_path):
    path = tmp_path / "i.jpg"
    Image.new("RGB", (8, 8)).save(path, comment=INFOTEXT.encode())
    assert read_infotext(path) == INFOTEXT == webui_read_info(path)


def test_jpeg_exif_wins_over_a_jpeg_comment(tmp_path):
    path = tmp_path / "i.jpg"
    exif = exif_with_user_comment(piexif.helper.UserComment.dump(INFOTEXT, encoding="unicode"))
    Image.new("RGB", (8, 8)).save(path, comment=b"comment", exif=exif)
    assert read_infotext(path) == INFOTEXT == webui_read_info(path)


@pytest.mark.parametrize("name", ["plain.png", "plain.jpg", "plain.webp"])
def test_an_image_without_infotext_has_none(tmp_path, name):
    path = tmp_path / name
    Image.new("RGB", (8, 8)).save(path)
    assert read_infotext(path) is None
    assert webui_read_info(path) is None


def test_a_lossless_webp_with_exif_is_read(tmp_path):
    path = tmp_path / "i.webp"
    exif = exif_with_user_comment(piexif.helper.UserComment.dump(INFOTEXT, encoding="unicode"))
    Image.new("RGBA", (7, 5)).save(path, lossless=True, exif=exif)
    assert read_infotext(path) == INFOTEXT == webui_read_info(path)


@pytest.mark.parametrize("content", [b"", b"GIF89a....", b"hello world", b"RIFF\0\0\0\0WAVE"])
def test_other_files_are_refused(tmp_path, content):
    path = tmp_path / "x.png"
    path.write_bytes(content)
    with pytest.raises(ImageMetadataError, match="not a PNG, JPEG or WebP image"):
        read_infotext(path)


REFUSED = "refused"


def assert_reads_like_the_webui_or_refuses(path, content):
    """A damaged or odd file: the same infotext as the WebUI reads, or a clear ImageMetadataError where
    the WebUI's own reading fails; never another exception."""
    path.write_bytes(content)
    try:
        expected = webui_read_info(path)
    except Exception:
        expected = REFUSED
    try:
        got = read_infotext(path)
    except ImageMetadataError as error:
        assert str(error).startswith(("malformed image metadata (", "not a PNG, JPEG or WebP image"))
        got = REFUSED
    assert got == expected


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_HEAD = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(PNG_HEAD + png_chunk(b"tEXt", b"parameters\0abc")[:-8], id="truncated-text"),
        pytest.param(PNG_HEAD + png_chunk(b"zTXt", b"parameters\0\0not zlib"), id="bad-zlib"),
        pytest.param(PNG_HEAD + png_chunk(b"zTXt", b"parameters\0\x01" + zlib.compress(b"x")), id="zTXt-method"),
        pytest.param(
            PNG_HEAD + png_chunk(b"iTXt", b"parameters\0\x01\x01\0\0" + zlib.compress(b"x")), id="iTXt-method"
        ),
        pytest.param(PNG_HEAD + png_chunk(b"iTXt", b"parameters\0"), id="iTXt-short"),
        pytest.param(PNG_HEAD + png_chunk(b"iTXt", b"parameters\0\0\0\0\0\xff\xfe"), id="iTXt-not-utf8"),
        pytest.param(PNG_HEAD + png_chunk(b"eXIf", b"XX*\0"), id="exif-byte-order"),
        pytest.param(PNG_HEAD + png_chunk(b"eXIf", b"MM\0*\0\0\0\x08\0"), id="exif-truncated-ifd"),
        pytest.param(
            PNG_HEAD + png_chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\x01" + struct.pack(">HHII", 0x8769, 4, 1, 999)),
            id="exif-pointer-outside",
        ),
        pytest.param(
            PNG_HEAD
            + png_chunk(
                b"eXIf",
                b"MM\0*\0\0\0\x08\0\x01"
                + struct.pack(">HHII", 0x8769, 4, 1, 26)
                + b"\0\0\0\0"
                + b"\0\x01"
                + struct.pack(">HHII", 0x9286, 7, 100, 999),
            ),
            id="exif-comment-outside",
        ),
    ],
)
def test_damaged_png_metadata_reads_as_the_webui_reads_it_or_is_refused(tmp_path, content):
    assert_reads_like_the_webui_or_refuses(tmp_path / "bad.png", content)


def test_a_text_chunk_that_inflates_past_a_megabyte_is_refused(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(PNG_HEAD + png_chunk(b"zTXt", b"parameters\0\0" + zlib.compress(b"a" * (1024 * 1024 + 1))))
    with pytest.raises(ImageMetadataError, match=r"malformed image metadata \(Decompressed Data Too Large\)"):
        read_infotext(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xff\xd8\xff\xe1\0\x10Exif\0\0MM", id="truncated-segment"),
        pytest.param(b"\xff\xd8\xff\xe1\0\x0cExif\0\0XXXX", id="exif-garbage"),
        pytest.param(b"\xff\xd8\xff\xe1\0", id="truncated-length"),
    ],
)
def test_damaged_jpeg_metadata_reads_as_the_webui_reads_it_or_is_refused(tmp_path, content):
    assert_reads_like_the_webui_or_refuses(tmp_path / "bad.jpg", content)


def test_a_jpeg_with_fill_bytes_stray_bytes_and_markers_without_length_reads_as_in_the_webui(tmp_path):
    comment = INFOTEXT.encode()
    content = b"\xff\xd8" + b"\x00\xff\xff\xff\x01" + b"\xff\xd0" + b"\xff\xfe" + struct.pack(">H", len(comment) + 2)
    assert_reads_like_the_webui_or_refuses(tmp_path / "odd.jpg", content + comment + b"\xff\xd9")


def test_a_jpeg_comment_after_the_start_of_scan_reads_as_in_the_webui(tmp_path):
    comment = INFOTEXT.encode()
    assert_reads_like_the_webui_or_refuses(
        tmp_path / "late.jpg", b"\xff\xd8\xff\xda" + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    )


def test_a_webp_with_odd_length_chunks_reads_as_in_the_webui(tmp_path):
    exif = exif_with_user_comment(piexif.helper.UserComment.dump("after padding", encoding="ascii"))[6:]
    chunks = b"ABCD" + struct.pack("<I", 3) + b"xyz\0" + b"EXIF" + struct.pack("<I", len(exif)) + exif
    assert_reads_like_the_webui_or_refuses(
        tmp_path / "i.webp", b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks
    )


def test_a_webp_with_an_empty_exif_chunk_reads_as_in_the_webui(tmp_path):
    assert_reads_like_the_webui_or_refuses(
        tmp_path / "i.webp", b"RIFF" + struct.pack("<I", 12) + b"WEBP" + b"EXIF" + struct.pack("<I", 0)
    )


# -- the parameters line ------------------------------------------------------------------------

STEPS = "Steps: 20, Sampler: Euler a, CFG scale: 7"


@pytest.mark.parametrize(
    ("infotext", "recorded"),
    [
        (INFOTEXT, 2),
        (INFOTEXT_WITHOUT_CLIP_SKIP, None),
        (f"a cat\n{STEPS}, Clip skip: 12", 12),
        (f"a cat\n{STEPS}, Clip skip: 1", 1),
        (f'a cat\n{STEPS}, Clip skip: "3"', 3),
        (f"a cat\n{STEPS}, Clip skip: 2.0", 2),
        (f"a cat\n{STEPS}, Clip skip: 2, Clip skip: 4", 4),  # the last one wins, as in a dict
        (f"a cat\n{STEPS},Clip skip:5", 5),
        (f"a cat\n{STEPS}, Clip skip: 2\n\n  ", 2),
        (f"{STEPS}, Clip skip: 6", 6),  # no prompt
        (f"a cat\n{STEPS}, Clip skip: ,", None),  # the WebUI drops an empty value
        (f"Clip skip: 5\n{STEPS}", None),  # only the last line holds parameters
        ("a cat\nClip skip: 2, Steps: 20", None),  # fewer than 3 pairs: part of the prompt
        (f'a cat\n{STEPS}, Lora hashes: "a: 1, Clip skip: 3", Seed: 1', None),  # inside a quoted value
        (f"a cat\n{STEPS}, clip skip: 2", None),  # keys are case-sensitive
        ("", None),
    ],
)
def test_the_recorded_clip_skip_is_read_as_the_webui_reads_the_parameters_line(infotext, recorded):
    [found] = image_findings(ImageMetadata(infotext))
    assert (found.value, found.recorded) == ((1, False) if recorded is None else (recorded, True))


@pytest.mark.parametrize("value", ["abc", "0", "13", "1.55", '"x"', "-2"])
def test_a_recorded_value_that_is_not_a_clip_skip_is_a_clear_error(value):
    with pytest.raises(DamagedMetadata, match=r"^The recorded 'Clip skip' must be a number from 1 to 12 with at most"):
        image_findings(ImageMetadata(f"a cat\n{STEPS}, Clip skip: {value}"))


def test_a_quoted_value_that_is_not_json_is_read_as_it_is():
    with pytest.raises(DamagedMetadata, match=r"""got '"2\\\\"'"""):
        image_findings(ImageMetadata(f'a cat\n{STEPS}, Clip skip: "2\\"'))
