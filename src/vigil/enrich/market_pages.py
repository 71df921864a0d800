"""Per-page market work, once per distinct page: offers (§2.2) and channel signals (§2.3).

Both are pure functions of the page's HTML (:func:`~vigil.enrich.offers.extract_offers`,
:func:`~vigil.enrich.channels.channel_signals`), so their results are cached by page SHA-256
(``market_pages`` says which pages were read, at which :data:`MARKET_VERSION`; a new version
reads every page again). Pages are decompressed one at a time, bounded, decoded as UTF-8
(bad bytes replaced) and never rendered; spans are character offsets into that decoded text.
The same function runs on both engines (:class:`ScanMarketPages`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from vigil import settings
from vigil.enrich.channels import channel_signals
from vigil.enrich.offers import MAX_HTML, extract_offers
from vigil.store.handle import StoreHandle

__all__ = ["MARKET_VERSION", "ScanMarketPages", "scan_market_pages", "scan_page"]

MARKET_VERSION = 2  # 2: a price right after a block boundary (49,00 EUR<br>USD 19.99) is read

_SCHEMA = pa.schema([
    ("page_sha256", pa.string()), ("what", pa.string()), ("offer_no", pa.int32()), ("offer_type", pa.string()),
    ("period_days", pa.int32()), ("amount", pa.float64()), ("currency", pa.string()), ("channel", pa.string()),
    ("signal", pa.string()), ("span_start", pa.int64()), ("span_end", pa.int64()),
])  # fmt: skip


def scan_page(blob: bytes) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One stored page (zlib-compressed HTML) → its offer rows and its signal rows (pure)."""
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(blob, 4 * MAX_HTML)
    except zlib.error:
        return [], []
    html = raw.decode("utf-8", errors="replace")
    offers = [(k, o.offer_type, o.period_days, o.amount, o.currency, o.start, o.end)
              for k, o in enumerate(extract_offers(html), start=1)]  # fmt: skip
    signals = [(s.channel, s.signal, s.start, s.end) for s in channel_signals(html)]
    return offers, signals


@dataclass(frozen=True)
class ScanMarketPages:
    """:func:`scan_page` over a batch of ``(page_sha256, html_zlib)``: a ``done`` row per page,
    an ``offer`` row per offer, a ``signal`` row per channel signal."""

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        cols: dict[str, list[Any]] = {name: [] for name in _SCHEMA.names}

        def row(**values: Any) -> None:
            for name in cols:
                cols[name].append(values.get(name))

        for sha, blob in zip(batch.column("page_sha256").to_pylist(), batch.column("html_zlib").to_pylist()):
            offers, signals = scan_page(blob)
            row(page_sha256=sha, what="done")
            for no, kind, days, amount, currency, start, end in offers:
                row(page_sha256=sha, what="offer", offer_no=no, offer_type=kind, period_days=days, amount=amount,
                    currency=currency, span_start=start, span_end=end)  # fmt: skip
            for channel, signal, start, end in signals:
                row(page_sha256=sha, what="signal", channel=channel, signal=signal, span_start=start, span_end=end)
        return pa.RecordBatch.from_pydict(cols, schema=_SCHEMA)


def scan_market_pages(store: StoreHandle, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Read offers and channel signals from every page not yet read; returns how many were read."""
    tick = progress or (lambda done, total: None)
    engine = store.engine
    stale = int(engine.scalar("market page versions", "SELECT count(*) FROM market_pages WHERE version <> $v",
                              {"v": MARKET_VERSION}))  # fmt: skip
    if stale:
        for table in ("market_pages", "page_offers", "page_channel_signals"):
            engine.replace(table, f"SELECT * FROM {table} WHERE false")
    todo = "FROM pages p WHERE p.page_sha256 NOT IN (SELECT page_sha256 FROM market_pages)"
    total = int(engine.scalar("pages to scan for offers", f"SELECT count(*) {todo}"))
    tick(0, total)
    if total:
        wanted = settings.worker_count()  # as for attribution's page work (and a bad VIGIL_WORKERS said once)
        engine.map_batches("_market_work", f"SELECT p.page_sha256, p.html_zlib {todo}", ScanMarketPages(), _SCHEMA,
                           batch_rows=500, workers=1 if total < 1000 or wanted < 2 else wanted)  # fmt: skip
        with engine.transaction():
            engine.insert("market_pages", "SELECT DISTINCT page_sha256, $v FROM _market_work WHERE what = 'done'",
                          {"v": MARKET_VERSION})  # fmt: skip
            engine.insert("page_offers", "SELECT page_sha256, offer_no, offer_type, period_days, amount, currency, "
                          "span_start, span_end FROM _market_work WHERE what = 'offer'")  # fmt: skip
            engine.insert("page_channel_signals", "SELECT page_sha256, channel, signal, span_start, span_end "
                          "FROM _market_work WHERE what = 'signal'")  # fmt: skip
    tick(total, total)
    return total
