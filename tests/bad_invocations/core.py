"""Bad invocations of the commands in ``src/vigil/cli/core.py`` (see ``__init__.py``)."""

from __future__ import annotations

from bad_invocations import Case

_UNDER_FILE = "is a file, not a folder"

CASES: list[Case] = [
    # the global options (before the command)
    Case("", ("--engine", "oracle", "status"), "--engine"),
    Case("", ("--spark-conf", "no-equals-sign", "status"), "KEY=VALUE"),
    # synth
    Case("synth", ("--out", "{file}/world"), _UNDER_FILE),
    Case("synth", ("--out", "{world}"), "not an empty folder"),
    Case("synth", ("--seed", "seven", "--out", "{tmp}/w"), "--seed", no_output=("{tmp}/w",)),
    Case("synth", ("--reports", "0", "--out", "{tmp}/w"), "--reports", no_output=("{tmp}/w",)),
    Case("synth", ("--profile", "s4", "--reports", "10", "--out", "{tmp}/w"), "leave --reports out", covers=("--reports",), no_output=("{tmp}/w",)),
    Case("synth", ("--profile", "s9", "--out", "{tmp}/w"), "--profile", no_output=("{tmp}/w",)),
    Case("synth", ("--decoys", "-1", "--out", "{tmp}/w"), "--decoys", no_output=("{tmp}/w",)),
    Case("synth", ("--mutations", "-0.5", "--out", "{tmp}/w"), "--mutations", no_output=("{tmp}/w",)),
    Case("synth", ("--namespace", "500", "--out", "{tmp}/w"), "--namespace", no_output=("{tmp}/w",)),
    Case("synth", ("--dirt", "0.5", "--out", "{tmp}/w"), "--dirt", no_output=("{tmp}/w",)),
    Case("synth", ("--profile", "market", "--dirt", "2", "--out", "{tmp}/w"), "only the s3 world takes --dirt", covers=("--dirt",), no_output=("{tmp}/w",)),
    # ingest
    Case("ingest reports", ("{missing}", "--db", "{db}"), "missing", exit_code=1, covers=("PATHS",)),
    Case("ingest reports", ("{world}/reports", "--source", " ", "--db", "{db}"), "--source"),
    Case("ingest reports", ("{world}/reports", "--batch-size", "0", "--db", "{db}"), "--batch-size"),
    Case("ingest captures", ("{missing}", "--db", "{db}"), "missing", exit_code=1, covers=("PATHS",)),
    Case("ingest captures", ("{world}/captures", "--source", "", "--db", "{db}"), "--source"),
    Case("ingest captures", ("{world}/captures", "--max-page-bytes", "0", "--db", "{db}"), "--max-page-bytes"),
    Case("ingest captures", ("{world}/captures", "--batch-size", "-3", "--db", "{db}"), "--batch-size"),
    Case("ingest purchases", ("{missing}", "--db", "{db}"), "missing", exit_code=1, covers=("PATHS",)),
    Case("ingest estimates", ("{missing}", "--db", "{db}"), "missing", exit_code=1, covers=("PATHS",)),
    Case("ingest search", ("{missing}", "--db", "{db}"), "missing", exit_code=1, covers=("PATHS",)),
    # enrich
    Case("enrich", ("--ip-db", "{bad_csv}", "--db", "{db}"), "bad.csv"),
    Case("enrich", ("--ip-db", "{missing}", "--db", "{db}"), "missing"),
    Case("enrich", ("--shared-services", "{not_utf8}", "--db", "{db}"), "not UTF-8"),
    Case("enrich", ("--shared-services", "{missing}", "--db", "{db}"), "missing"),
    Case("enrich", ("--site-type-rules", "{bad_toml}", "--db", "{db}"), "not valid TOML"),
    Case("enrich", ("--site-type-rules", "{not_utf8}", "--db", "{db}"), "not UTF-8"),
    # attribute
    Case("attribute", ("--same-threshold", "1.0", "--db", "{db}"), "--same-threshold"),
    Case("attribute", ("--same-threshold", "0", "--db", "{db}"), "--same-threshold"),
    Case("attribute", ("--altered-threshold", "0", "--db", "{db}"), "--altered-threshold"),
    Case("attribute", ("--altered-threshold", "0.9", "--same-threshold", "0.8", "--db", "{db}"), "must be below"),
    Case("attribute", ("--max-groups", "1", "--db", "{db}"), "--max-groups"),
    Case("attribute", ("--min-strength", "1.5", "--db", "{db}"), "--min-strength"),
    Case("attribute", ("--processors", "{bad_toml}", "--db", "{db}"), "not valid TOML"),
    Case("attribute", ("--processors", "{not_utf8}", "--db", "{db}"), "not UTF-8"),
    Case("attribute", ("--processors", "{missing}", "--db", "{db}"), "missing"),
    Case("attribute", ("--warninglist", "{bad_json}", "--db", "{db}"), "not JSON"),
    Case("attribute", ("--warninglist", "{not_utf8}", "--db", "{db}"), "not UTF-8"),
    Case("attribute", ("--warninglist", "{missing}", "--db", "{db}"), "missing"),
    Case("attribute", ("--processors", "{bad_toml}", "--db", "{db}"), "not valid TOML", env={"VIGIL_PROCESSORS": "{bad_toml}"}),
    # judge
    Case("judge", ("B-none", "B-other", "--verdict", "same", "--analyst", "a", "--db", "{db}"), "no brand", covers=("BRAND_A", "BRAND_B")),
    Case("judge", ("B-a", "B-b", "--verdict", "maybe", "--analyst", "a", "--db", "{db}"), "--verdict"),
    Case("judge", ("B-a", "B-b", "--verdict", "same", "--analyst", " ", "--db", "{db}"), "--analyst"),
    # stats
    Case("stats hosting", ("--period", "2012Q5", "--db", "{db}"), "--period"),
    Case("stats hosting", ("--period", "2012Q4", "--format", "xml", "--db", "{db}"), "--format"),
    Case("stats hosting", ("--period", "2012Q4", "--out", "{file}/tables", "--db", "{db}"), _UNDER_FILE),
    Case("stats brands", ("--period", "2012-13", "--db", "{db}"), "--period"),
    Case("stats brands", ("--period", "2012", "--format", "yaml", "--db", "{db}"), "--format"),
    Case("stats brands", ("--period", "2012", "--out", "{file}/tables", "--db", "{db}"), _UNDER_FILE),
    Case("stats payments", ("--period", "2012Q0", "--db", "{db}"), "--period"),
    Case("stats payments", ("--period", "2012", "--trend-periods", "0", "--db", "{db}"), "--trend-periods"),
    Case("stats payments", ("--period", "2012", "--format", "pdf", "--db", "{db}"), "--format"),
    Case("stats payments", ("--period", "2012", "--out", "{file}/tables", "--db", "{db}"), _UNDER_FILE),
    Case("stats payments", ("--period", "2012", "--processors", "{missing}", "--db", "{db}"), "cannot read processors file"),
    Case("stats payments", ("--period", "2012", "--processors", "{bad_toml}", "--db", "{db}"), "bad.toml: not valid TOML"),
    Case("stats payments", ("--period", "2012", "--db", "{db}"), "not valid TOML", covers=("--processors",), env={"VIGIL_PROCESSORS": "{bad_toml}"}),
    Case("stats estimates", ("--k", "0", "--db", "{db}"), "--k"),
    Case("stats estimates", ("--format", "tsv", "--db", "{db}"), "--format"),
    Case("stats search", ("--from", "someday", "--to", "2012-12", "--lexicon", "{bad_csv}", "--db", "{db}"), "--from"),
    Case("stats search", ("--from", "2012-01", "--to", "later", "--lexicon", "{bad_csv}", "--db", "{db}"), "--to"),
    Case("stats search", ("--from", "2012-01", "--to", "2012-12", "--lexicon", "{bad_csv}", "--db", "{db}"), "header"),
    Case("stats search", ("--from", "2012-01", "--to", "2012-12", "--lexicon", "{not_utf8}", "--db", "{db}"), "UTF-8"),
    Case("stats search", ("--from", "2012-01", "--to", "2012-12", "--lexicon", "{missing}", "--db", "{db}"), "missing"),
    Case("stats search", ("--from", "2012-01", "--to", "2012-12", "--lexicon", "{lexicon}", "--regions", "{not_utf8}", "--db", "{db}"), "UTF-8"),
    Case("stats search", ("--from", "2012-01", "--to", "2012-12", "--lexicon", "{lexicon}", "--format", "md", "--db", "{db}"), "--format"),
    # export, explain, eval
    Case("export attribution", ("--format", "xml", "-o", "{tmp}/old.csv", "--db", "{db}"), "--format", untouched=("{tmp}/old.csv",)),
    Case("export attribution", ("-o", "{tmp}/no-such-folder/a.jsonl", "--db", "{db}"), "does not exist", covers=("--output",), no_output=("{tmp}/no-such-folder",)),
    Case("export attribution", ("-o", "{file}/a.jsonl", "--db", "{db}"), "does not exist", covers=("--output",)),
    Case("explain brand", ("B-0000000000", "--db", "{db}"), "no brand", covers=("BRAND_ID",)),
    Case("explain distributor", ("D-0000000000", "--db", "{db}"), "no distributor", covers=("DISTRIBUTOR_ID",)),
    Case("eval", ("--truth", "{missing}", "--db", "{db}"), "missing"),
    Case("eval", ("--truth", "{bad_json}", "--db", "{db}"), "bad.json"),
    Case("eval", ("--truth", "{truth_elsewhere}", "--db", "{db}"), "not in the store"),
    # report
    Case("report", ("--period", "2012Q5", "--out", "{tmp}/r", "--db", "{db}"), "--period", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--format", "docx", "--out", "{tmp}/r", "--db", "{db}"), "--format", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--format", "md", "--out", "{file}/r", "--db", "{db}"), _UNDER_FILE),
    Case("report", ("--period", "2012Q4", "--format", "md", "--rates", "{bad_csv}", "--out", "{tmp}/r", "--db", "{db}"), "bad.csv, line 1", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--format", "md", "--commentary", "{not_utf8}", "--out", "{tmp}/r", "--db", "{db}"), "UTF-8", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--format", "md", "--lexicon", "{bad_csv}", "--out", "{tmp}/r", "--db", "{db}"), "header", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--search-from", "soon", "--out", "{tmp}/r", "--db", "{db}"), "--search-from", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--format", "md", "--processors", "{missing}", "--out", "{tmp}/r", "--db", "{db}"), "cannot read processors file", no_output=("{tmp}/r",)),
    Case("report", ("--period", "2012Q4", "--format", "md", "--processors", "{bad_toml}", "--out", "{tmp}/r", "--db", "{db}"), "bad.toml: not valid TOML", no_output=("{tmp}/r",)),
    # quarantine, store, demo
    Case("quarantine", ("--limit", "-1", "--db", "{db}"), "--limit"),
    Case("quarantine", ("--format", "html", "--db", "{db}"), "--format"),
    Case("store to-parquet", ("{file}/data", "--db", "{db}"), _UNDER_FILE, covers=("DATA",)),
    Case("store to-parquet", ("{tmp}/it's", "--db", "{db}"), "quote", covers=("DATA",), no_output=("{tmp}/it's",)),
    Case("demo", ("--out", "{file}/demo", "--db", "{tmp}/d.duckdb"), _UNDER_FILE, no_output=("{tmp}/d.duckdb",)),
    Case("demo", ("--seed", "x", "--out", "{tmp}/demo"), "--seed", no_output=("{tmp}/demo",)),
    Case("demo", ("--period", "2012Q9", "--out", "{tmp}/demo"), "--period", no_output=("{tmp}/demo",)),
    Case("demo", ("--out", "{tmp}/demo", "--db", "{file}/d.duckdb"), _UNDER_FILE, no_output=("{tmp}/demo",)),
]

