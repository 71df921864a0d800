"""Telling media from HTML without reading media, and stripping media out of HTML.

Vigil keeps metadata only. A record is judged by its declared type (file extension, HTTP
Content-Type) and then, whatever those say, by its content: at most the first
:data:`SNIFF` bytes are looked at for the magic number of an image, video, audio or archive
format (:func:`kind_by_magic`), at its usual offset or anywhere in the first bytes; media is
then skipped unread beyond them and only counted. A file that is not media is stored only
when it *is* text markup (:func:`markup_problem`); otherwise it is quarantined with the
reason. HTML that embeds media as ``data:`` URIs has them replaced by an empty ``data:,``
before anything is stored.
"""

from __future__ import annotations

import re

IMAGE = frozenset(".jpg .jpeg .jpe .jfif .png .apng .gif .bmp .webp .tif .tiff .heic .heif .avif .ico .cur .svg .svgz .jxl .jp2 .psd .exr".split())
VIDEO = frozenset(".mp4 .m4v .mov .avi .mkv .webm .flv .f4v .swf .wmv .asf .3gp .3g2 .mpg .mpeg .m2ts .mts .ts .ogv .rm .rmvb .vob".split())
AUDIO = frozenset(".mp3 .mp2 .wav .wave .ogg .oga .opus .spx .flac .m4a .m4b .aac .adts .amr .awb .mid .midi .kar .rmi .wma .aif .aiff .aifc .caf .wv .ape .au .snd .mka .weba .dsf .mod .xm .it .s3m".split())
ARCHIVE = frozenset(".zip .rar .7z .tar .tgz .gz .bz2 .xz .zst .lz4 .lz .cab .ar .iso .jar .apk".split())
HTML_TYPES = ("text/html", "application/xhtml+xml")

#: How many leading bytes are looked at before a file is judged; media is never read further.
SNIFF = 512
#: How far into the file the distinctive signatures are searched for (not only at their offset).
WINDOW = 64

# (signature, offset, kind): the signature at that offset of the file.
_AT: tuple[tuple[bytes, int, str], ...] = (
    # images
    (b"\xff\xd8\xff", 0, "image"), (b"\x89PNG\r\n\x1a\n", 0, "image"), (b"GIF87a", 0, "image"), (b"GIF89a", 0, "image"),
    (b"II*\x00", 0, "image"), (b"MM\x00*", 0, "image"), (b"WEBP", 8, "image"), (b"\x00\x00\x01\x00", 0, "image"),
    (b"\x00\x00\x02\x00", 0, "image"), (b"8BPS", 0, "image"), (b"\xff\x0a", 0, "image"), (b"\x00\x00\x00\x0cJXL ", 0, "image"),
    (b"\x00\x00\x00\x0cjP  ", 0, "image"), (b"v/1\x01", 0, "image"), (b"qoif", 0, "image"),
    # video (Matroska/WebM and Ogg also carry audio alone; they are skipped either way)
    (b"\x1a\x45\xdf\xa3", 0, "video"), (b"FLV\x01", 0, "video"), (b"AVI ", 8, "video"), (b"\x00\x00\x01\xba", 0, "video"),
    (b"\x00\x00\x01\xb3", 0, "video"), (b"0&\xb2u\x8ef\xcf\x11", 0, "video"), (b".RMF", 0, "video"), (b"FWS", 0, "video"),
    (b"CWS", 0, "video"), (b"ZWS", 0, "video"), (b"moov", 4, "video"), (b"mdat", 4, "video"), (b"wide", 4, "video"),
    # audio
    (b"ID3", 0, "audio"), (b"OggS", 0, "audio"), (b"fLaC", 0, "audio"), (b"WAVE", 8, "audio"), (b"RMID", 8, "audio"),
    (b"AIFF", 8, "audio"), (b"AIFC", 8, "audio"), (b"MThd", 0, "audio"), (b"#!AMR", 0, "audio"), (b"caff", 0, "audio"),
    (b"wvpk", 0, "audio"), (b"MAC ", 0, "audio"), (b".snd", 0, "audio"), (b"MPCK", 0, "audio"), (b"DSD ", 0, "audio"),
    (b"FRM8", 0, "audio"), (b"IMPM", 0, "audio"), (b"Extended Module:", 0, "audio"), (b"RIFF", 0, "audio"), (b"FORM", 0, "audio"),
    # archives
    (b"PK\x03\x04", 0, "archive"), (b"PK\x05\x06", 0, "archive"), (b"PK\x07\x08", 0, "archive"), (b"Rar!\x1a\x07", 0, "archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "archive"), (b"\x1f\x8b", 0, "archive"), (b"\xfd7zXZ\x00", 0, "archive"),
    (b"\x28\xb5\x2f\xfd", 0, "archive"), (b"\x04\x22\x4d\x18", 0, "archive"), (b"MSCF", 0, "archive"),
    (b"!<arch>\n", 0, "archive"), (b"LZIP", 0, "archive"), (b"xar!", 0, "archive"), (b"ustar", 257, "archive"),
    # other binary documents that are not pages
    (b"%PDF-", 0, "other"), (b"wOFF", 0, "other"), (b"wOF2", 0, "other"), (b"\x7fELF", 0, "other"),
)  # fmt: skip

# Signatures distinctive enough to be looked for anywhere in the first WINDOW bytes (a file
# with a few bytes of padding, or a markup prefix, in front of its media).
_ANYWHERE: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image"), (b"\x89PNG\r\n\x1a\n", "image"), (b"GIF87a", "image"), (b"GIF89a", "image"),
    (b"\x1a\x45\xdf\xa3", "video"), (b"FLV\x01", "video"), (b"0&\xb2u\x8ef\xcf\x11", "video"), (b"ftyp", "video"),
    (b"\x00\x00\x01\xba", "video"), (b"\x00\x00\x01\xb3", "video"),
    (b"OggS\x00", "audio"), (b"fLaC\x00", "audio"), (b"WAVEfmt", "audio"), (b"MThd\x00\x00\x00\x06", "audio"), (b"#!AMR", "audio"),
    (b"caff\x00", "audio"), (b"wvpk", "audio"),
    (b"PK\x03\x04", "archive"), (b"Rar!\x1a\x07", "archive"), (b"7z\xbc\xaf\x27\x1c", "archive"), (b"\xfd7zXZ\x00", "archive"),
    (b"\x28\xb5\x2f\xfd", "archive"), (b"%PDF-", "other"),
)  # fmt: skip
_ID3 = re.compile(rb"ID3[\x02-\x04]\x00")
#: MPEG audio frame sync (MP3, MP2) and AAC's ADTS header: eleven set bits at the start.
_FRAME_SYNC = re.compile(rb"\xff[\xe0-\xff]")
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ")
_IMAGE_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"crx ")
_SVG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,400}?-->\s*)*(?:<!doctype\s+svg|<svg[\s>/:])", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<(?:!doctype\s|!--|\?xml\s|/?[a-z][a-z0-9:-]{0,30}[\s>/])", re.IGNORECASE)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")

