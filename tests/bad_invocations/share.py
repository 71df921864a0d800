"""Bad invocations of the sharing commands (``src/vigil/cli/share.py``): exports, imports, markings, keyed matching."""

from __future__ import annotations

from bad_invocations import Case

_P = ("--period", "2012Q4")
_M = ("--marking", "GREEN")

CASES: list[Case] = [
    # exports
    Case("export stix", ("--period", "2012Q5", *_M, "--db", "{db}"), "--period"),
    Case("export stix", (*_P, "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("export stix", (*_P, *_M, "--output", "{file}/x.json", "--db", "{db}"), "{file}", covers=("--output",)),
    Case("export stix", (*_P, *_M, "--distributor", " ", "--db", "{db}"), "--distributor", covers=("--distributor",)),
    Case("export misp", ("--period", "2012Q5", *_M, "--db", "{db}"), "--period"),
    Case("export misp", (*_P, "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("export misp", (*_P, *_M, "--per", "brand", "--db", "{db}"), "--per"),
    Case("export misp", (*_P, *_M, "--feed", "{file}/feed", "--db", "{db}"), "{file}", covers=("--feed",)),
    Case("export misp", (*_P, *_M, "--output", "{file}/x.json", "--db", "{db}"), "{file}", covers=("--output",)),
    Case("export misp", (*_P, *_M, "--distributor", " ", "--db", "{db}"), "--distributor", covers=("--distributor",)),
    Case("export ftm", ("--period", "2012Q5", *_M, "--db", "{db}"), "--period"),
    Case("export ftm", (*_P, "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("export ftm", (*_P, *_M, "--output", "{file}/x.jsonl", "--db", "{db}"), "{file}", covers=("--output",)),
    Case("export ftm", (*_P, *_M, "--distributor", " ", "--db", "{db}"), "--distributor", covers=("--distributor",)),
    # imports
    Case("ingest stix", ("{missing}", "--db", "{db}"), "missing.csv", covers=("PATHS",)),
    Case("ingest stix", ("{not_utf8}", "--db", "{db}"), "latin1.txt: not UTF-8", covers=("PATHS",), exit_code=0),
    Case("ingest stix", ("{bad_json}", "--db", "{db}"), "bad.json: not JSON", covers=("PATHS",), exit_code=0),
    Case("ingest stix", ("{bad_json}", "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("ingest stix", ("{bad_json}", "--clearance", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--clearance",)),
    Case("ingest stix", ("{bad_json}", "--source", " ", "--db", "{db}"), "--source", covers=("--source",)),
    Case("ingest misp", ("{missing}", "--db", "{db}"), "missing.csv", covers=("PATHS",)),
    Case("ingest misp", ("{bad_json}", "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("ingest misp", ("{bad_json}", "--clearance", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--clearance",)),
    Case("ingest misp", ("{bad_json}", "--source", " ", "--db", "{db}"), "--source", covers=("--source",)),
    # markings
    Case("share mark-source", ("HL-A", "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("share mark-source", (" ", "--marking", "GREEN", "--db", "{db}"), "'source'", covers=("SOURCE",)),
    # keyed matching
    Case("match create-key", ("--partner", " ", "--db", "{db}"), "--partner"),
    Case("match rotate-key", ("--partner", " ", "--db", "{db}"), "--partner"),
    Case("match revoke-key", ("--partner", " ", "--db", "{db}"), "--partner"),
    Case("match revoke-key", ("--partner", "nobody.example", "--key-id", " ", "--db", "{db}"), "--key-id", covers=("--key-id",)),
    Case("match keys", ("--partner", " ", "--db", "{db}"), "--partner"),
    Case("match run", ("--partner", " ", "{file}", "--db", "{db}"), "--partner"),
    Case("match run", ("--partner", "nobody.example", "{bad_csv}", "--db", "{db}"), "bad.csv, line 1", covers=("FILE",)),
    Case("match run", ("--partner", "nobody.example", "{missing}", "--db", "{db}"), "missing.csv", covers=("FILE",)),
    Case("match run", ("--partner", "nobody.example", "{file}", "--marking", "PURPLE", "--db", "{db}"), "PURPLE", covers=("--marking",)),
    Case("match run", ("--partner", "nobody.example", "{file}", "--max-rows", "0", "--db", "{db}"), "--max-rows"),
    Case("match run", ("--partner", "nobody.example", "{file}", "--max-runs", "0", "--db", "{db}"), "--max-runs"),
    Case("match run", ("--partner", "nobody.example", "{file}", "--output", "{file}/m.jsonl", "--db", "{db}"), "{file}", covers=("--output",)),
]

EXEMPT: dict[tuple[str, str], str] = {
    ("export stix", "--org"): "free text: any organisation name is a name",
    ("export misp", "--org"): "free text: any organisation name is a name",
    ("share mark-source", "--org"): "free text: any organisation name is a name",
}

VALID_ARGS: dict[str, tuple[str, ...]] = {
    "export stix": (*_P, *_M),
    "export misp": (*_P, *_M),
    "export ftm": (*_P, *_M),
    "ingest stix": ("{file}",),
    "ingest misp": ("{file}",),
    "share mark-source": ("HL-A", "--marking", "GREEN"),
    "match create-key": ("--partner", "p.example"),
    "match rotate-key": ("--partner", "p.example"),
    "match revoke-key": ("--partner", "p.example"),
    "match run": ("--partner", "p.example", "{file}"),
}
