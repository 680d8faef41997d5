"""The metadata an image carries: the infotext as the WebUI reads it, and every other tool's text, with Pillow.

A1111 82a973c0 writes it (images.py:save_image_with_geninfo) as a PNG text chunk "parameters", and in
JPEG and WebP as the EXIF UserComment made by piexif.helper.UserComment.dump(text, encoding="unicode").
It reads it back (images.py:read_info_from_image) from Pillow's `image.info`: "parameters", replaced by
a non-empty EXIF UserComment when the image has EXIF, else a JPEG comment. The EXIF is read here with
Pillow's own parser, so the inspector needs nothing but Pillow; the UserComment's 8-byte codec prefix is
decoded as piexif.helper.UserComment.load decodes it, and any other prefix as UTF-8, as the WebUI does.
"""

from __future__ import annotations

import os
import warnings
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

INFOTEXT_CHUNK = "parameters"
FORMATS = ("PNG", "JPEG", "WEBP")
# piexif.helper.UserComment's prefixes and codecs.
_USER_COMMENT_CODECS = {b"ASCII\0\0\0": "ascii", b"JIS\0\0\0\0\0": "shift_jis", b"UNICODE\0": "utf_16_be"}
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_SOFTWARE = 0x0131
_MAKER_NOTE = 0x927C


class ImageMetadataError(ValueError):
    """An image whose metadata cannot be read."""


@dataclass(frozen=True)
class ImageMetadata:
    infotext: str | None
    """The infotext as the WebUI reads it (read_info_from_image), None when there is none."""
    texts: dict[str, str] = field(default_factory=dict)
    """Every other tool's text: PNG text chunks by keyword, and the EXIF Software and MakerNote tags."""


def read_infotext(path: str | os.PathLike[str]) -> str | None:
    """The image's infotext, None when it has none; raises as read_image_metadata."""
    return read_image_metadata(path).infotext


def read_image_metadata(path: str | os.PathLike[str]) -> ImageMetadata:
    """Raises ImageMetadataError for a file that is not a PNG, JPEG or WebP or is malformed, OSError when
    unreadable, ImportError without Pillow."""
    from PIL import Image, UnidentifiedImageError

    with open(path, "rb") as file:
        try:
            with warnings.catch_warnings(), Image.open(file, formats=FORMATS) as image:
                warnings.simplefilter("ignore")  # Pillow warns about odd EXIF; the result says what it found
                return ImageMetadata(_infotext(image), _texts(image))
        except UnidentifiedImageError:
            raise ImageMetadataError("not a PNG, JPEG or WebP image") from None
        except (SyntaxError, ValueError, EOFError, zlib.error, Image.DecompressionBombError) as error:
            raise ImageMetadataError(f"malformed image metadata ({error})") from None
        except OSError as error:
            if error.errno is not None:
                raise  # the file, not its content
            raise ImageMetadataError(f"malformed image metadata ({error})") from None


def _infotext(image: Image) -> str | None:
    if image.format == "PNG":
        image.load()  # text chunks after the image data are read with it, as the WebUI's loaded image has them
    info = image.info or {}
    parameters = info.get(INFOTEXT_CHUNK)
    if "exif" in info:
        exif = image.getexif().get_ifd(_EXIF_IFD)
        return _decode_user_comment(exif.get(_USER_COMMENT, b"")) or parameters
    if "comment" in info:
        comment = info["comment"]
        return comment.decode("utf-8", errors="ignore") if isinstance(comment, bytes) else str(comment)
    return parameters


def _texts(image: Image) -> dict[str, str]:
    texts = {key: value for key, value in (image.info or {}).items() if isinstance(key, str) and isinstance(value, str)}
    if "exif" in (image.info or {}):
        exif = image.getexif()
        for tag, name in ((_SOFTWARE, "Software"), (_MAKER_NOTE, "MakerNote")):
            value = exif.get(tag, exif.get_ifd(_EXIF_IFD).get(tag))
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="ignore")
            if isinstance(value, str) and value:
                texts.setdefault(name, value.strip("\0"))
    return texts


def _decode_user_comment(raw: object) -> str:
    if isinstance(raw, str):  # Pillow decodes some layouts itself
        return raw
    if not isinstance(raw, bytes):
        return ""
    codec = _USER_COMMENT_CODECS.get(raw[:8])
    if codec is None:
        return raw.decode("utf-8", errors="ignore")
    return raw[8:].decode(codec, errors="replace")