# A data: URI whose media type is not text (images, video, audio, fonts, octet streams).
_DATA_URI = re.compile(rb"data:(?!text/|,)[a-zA-Z0-9.+-]+/[a-zA-Z0-9.+-]+(?:;[a-zA-Z0-9=.+-]*)*,[^\"'\s)<>]*")


def kind_by_name(name: str) -> str | None:
    """``image``, ``video``, ``audio`` or ``archive`` from a file name, else None."""
    lower = name.lower()
    dot = lower.rfind(".")
    suffix = lower[dot:] if dot >= 0 else ""
    for kinds, kind in ((IMAGE, "image"), (VIDEO, "video"), (AUDIO, "audio"), (ARCHIVE, "archive")):
        if suffix in kinds:
            return kind
    return None


def _ftyp(head: bytes, at: int) -> str:
    brand = head[at + 4 : at + 8]
    return "audio" if brand in _AUDIO_BRANDS else "image" if brand in _IMAGE_BRANDS else "video"


def kind_by_magic(head: bytes) -> str | None:
    """The media kind (``image``, ``video``, ``audio``, ``archive`` or ``other``) of a file
    from its first bytes (at most :data:`SNIFF` are looked at), else None.

    A format's magic number counts at its usual offset, and the distinctive ones anywhere in
    the first :data:`WINDOW` bytes, so padding or a line of markup in front of an image or a
    sound does not make it a page. SVG (an image written as XML) counts as an image.
    """
    head = head[:SNIFF]
    if head[4:8] == b"ftyp":
        return _ftyp(head, 4)
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":
        return "image"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "archive"  # bzip2
    if head[:1] == b"\x47" and head[188:189] == b"\x47":
        return "video"  # an MPEG transport stream: a sync byte every 188 bytes
    for magic, offset, kind in _AT:
        if head[offset : offset + len(magic)] == magic:
            return kind
    window = head[:WINDOW]
    for magic, kind in _ANYWHERE:
        at = window.find(magic)
        if at >= 0:
            return _ftyp(window, at - 4) if magic == b"ftyp" and at >= 4 else kind
    if _ID3.search(window) or _FRAME_SYNC.search(window):
        return "audio"
    if _SVG.match(head):
        return "image"
    return None


def markup_problem(head: bytes) -> str | None:
    """None when ``head`` (the first bytes of a file that is not media) is text markup;
    otherwise what it is instead, for the quarantine."""
    if _CONTROL.search(head):
        return "binary bytes, not text"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\f")
    if not text:
        return "empty"
    if not _TAG.search(text[:1024]):
        return "text without markup (no HTML tag in its first bytes)"
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
