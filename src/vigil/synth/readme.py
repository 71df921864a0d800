"""The world's README.txt and truth/world.json (what the world is and how it was made)."""

from __future__ import annotations

from typing import Any

from vigil.synth.dirt import REASONS
from vigil.synth.hosting import SERVICES
from vigil.synth.hosting_world.calibration import (
    CALIBRATED_QUARTER,
    DEFAULT_REPORTS,
    QUARTERS,
)

README = """\
Vigil synthetic world
=====================

Made by `vigil synth`. Everything here is synthetic and neutral: hostnames are under
.test, .example or .invalid; IP addresses come from documentation and reserved ranges
(192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 240.0.0.0/4, 2001:db8::/32); ASNs are
private-use; organisations, hotlines, notes, shops and identifiers are fictional. The
captured pages are bland placeholder shops ("Example ... Picture Club"); media entries are
fake (a magic number and zeros), never a picture. See docs/synthetic-world.md in the Vigil
source.

What is what
------------

reports/             the raw input, as hotlines send it: several files per source
                     (HL-A, HL-B, HL-C, PARTNER-X, PARTNER-Y), CSV and JSON Lines, some
                     gzip-compressed, with dirt: URL spelling variants, time zones,
                     exact re-sends, and rows with exactly one problem each.
captures/            captured pages of reported URLs (metadata only):
  analyst-tool/      manifest.jsonl and the HTML files (plus a few fake media files)
  crawler.warc.gz    a WARC: request + response records, Referer when reached via a
                     referrer chain, a few fake image/video responses
                     Ingest both: vigil ingest captures captures/analyst-tool
                     captures/crawler.warc.gz
iptoasn.tsv          the world's IP database (iptoasn format: range_start, range_end,
                     AS_number, country_code, AS_description; tab-separated, no header).
                     Give it to `vigil enrich --ip-db`.
shared_services.csv  the world's free subdomain registrars and free hosts
                     (header service,kind,note). Give it to the enrich step too.
processors.toml      the world's fictional payment processors (hosts, merchant fields,
                     payment types). Give it to every command that reads processors:
                     vigil attribute / stats payments / stats offers / report
                     --processors processors.toml
truth/               the ground truth; the pipeline never reads it:
  hosting.json       the expected `vigil stats hosting --format json` objects, keyed by
                     invocation: "2012Q4", "2012Q4 --all", "2012Q3", "2012", "2012 --all"
  quarantine.jsonl   one line per bad row: {"file", "line", "reason"} (file relative to
                     this directory; CSV lines are physical lines where the record starts,
                     header = line 1; JSON Lines lines are 1-based)
  ingest.json        {"rows_read", "stored", "duplicates", "quarantined"}
  world.json         the seed, size and calibration of this world
  attribution.json   the expected `vigil stats brands --format json` objects, keyed by
                     period ("2012", "2009-06-01..2012-12-31", ...), plus media_skipped,
                     disguised (URLs), decoys (values the guard must stop),
                     label_dependent (keys that depend on how ties are broken)
  captures.jsonl     one line per capture: its true template, brand, distributor, cover
                     flag and the identifiers on the page (IDs are the world's labels:
                     T0001, T0001.D03, D03)
  templates.jsonl    one line per template: family, version, the template it was
                     redesigned from, first seen, brands
"""


def world_description(
    *, seed: int, rows: int, requested: int, families: int, urls: int,
    targets: dict[tuple[int, str, str], int], result: dict[str, Any], files: list[str],
    rows_by_kind: dict[str, int],
) -> dict[str, Any]:
    """truth/world.json: seed, size, calibration targets and what came out."""
    per_quarter: dict[str, int] = {}
    calibrated: dict[str, dict[str, int]] = {}
    for (q, site_type, country), n in targets.items():
        per_quarter[QUARTERS[q]] = per_quarter.get(QUARTERS[q], 0) + n
        if QUARTERS[q] == CALIBRATED_QUARTER:
            calibrated.setdefault(site_type, {})[country] = n
    q4 = result
    return {
        "generator": "vigil.synth",
        "seed": seed,
        "reports_requested": requested,
        "rows": rows,
        "default_reports": DEFAULT_REPORTS,
        "scale": requested / DEFAULT_REPORTS,
        "families": families,
        "urls": urls,
        "rows_by_family_kind": rows_by_kind,
        "period": {"start": "2011-01-01", "end": "2013-04-01"},
        "files": [f"reports/{name}" for name in files],
        "shared_services": [s.name for s in SERVICES],
        "reasons": list(REASONS),
        "calibration": {
            "quarter": CALIBRATED_QUARTER,
            "commercial_urls_per_quarter": per_quarter,
            "site_type_by_country": calibrated,
            "result": {
                "urls": q4["urls"],
                "by_site_type": {r["site_type"]: r["urls"] for r in q4["by_site_type"]},
                "share_percent": {
                    f"{r['site_type']}/{r['country']}": round(100 * r["share"], 1)
                    for r in q4["site_type_by_country"]
                    if r["site_type"] in ("banner", "pay_per_view") and r["country"] in ("US", "RU", "KZ")
                },
            },
        },
    }
