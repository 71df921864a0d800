"""Writing captures: a manifest folder of HTML files and a WARC, streamed one page at a time.

``captures/analyst-tool/`` is what an analyst's capture tool saves: ``manifest.jsonl``
(capture_id, url, captured_at, file, referrer as a chain ``a > b``, source) and the pages
under ``pages/``. ``captures/crawler.warc.gz`` is a crawler's WARC: for every page a
``request`` record (with a ``Referer`` header when the page was reached through another)
and a ``response`` record (``text/html``). Both also hold a few media entries, as capture
tools save them: image and video responses and files whose payload is a **fake** header (a
magic number followed by zeros, never a picture). The pipeline must skip them unread and
count them. Every page is rendered, written and forgotten, so memory does not grow.
"""

from __future__ import annotations

import io
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from vigil.synth.captures.pages import render, render_cover
from vigil.synth.captures.schedule import Shot
from vigil.synth.truth import iso

FOLDER = "analyst-tool"
WARC = "crawler.warc.gz"
FOLDER_SOURCE = "HL-A"
#: Fake media payloads: a magic number and zeros (the pipeline reads at most 16 bytes).
FAKE_MEDIA: dict[str, tuple[str, bytes]] = {
    "jpg": ("image/jpeg", b"\xff\xd8\xff\xe0" + bytes(28)),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(24)),
    "mp4": ("video/mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(20)),
}
_AGENT = "VigilSynthCapture/1.0 (fictional capture tool)"


@dataclass
class CaptureFiles:
    """What was written: counts for the truth and the summary."""

    pages: int = 0
    folder_pages: int = 0
    warc_pages: int = 0
    media: int = 0
    bytes: int = 0


def _path(url: str) -> str:
    rest = url.split("://", 1)[1]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"


class _Warc:
    def __init__(self, path: Path, rng: random.Random) -> None:
        self.handle = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.writer = WARCWriter(self.handle, gzip=True, warc_version="1.0")
        self.rng = rng

    def new_id(self) -> str:
        return f"urn:uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def exchange(self, url: str, when: str, referrer: str, content_type: str, body: bytes) -> str:
        """A request and its response; returns the response's record ID (the capture ID)."""
        response_id = self.new_id()
        head = [("Host", url.split("://", 1)[1].split("/", 1)[0]), ("User-Agent", _AGENT)]
        if referrer:
            head.append(("Referer", referrer.split(" > ")[-1]))
        request = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders(f"GET {_path(url)} HTTP/1.1", head, is_http_request=True),
            warc_headers_dict={"WARC-Record-ID": f"<{self.new_id()}>", "WARC-Date": when,
                               "WARC-Concurrent-To": f"<{response_id}>"},
        )  # fmt: skip
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")  # fmt: skip
        response = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict={"WARC-Record-ID": f"<{response_id}>", "WARC-Date": when},
        )  # fmt: skip
        self.writer.write_record(request)
        self.writer.write_record(response)
        return response_id

    def close(self) -> None:
        self.handle.close()


def write_captures(out: Path, shots: Sequence[Shot], *, seed: int, mutations: float, namespace: int | None = None,
                   folder_every: int = 4, media_every: int = 90,
                   render_page: Callable[[Shot, random.Random], str] | None = None) -> CaptureFiles:  # fmt: skip
    """Render and write every shot (setting its ``capture_id`` and ``source``); with a
    ``namespace``, folder capture IDs carry it (``AT-017-000001``) and WARC record IDs are drawn
    from a stream of its own, so that worlds side by side keep their captures apart.
    ``render_page(shot, rng)``, when given, writes each sales page instead of
    :func:`~vigil.synth.pages.render` (the noisy world's loads, :mod:`vigil.synth.noisyload`)."""
    prefix = "AT-" if namespace is None else f"AT-{namespace:03d}-"
    root = out / "captures"
    folder = root / FOLDER
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    (folder / "media").mkdir(exist_ok=True)
    pages_rng = random.Random(f"{seed}:pages")
    warc = _Warc(root / WARC, random.Random(f"{seed}:warc" if namespace is None else f"{seed}:{namespace}:warc"))
    done = CaptureFiles()
    kinds = ("jpg", "mp4", "png")
    with open(folder / "manifest.jsonl", "w", encoding="utf-8") as manifest:
        for i, shot in enumerate(shots):
            if shot.cover:
                html = render_cover(shot.design, pages_rng, host=shot.host)
            elif render_page is not None:
                html = render_page(shot, pages_rng)
            else:
                assert shot.slots is not None and shot.brand is not None
                html = render(shot.brand.template.layout, shot.slots, pages_rng, host=shot.host, mutations=mutations)
            body = html.encode("utf-8")
            when = iso(shot.ts)
            done.pages += 1
            done.bytes += len(body)
            if i % folder_every == 0:
                n = done.folder_pages = done.folder_pages + 1
                name = f"pages/{n:06d}.html"
                (folder / name).write_bytes(body)
                shot.capture_id, shot.source = f"{prefix}{n:06d}", FOLDER_SOURCE
                row = {"capture_id": shot.capture_id, "url": shot.url, "captured_at": when, "file": name,
                       "referrer": shot.referrer, "source": FOLDER_SOURCE}  # fmt: skip
                manifest.write(json.dumps(row) + "\n")
            else:
                done.warc_pages += 1
                shot.capture_id, shot.source = warc.exchange(shot.url, when, shot.referrer, "text/html; charset=utf-8", body), None
            if i % media_every == media_every // 2:
                kind = kinds[(i // media_every) % len(kinds)]
                content_type, payload = FAKE_MEDIA[kind]
                media_url = f"{shot.url.split('?')[0].rstrip('/')}/{pages_rng.randrange(10**6)}.{kind}"
                if (i // media_every) % 2:
                    warc.exchange(media_url, when, "", content_type, payload)
                else:  # a media file in the folder; a png is named .html (found by its magic number)
                    name = f"media/{i:06d}.{'html' if kind == 'png' else kind}"
                    (folder / name).write_bytes(payload)
                    row = {"capture_id": f"{prefix}M{i:06d}", "url": media_url, "captured_at": when, "file": name,
                           "source": FOLDER_SOURCE}  # fmt: skip
                    manifest.write(json.dumps(row) + "\n")
                done.media += 1
    warc.close()
    return done
