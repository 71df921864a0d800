"""Channels (§2.3): where a URL distributes — the commercial web or a channel beyond it.

A URL's channel is decided once, in this order, and stored in ``url_channels`` with its
reason (as site types are):

1. **report** — the earliest report of the URL that states a ``channel`` (docs/formats.md);
2. **host** — a Tor hidden service (host under ``.onion``) is ``hidden_service``;
3. **page signal** — a capture of the URL whose page links a magnet URI or an ed2k link
   (``p2p``), points a player at an ``rtmp``/``rtsp`` stream or an HLS playlist
   (``live_streaming``), or carries a forum software's signature — a ``generator`` meta tag
   or a "powered by" line naming phpBB, vBulletin, MyBB, SMF, XenForo, Invision, punBB,
   FluxBB or Discourse (``forum``); the first of these in that order, then the earliest capture;
4. **site type** — a URL whose site type (``url_site_types``: reported or by rule, which is
   where known cyberlocker hosts are listed) is ``hidden_service``, ``cyberlocker`` or
   ``forum`` takes that channel;
5. otherwise ``web``.

:func:`channel_signals` is the pure per-page part (bounded: the first ``MAX_HTML``
characters, linear regular expressions); :func:`decide_channels` is the set step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vigil.enrich.offers import MAX_HTML

__all__ = ["SIGNALS", "Signal", "channel_signals", "decide_channels"]


@dataclass(frozen=True)
class Signal:
    channel: str
    signal: str  # a stable name, e.g. "magnet_link"
    start: int
    end: int


_FORUMS = r"phpBB|vBulletin|MyBB|SMF|Simple Machines|XenForo|Invision|IP\.Board|punBB|FluxBB|Discourse"
#: (channel, signal name, pattern, what it means in words) — the first match of each is kept.
SIGNALS: tuple[tuple[str, str, re.Pattern[str], str], ...] = (
    ("p2p", "magnet_link", re.compile(r"magnet:\?xt=urn:[a-z0-9]{1,20}:[a-z0-9]{16,64}", re.IGNORECASE), "links a magnet URI"),
    ("p2p", "ed2k_link", re.compile(r"ed2k://\|file\|", re.IGNORECASE), "links an ed2k file"),
    ("live_streaming", "stream_url", re.compile(r"\brtmp[est]?://|\brtsp://", re.IGNORECASE), "points a player at a live stream"),
    ("live_streaming", "hls_playlist", re.compile(r"\.m3u8\b", re.IGNORECASE), "points a player at an HLS playlist"),
    ("forum", "forum_generator", re.compile(
        rf"<meta\s[^>]{{0,200}}?name\s*=\s*[\"']?generator[\"']?[^>]{{0,200}}?content\s*=\s*[\"']?\s*(?:{_FORUMS})", re.IGNORECASE),
        "names forum software in its generator tag"),
    ("forum", "forum_powered_by", re.compile(rf"powered\s+by\s+(?:<[^>]{{0,200}}>\s*){{0,3}}(?:{_FORUMS})\b", re.IGNORECASE),
     "says it is powered by forum software"),
)  # fmt: skip
_ORDER = {"p2p": 1, "live_streaming": 2, "forum": 3}


def channel_signals(html: str) -> list[Signal]:
    """The channel signals on one page: the first occurrence of each kind, in :data:`SIGNALS` order."""
    text = html[:MAX_HTML]
    found = []
    for channel, name, pattern, _ in SIGNALS:
        m = pattern.search(text)
        if m:
            found.append(Signal(channel, name, m.start(), m.end()))
    return found


def _signal_words() -> str:
    return " ".join(f"WHEN '{name}' THEN '{words}'" for _, name, _, words in SIGNALS)


_SQL_CHANNELS = """
WITH urls AS (
    SELECT url, min(host) AS host FROM (SELECT url, host FROM reports UNION ALL SELECT url, host FROM captures) u
    GROUP BY url
),
by_report AS (
    SELECT url, channel, 'report' AS decided_by, CAST(NULL AS STRING) AS rule,
           'reported as ' || channel || ' by ' || source || ' in report ' || report_id || ' on ' || {day_r} AS reason
    FROM (SELECT url, channel, source, report_id, reported_at,
                 row_number() OVER (PARTITION BY url ORDER BY reported_at, source, report_id) AS k
          FROM reports WHERE channel IS NOT NULL) r
    WHERE k = 1
),
by_signal AS (
    SELECT url, channel, 'page' AS decided_by, signal AS rule,
           'capture ' || capture_id || ' of ' || {day_c} || ' ' || CASE signal {words} END AS reason
    FROM (SELECT c.url, s.channel, s.signal, c.capture_id,  c.captured_at,
                 row_number() OVER (PARTITION BY c.url ORDER BY
                     CASE s.channel WHEN 'p2p' THEN 1 WHEN 'live_streaming' THEN 2 ELSE 3 END,
                     c.captured_at, c.capture_key, s.signal) AS k
          FROM captures c JOIN page_channel_signals s ON s.page_sha256 = c.page_sha256) x
    WHERE k = 1
)
SELECT u.url,
       CASE WHEN r.url IS NOT NULL THEN r.channel
            WHEN u.host LIKE '%.onion' THEN 'hidden_service'
            WHEN s.url IS NOT NULL THEN s.channel
            WHEN t.site_type IN ('hidden_service', 'cyberlocker', 'forum') THEN t.site_type
            ELSE 'web' END AS channel,
       CASE WHEN r.url IS NOT NULL THEN 'report'
            WHEN u.host LIKE '%.onion' THEN 'rule'
            WHEN s.url IS NOT NULL THEN 'page'
            WHEN t.site_type IN ('hidden_service', 'cyberlocker', 'forum') THEN 'site_type'
            ELSE 'default' END AS decided_by,
       CASE WHEN r.url IS NOT NULL THEN CAST(NULL AS STRING)
            WHEN u.host LIKE '%.onion' THEN 'tor-hidden-service'
            WHEN s.url IS NOT NULL THEN s.rule
            WHEN t.site_type IN ('hidden_service', 'cyberlocker', 'forum') THEN t.rule
            ELSE CAST(NULL AS STRING) END AS rule,
       CASE WHEN r.url IS NOT NULL THEN r.reason
            WHEN u.host LIKE '%.onion' THEN 'host ' || u.host || ' is a Tor hidden service (.onion)'
            WHEN s.url IS NOT NULL THEN s.reason
            WHEN t.site_type IN ('hidden_service', 'cyberlocker', 'forum') THEN 'site type ' || t.site_type || ': ' || t.reason
            ELSE 'no channel stated or found: the commercial web' END AS reason
FROM urls u
LEFT JOIN by_report r ON r.url = u.url
LEFT JOIN by_signal s ON s.url = u.url
LEFT JOIN url_site_types t ON t.url = u.url
"""


def decide_channels(engine: Any) -> int:
    """Rebuild ``url_channels`` from reports, captures' page signals and site types; returns its size."""
    sql = (_SQL_CHANNELS.replace("{day_r}", engine.dialect.day("reported_at"))
           .replace("{day_c}", engine.dialect.day("captured_at")).replace("{words}", _signal_words()))  # fmt: skip
    engine.replace("url_channels", sql)
    return int(engine.scalar("channels", "SELECT count(*) FROM url_channels"))
