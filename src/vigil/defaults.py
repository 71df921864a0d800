"""Vigil's defaults, in one place: the store's location, attribution thresholds, batch sizes.

The command line, the library and the web application read these names instead of spelling
the values out again, so a default changes here and nowhere else (docs/cli.md lists them as
the commands show them). Environment settings (``VIGIL_*``) live in :mod:`vigil.settings`.
"""

from __future__ import annotations

from pathlib import Path

# -- where the evidence lives -----------------------------------------------------------------
#: The DuckDB store file (``--db``, ``VIGIL_DB``), relative to the working directory.
STORE_PATH = Path("vigil.duckdb")
#: The Spark engine's data directory of Parquet tables (``--data``, ``VIGIL_DATA``).
DATA_DIR = Path("vigil-data")
#: The Spark master URL (``--spark-master``, ``VIGIL_SPARK_MASTER``).
SPARK_MASTER = "local[*]"
#: The engine when neither ``--engine`` nor ``VIGIL_ENGINE`` names one.
ENGINE = "duckdb"

# -- attribution (``vigil attribute``) --------------------------------------------------------
#: Similarity at or above which a page skeleton joins an earlier template.
SAME_THRESHOLD = 0.8
#: Similarity at or above which a new template is an altered version of an earlier one.
ALTERED_THRESHOLD = 0.5
#: Over-matching guard: a value joining this many established groups is generic, links nothing.
MAX_GROUPS = 3
#: Identifier kinds whose strength (specificity, 0-1) is below this never link.
MIN_STRENGTH = 0.5

# -- ingest ------------------------------------------------------------------------------------
#: Report rows (and tabular input rows) per committed batch.
ROW_BATCH = 50_000
#: Captures per committed batch.
CAPTURE_BATCH = 2000
#: Captured pages larger than this are quarantined.
MAX_PAGE_BYTES = 5_000_000

__all__ = [
    "ALTERED_THRESHOLD", "CAPTURE_BATCH", "DATA_DIR", "ENGINE", "MAX_GROUPS", "MAX_PAGE_BYTES", "MIN_STRENGTH",
    "ROW_BATCH", "SAME_THRESHOLD", "SPARK_MASTER", "STORE_PATH",
]  # fmt: skip
