"""The infotext the WebUI stores in an image, and its Clip skip, read as the WebUI reads them (stdlib only).

A1111 1.10.1 writes it (modules/images.py:565-606, save_image_with_geninfo) as a PNG text chunk
"parameters" (Pillow's add_text: tEXt, or iTXt for text that is not Latin-1), and in JPEG and WebP as
the EXIF UserComment made by piexif.helper.UserComment.dump(text, encoding="unicode"), inserted as a
JPEG APP1 segment or a WebP "EXIF" chunk. It reads it back (images.py:777-801, read_info_from_image)
from Pillow's `image.info`: "parameters", replaced by a non-empty EXIF UserComment when the image has
EXIF, else a JPEG comment.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from .values import DEFAULT, INFOTEXT_KEY, parse_clip_skip

INFOTEXT_CHUNK = "parameters"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pillow refuses larger decompressed text chunks (PngImagePlugin.MAX_TEXT_CHUNK).
MAX_TEXT_BYTES = 1024 * 1024
# A "key: value" pair of the parameters line; values may be JSON-quoted (modules/infotext_utils.py:16).
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
# piexif.helper.UserComment's prefixes and codecs; other prefixes make the WebUI decode UTF-8 (images.py:789-793).
_USER_COMMENT_CODECS = {b"ASCII\0\0\0": "ascii", b"JIS\0\0\0\0\0": "shift_jis", b"UNICODE\0": "utf_16_be"}
_PNG_METADATA_CHUNKS = (b"tEXt", b"zTXt", b"iTXt", b"eXIf")
_EXIF_IFD_POINTER = 0x8769
_USER_COMMENT = 0x9286
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


class ImageMetadataError(ValueError):
    """An image whose metadata cannot be read."""


@dataclass
class _Info:
    """The parts of Pillow's `image.info` that read_info_from_image looks at."""

    parameters: str | None = None
    exif: bytes | None = None
    comment: bytes | None = None


def read_infotext(path: str | os.PathLike[str]) -> str | None:
    """The image's infotext, None when it has none.

    Raises ImageMetadataError for a file that is not a PNG, JPEG or WebP or is malformed, OSError when unreadable.
    """
    with open(path, "rb") as file:
        reader = _reader(file.read(12))
        if reader is None:
            raise ImageMetadataError("not a PNG, JPEG or WebP image")
        try:
            info = reader(file)
            if info.exif is not None:
                return _decode_user_comment(_user_comment(info.exif)) or info.parameters
        except (struct.error, zlib.error, ValueError, IndexError) as error:
            raise ImageMetadataError(f"malformed image metadata ({error})") from None
    if info.comment is not None:
        return info.comment.decode("utf-8", errors="ignore")
    return info.parameters


def _reader(head: bytes) -> Callable[[BinaryIO], _Info] | None:
    if head.startswith(PNG_SIGNATURE):
        return _png_info
    if head.startswith(b"\xff\xd8"):
        return _jpeg_info
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_info
    return None


def recorded_clip_skip(infotext: str) -> int | None:
    """The `Clip skip` of the infotext's parameters line, None when it has none.

    Raises ClipSkipError for a value that is not a Clip skip.
    """
    # The parameters line is the last one, when it has at least 3 pairs (infotext_utils.py:254-276).
    last = infotext.strip().split("\n")[-1]
    pairs = _PARAM.findall(last)
    value = dict(pairs).get(INFOTEXT_KEY, "") if len(pairs) >= 3 else ""
    if not value:  # the WebUI drops an empty value (v[0] raises inside its try) and then fills in 1
        return None
    if value[0] == '"' and value[-1] == '"':
        value = _unquote(value)
    return parse_clip_skip(value, source=f"The recorded '{INFOTEXT_KEY}'")


def clip_skip_from_infotext(infotext: str) -> int:
    """The Clip skip the WebUI reads from the infotext: the recorded one, else 1 (infotext_utils.py:303-305)."""
    recorded = recorded_clip_skip(infotext)
    return DEFAULT if recorded is None else recorded


