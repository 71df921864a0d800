"""Telling media from HTML without reading media, and stripping media out of HTML.

Vigil keeps metadata only. A record is judged by its declared type (file extension, HTTP
Content-Type) and, where that says nothing, by at most the first 16 bytes (a magic number);
media is then skipped unread and only counted. HTML that embeds media as ``data:`` URIs has
them replaced by an empty ``data:,`` before anything is stored.
"""

from __future__ import annotations

import re

IMAGE = frozenset(".jpg .jpeg .jpe .png .gif .bmp .webp .tif .tiff .heic .heif .avif .ico .svg .svgz".split())
VIDEO = frozenset(".mp4 .m4v .mov .avi .mkv .webm .flv .wmv .3gp .mpg .mpeg .ts .ogv".split())
ARCHIVE = frozenset(".zip .rar .7z .tar .tgz .bz2 .xz .iso".split())
HTML_TYPES = ("text/html", "application/xhtml+xml")

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image"), (b"\x89PNG", 0, "image"), (b"GIF8", 0, "image"), (b"BM", 0, "image"),
    (b"II*\x00", 0, "image"), (b"MM\x00*", 0, "image"), (b"WEBP", 8, "image"), (b"ftyp", 4, "video"),
    (b"\x1a\x45\xdf\xa3", 0, "video"), (b"FLV", 0, "video"), (b"AVI ", 8, "video"), (b"\x00\x00\x01\xba", 0, "video"),
    (b"PK\x03\x04", 0, "archive"), (b"Rar!", 0, "archive"), (b"7z\xbc\xaf", 0, "archive"), (b"%PDF", 0, "other"),
)  # fmt: skip

# A data: URI whose media type is not text (images, video, audio, fonts, octet streams).
_DATA_URI = re.compile(rb"data:(?!text/|,)[a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+(?:;[a-zA-Z0-9=.+-]*)*,[^\"'\s)<>]*")


def kind_by_name(name: str) -> str | None:
    """``image``, ``video`` or ``archive`` from a file name, else None."""
    lower = name.lower()
    dot = lower.rfind(".")
    suffix = lower[dot:] if dot >= 0 else ""
    if suffix in IMAGE:
        return "image"
    if suffix in VIDEO:
        return "video"
    if suffix in ARCHIVE:
        return "archive"
    return None


def kind_by_magic(head: bytes) -> str | None:
    """Media kind from the first bytes (at most 16 are looked at), else None."""
    head = head[:16]
    for magic, offset, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return None


def kind_by_content_type(content_type: str | None) -> str | None:
    """None for HTML; otherwise the media kind (``image``/``video``/``audio``/``other``)."""
    main = (content_type or "").split(";")[0].strip().lower()
    if main in HTML_TYPES:
        return None
    for prefix in ("image", "video", "audio"):
        if main.startswith(prefix + "/"):
            return prefix
    return "other"


def strip_embedded_media(html: bytes) -> tuple[bytes, int]:
    """Replace non-text ``data:`` URIs with ``data:,``; returns the page and how many went."""
    return _DATA_URI.subn(b"data:,", html)
