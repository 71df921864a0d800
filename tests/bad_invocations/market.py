"""Bad invocations of ``vigil stats offers`` and ``vigil stats channels`` (``src/vigil/cli/market.py``)."""

from __future__ import annotations

from bad_invocations import Case

CASES: list[Case] = [
    Case("stats offers", ("--period", "2012Q5", "--db", "{db}"), "--period"),
    Case("stats offers", ("--period", "2012Q4", "--trend-periods", "0", "--db", "{db}"), "--trend-periods"),
    Case("stats offers", ("--period", "2012Q4", "--rates", "{missing}", "--db", "{db}"), "missing.csv"),
    Case("stats offers", ("--period", "2012Q4", "--rates", "{bad_csv}", "--db", "{db}"), "bad.csv, line 1"),
    Case("stats offers", ("--period", "2012Q4", "--rates", "{not_utf8}", "--db", "{db}"), "latin1.txt: not UTF-8"),
    Case("stats offers", ("--period", "2012Q4", "--db", "{db}"), "missing.csv", covers=("--rates",), env={"VIGIL_RATES": "{missing}"}),
    Case("stats offers", ("--period", "2012Q4", "--processors", "{missing}", "--db", "{db}"), "cannot read processors file"),
    Case("stats offers", ("--period", "2012Q4", "--processors", "{bad_toml}", "--db", "{db}"), "bad.toml: not valid TOML"),
    Case("stats offers", ("--period", "2012Q4", "--format", "xml", "--db", "{db}"), "--format"),
    Case("stats offers", ("--period", "2012Q4", "--out", "{file}/tables", "--db", "{db}"), "is a file, not a folder"),
    Case("stats channels", ("--from", "someday", "--to", "2012Q4", "--db", "{db}"), "--from"),
    Case("stats channels", ("--from", "2012Q1", "--to", "later", "--db", "{db}"), "--to"),
    Case("stats channels", ("--from", "2012Q1", "--to", "2012-12", "--db", "{db}"), "must be two months", covers=("--to",)),
    Case("stats channels", ("--from", "2012Q1", "--to", "2012Q4", "--format", "xml", "--db", "{db}"), "--format", covers=("--format",)),
]

VALID_ARGS: dict[str, tuple[str, ...]] = {
    "stats offers": ("--period", "2012Q4"),
    "stats channels": ("--from", "2012Q1", "--to", "2012Q4"),
}