def _unquote(value: str) -> str:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _png_info(file: BinaryIO) -> _Info:
    info = _Info()
    file.seek(len(PNG_SIGNATURE))
    while len(header := file.read(8)) == 8:
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            break
        if kind not in _PNG_METADATA_CHUNKS:
            file.seek(length + 4, os.SEEK_CUR)  # the data and its CRC
            continue
        data = _read_exactly(file, length)
        file.seek(4, os.SEEK_CUR)
        keyword, _, body = data.partition(b"\0")
        if kind == b"eXIf":
            info.exif = data
        elif keyword == INFOTEXT_CHUNK.encode():
            info.parameters = _png_text(kind, body)  # the last one wins, as in Pillow's info dict
    return info


def _png_text(kind: bytes, body: bytes) -> str:
    if kind == b"tEXt":
        return body.decode("latin-1")
    if kind == b"zTXt":
        if body[:1] not in (b"", b"\0"):
            raise ValueError("unknown zTXt compression")
        return _inflate(body[1:]).decode("latin-1")
    compressed, method = body[0], body[1]
    _language, _translated, text = body[2:].split(b"\0", 2)
    if compressed:
        if method:
            raise ValueError("unknown iTXt compression")
        text = _inflate(text)
    return text.decode("utf-8")


def _inflate(data: bytes) -> bytes:
    decompressor = zlib.decompressobj()
    text = decompressor.decompress(data, MAX_TEXT_BYTES)
    if decompressor.unconsumed_tail:
        raise ValueError(f"text chunk larger than {MAX_TEXT_BYTES} bytes")
    return text


def _jpeg_info(file: BinaryIO) -> _Info:
    info = _Info()
    file.seek(2)
    while byte := file.read(1):
        if byte != b"\xff":
            continue  # stray bytes between segments, skipped as Pillow does
        marker = file.read(1)
        while marker == b"\xff":  # fill bytes
            marker = file.read(1)
        if marker in (b"", b"\xda", b"\xd9"):  # metadata ends at start of scan or end of image
            break
        if marker in (b"\x01", b"\xd8") or b"\xd0" <= marker <= b"\xd7":
            continue  # markers without a length
        (length,) = struct.unpack(">H", _read_exactly(file, 2))
        data = _read_exactly(file, length - 2)
        if marker == b"\xe1" and data.startswith(b"Exif\0") and info.exif is None:
            info.exif = data
        elif marker == b"\xfe":
            info.comment = data
    return info


def _webp_info(file: BinaryIO) -> _Info:
    file.seek(12)
    while len(header := file.read(8)) == 8:
        kind, length = struct.unpack("<4sI", header)
        if kind == b"EXIF":
            # Pillow leaves out an empty EXIF chunk, so such an image has no EXIF.
            return _Info(exif=_read_exactly(file, length) or None)
        file.seek(length + (length & 1), os.SEEK_CUR)  # chunks are padded to an even length
    return _Info()


def _read_exactly(file: BinaryIO, length: int) -> bytes:
    data = file.read(length)
    if len(data) != length:
        raise ValueError("file is truncated")
    return data


def _user_comment(exif: bytes) -> bytes:
    """The UserComment bytes of EXIF data (b"" when absent), as piexif.load finds them."""
    tiff = exif[6:] if exif.startswith(b"Exif") else exif
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        raise ValueError("EXIF without a TIFF header")
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    pointer = _ifd_value(tiff, order, ifd0, _EXIF_IFD_POINTER)
    if pointer is None:
        return b""
    (exif_ifd,) = struct.unpack_from(order + "I", pointer)
    return _ifd_value(tiff, order, exif_ifd, _USER_COMMENT) or b""


def _ifd_value(tiff: bytes, order: str, offset: int, wanted: int) -> bytes | None:
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    for index in range(count):
        tag, kind, number, field = struct.unpack_from(order + "HHI4s", tiff, offset + 2 + 12 * index)
        if tag != wanted:
            continue
        size = _TIFF_TYPE_SIZES.get(kind, 1) * number
        if size <= 4:
            return field[:size]
        (start,) = struct.unpack(order + "I", field)
        if start + size > len(tiff):
            raise ValueError("EXIF value outside the data")
        return tiff[start : start + size]
    return None


def _decode_user_comment(raw: bytes) -> str:
    codec = _USER_COMMENT_CODECS.get(raw[:8])
    if codec is None:
        return raw.decode("utf-8", errors="ignore")
    return raw[8:].decode(codec, errors="replace")
