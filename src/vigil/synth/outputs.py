"""What every world writes besides its reports and captures, and the summary it returns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.errors import ConfigError
from vigil.synth.captures.build import CaptureSummary
from vigil.synth.procfile import PROCESSORS_FILE
from vigil.synth.readme import README
from vigil.synth.sink import ReportSink


@dataclass(frozen=True)
class WorldSummary:
    """Where a generated world is and how big it is."""

    out: Path
    reports_dir: Path
    ip_db: Path  # iptoasn.tsv
    shared_services: Path
    truth_dir: Path
    readme: Path
    seed: int
    rows: int  # rows in the report files (what an ingest reads)
    stored: int  # distinct reports
    duplicates: int  # exact re-sends
    quarantined: int  # rows with one problem
    files: int
    families: int
    urls: int
    captures_dir: Path | None = None
    captures: int = 0  # HTML captures written (cover pages included)
    media: int = 0  # fake media entries among them, to be skipped unread
    profile: str = "s3"

    @property
    def processors(self) -> Path:
        """The world's processors.toml: give it to every command that reads processors."""
        return self.out / PROCESSORS_FILE


def prepare_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: not an empty directory; give a new or empty --out directory")
    (out / "reports").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)


def write_common(out: Path, quarantine: list[dict[str, object]], sink: ReportSink) -> None:
    """quarantine.jsonl, ingest.json and README.txt."""
    truth_dir = out / "truth"
    (truth_dir / "quarantine.jsonl").write_text("".join(json.dumps(q) + "\n" for q in quarantine), encoding="utf-8")
    ingest = {"rows_read": sink.rows, "stored": sink.stored, "duplicates": sink.duplicates, "quarantined": sink.quarantined}
    (truth_dir / "ingest.json").write_text(json.dumps(ingest, indent=2) + "\n", encoding="utf-8")
    (out / "README.txt").write_text(README, encoding="utf-8")


def capture_description(capture: CaptureSummary, *, decoys: float, mutations: float) -> dict[str, Any]:
    """The captures part of truth/world.json."""
    return {
        "captures": capture.captures, "media_skipped": capture.media, "templates": capture.templates,
        "brands": capture.brands, "distributors": capture.distributors, "html_bytes": capture.bytes,
        "decoys": decoys, "mutations": mutations, "decoys_dropped": capture.decoys_dropped,
    }  # fmt: skip


def summary(out: Path, seed: int, sink: ReportSink, capture: CaptureSummary, *, files: int, families: int, urls: int,
            profile: str) -> WorldSummary:  # fmt: skip
    return WorldSummary(
        out=out, reports_dir=out / "reports", ip_db=out / "iptoasn.tsv", shared_services=out / "shared_services.csv",
        truth_dir=out / "truth", readme=out / "README.txt", seed=seed, rows=sink.rows, stored=sink.stored,
        duplicates=sink.duplicates, quarantined=sink.quarantined, files=files, families=families, urls=urls,
        captures_dir=out / "captures", captures=capture.captures, media=capture.media, profile=profile,
    )  # fmt: skip
