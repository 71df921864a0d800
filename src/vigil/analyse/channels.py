"""§2.3 channels beyond the web, and the emerging issues (docs/market.md).

Per period of the window and per channel (``url_channels``, decided by ``vigil enrich``):
the distinct URLs reported in the period (*volume*) and those of them reported as
commercial, with the commercial share. Each channel's volume and commercial share get the
Mann-Kendall trend test (``analyse/search.py``); a channel whose commercial share rises
significantly (trend ``increasing`` at alpha 0.05) is flagged as an **emerging issue**, as
the assessment warns for fees on Tor and cyberlockers selling access.
"""

from __future__ import annotations

from typing import Any

from vigil.analyse.search import ALPHA, mann_kendall
from vigil.errors import ConfigError
from vigil.model import CHANNELS
from vigil.periods import Period
from vigil.store.engine import Engine

__all__ = ["channel_stats", "window"]

MAX_PERIODS = 240

_SQL_PERIOD = """
SELECT coalesce(u.channel, 'unclassified') AS channel, count(DISTINCT r.url) AS urls,
       count(DISTINCT CASE WHEN r.commercial THEN r.url END) AS commercial_urls
FROM reports r LEFT JOIN url_channels u ON u.url = r.url
WHERE r.reported_at >= $start AND r.reported_at < $end
GROUP BY coalesce(u.channel, 'unclassified')
"""


def window(start: str, end: str) -> list[Period]:
    """The periods ``start``..``end`` (both included, of one kind: months, quarters or years)."""
    first, last = Period.parse(start), Period.parse(end)
    if first.kind != last.kind or first.kind == "range":
        raise ConfigError(f"--from {start} and --to {end} must be two months, two quarters or two years")
    if last.start < first.start:
        raise ConfigError(f"--to {end} ends before --from {start} starts")
    chain = [last]
    while chain[-1].start > first.start:
        if len(chain) >= MAX_PERIODS:
            raise ConfigError(f"--from {start} --to {end} spans more than {MAX_PERIODS} periods")
        chain.append(chain[-1].previous())
    return list(reversed(chain))


def _test(series: list[float]) -> dict[str, Any] | None:
    if len(series) < 2:
        return None
    mk = mann_kendall(series)
    return {"trend": mk.trend, "p": round(mk.p, 6), "z": round(mk.z, 6), "tau": round(mk.tau, 6),
            "sen_slope": round(mk.sen_slope, 6)}  # fmt: skip


def channel_stats(engine: Engine, *, start: str, end: str) -> dict[str, Any]:
    """Volume, commercial share and trends per channel over the window (keys in docs/market.md)."""
    periods = window(start, end)
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for period in periods:
        params = {"start": period.start_ts.replace(tzinfo=None), "end": period.end_ts.replace(tzinfo=None)}
        counts[period.label] = {r["channel"]: (int(r["urls"]), int(r["commercial_urls"]))
                                for r in engine.rows("URLs by channel", _SQL_PERIOD, params)}  # fmt: skip
    whole = {"start": periods[0].start_ts.replace(tzinfo=None), "end": periods[-1].end_ts.replace(tzinfo=None)}
    totals = {r["channel"]: (int(r["urls"]), int(r["commercial_urls"])) for r in engine.rows("URLs by channel, whole window", _SQL_PERIOD, whole)}
    seen = set(totals)
    order = [c for c in (*CHANNELS, "unclassified") if c in seen]
    channels: list[dict[str, Any]] = []
    every: list[dict[str, Any]] = []
    emerging: list[dict[str, Any]] = []
    for channel in order:
        series: list[dict[str, Any]] = []
        for label, by in counts.items():
            urls, commercial = by.get(channel, (0, 0))
            series.append({"channel": channel, "period": label, "urls": urls, "commercial_urls": commercial,
                           "share_commercial": commercial / urls if urls else 0.0})  # fmt: skip
        every.extend(series)
        urls, commercial = totals[channel]  # distinct over the window: a URL reported in two periods counts once
        volume = _test([float(s["urls"]) for s in series])
        share = _test([s["share_commercial"] for s in series])
        rising = bool(share and share["trend"] == "increasing")
        channels.append({
            "channel": channel, "urls": urls, "commercial_urls": commercial,
            "share_commercial": commercial / urls if urls else 0.0,
            "volume_trend": volume["trend"] if volume else None, "volume_p": volume["p"] if volume else None,
            "volume_sen_slope": volume["sen_slope"] if volume else None,
            "share_trend": share["trend"] if share else None, "share_p": share["p"] if share else None,
            "share_sen_slope": share["sen_slope"] if share else None, "emerging": rising,
        })  # fmt: skip
        if rising and share:
            emerging.append({"channel": channel, "share_first": series[0]["share_commercial"],
                             "share_last": series[-1]["share_commercial"], "p": share["p"]})  # fmt: skip
    return {
        "from": periods[0].label, "to": periods[-1].label, "alpha": ALPHA,
        "periods": [{"period": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()} for p in periods],
        "channels": channels, "series": every, "emerging": emerging,
    }  # fmt: skip