EXEMPT: dict[tuple[str, str], str] = {
    ("", "--data"): "read by the Spark engine only; starting Spark is tests/test_engines.py's business",
    ("", "--spark-master"): "read by the Spark engine only; starting Spark is tests/test_engines.py's business",
    ("judge", "--note"): "free text, kept as given",
}

#: Arguments that get each command past its required options, for the rows the test makes
#: itself (a ``--db`` whose folder is a file).
VALID_ARGS: dict[str, tuple[str, ...]] = {
    "ingest reports": ("{world}/reports",),
    "ingest captures": ("{world}/captures",),
    "ingest purchases": ("{file}",),
    "ingest estimates": ("{file}",),
    "ingest search": ("{file}",),
    "judge": ("B-a", "B-b", "--verdict", "same", "--analyst", "someone"),
    "stats hosting": ("--period", "2012Q4"),
    "stats brands": ("--period", "2012"),
    "stats payments": ("--period", "2012"),
    "stats search": ("--from", "2012-01", "--to", "2012-12", "--lexicon", "{file}"),
    "explain brand": ("B-0000000000",),
    "explain distributor": ("D-0000000000",),
    "eval": ("--truth", "{file}"),
    "report": ("--period", "2012Q4", "--out", "{tmp}/report"),
    "store to-parquet": ("{tmp}/data",),
    "demo": ("--out", "{tmp}/demo"),
}
