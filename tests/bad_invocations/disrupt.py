"""Bad invocations of the disruption commands (``src/vigil/cli/disrupt.py``; see ``__init__.py``):
takedown cases and clocks, notices, the takedown league table and partner feeds."""

from __future__ import annotations

from bad_invocations import Case

_UNDER_FILE = "is a file, not a folder"
_NOT_A_MARKING = "is not a TLP marking"
_SEND = ("--outbox", "{tmp}/outbox", "--db", "{db}")

CASES: list[Case] = [
    # takedown synth
    Case("takedown synth", ("--out", "{file}/w"), _UNDER_FILE),
    Case("takedown synth", ("--out", "{world}"), "not an empty folder"),
    Case("takedown synth", ("--seed", "x", "--out", "{tmp}/w"), "--seed", no_output=("{tmp}/w",)),
    Case("takedown synth", ("--brands", "0", "--out", "{tmp}/w"), "--brands", no_output=("{tmp}/w",)),
    # takedown import / sync
    Case("takedown import", ("{missing}", "--db", "{db}"), "missing.csv", covers=("PATH",)),
    Case("takedown import", ("{not_utf8}", "--db", "{db}"), "latin1.txt: not UTF-8", covers=("PATH",)),
    Case("takedown import", ("{bad_json}", "--db", "{db}"), "bad.json: line 1: not JSON", exit_code=1, covers=("PATH",)),
    Case("takedown import", ("{world}", "--db", "{db}"), "Is a directory", covers=("PATH",)),
    Case("takedown import", ("{bad_json}", "--marking", "TLP:PURPLE", "--db", "{db}"), _NOT_A_MARKING),
    Case("takedown import", ("{bad_json}", "--org", " ", "--db", "{db}"), "--org"),
    Case("takedown import", ("{bad_json}", "--format", "xml", "--db", "{db}"), "--format"),
    Case("takedown sync", ("--marking", "PURPLE", "--db", "{db}"), _NOT_A_MARKING),
    Case("takedown sync", ("--org", " ", "--db", "{db}"), "--org"),
    Case("takedown sync", ("--format", "xml", "--db", "{db}"), "--format"),
    Case("takedown sync", ("--processors", "{missing}", "--db", "{db}"), "cannot read processors file"),
    Case("takedown sync", ("--processors", "{bad_toml}", "--db", "{db}"), "bad.toml: not valid TOML"),
    # takedown history / recheck / outcomes
    Case("takedown history", ("{missing}", "--db", "{db}"), "missing.csv", covers=("PATH",)),
    Case("takedown history", ("{not_utf8}", "--db", "{db}"), "latin1.txt: not UTF-8", covers=("PATH",)),
    Case("takedown history", ("{bad_csv}", "--db", "{db}"), "bad.csv: line 1: missing column(s)", exit_code=1, covers=("PATH",)),
    Case("takedown history", ("{bad_csv}", "--format", "xml", "--db", "{db}"), "--format"),
    Case("takedown recheck", ("{missing}", "--db", "{db}"), "missing.csv", covers=("PATH",)),
    Case("takedown recheck", ("{not_utf8}", "--db", "{db}"), "latin1.txt: not UTF-8", covers=("PATH",)),
    Case("takedown recheck", ("{bad_csv}", "--db", "{db}"), "bad.csv: line 1: missing column(s)", exit_code=1, covers=("PATH",)),
    Case("takedown recheck", ("{bad_csv}", "--format", "xml", "--db", "{db}"), "--format"),
    Case("takedown outcomes", ("{missing}", "--partner", "p", "--db", "{db}"), "missing.csv", covers=("PATH",)),
    Case("takedown outcomes", ("{not_utf8}", "--partner", "p", "--db", "{db}"), "latin1.txt: not UTF-8", covers=("PATH",)),
    Case("takedown outcomes", ("{bad_csv}", "--partner", "p", "--db", "{db}"), "bad.csv: line 1: missing column(s)", exit_code=1, covers=("PATH",)),
    Case("takedown outcomes", ("{bad_csv}", "--partner", " ", "--db", "{db}"), "--partner"),
    Case("takedown outcomes", ("{bad_csv}", "--partner", "p", "--format", "xml", "--db", "{db}"), "--format"),
    Case("takedown show", ("https://nothing.example/x", "--db", "{db}"), "no takedown record", covers=("URL",)),
    Case("takedown audit", ("--format", "xml", "--db", "{db}"), "--format"),
    Case("takedown verify-log", ("--head", "beef", "--db", "{db}"), "is not a head hash"),
    Case("takedown check", ("--url", "ftp://files.example/x", "--db", "{db}"), "is not an http(s) URL"),
    Case("takedown check", ("--url", "https://not-a-case.example/x", "--db", "{db}"), "is not a takedown case"),
    Case("takedown check", ("--limit", "0", "--db", "{db}"), "--limit"),
    Case("takedown check", ("--timeout", "0", "--db", "{db}"), "--timeout"),
    Case("takedown check", ("--max-redirects", "-1", "--db", "{db}"), "--max-redirects"),
    Case("takedown check", ("--per-host-interval", "-1", "--db", "{db}"), "--per-host-interval"),
    Case("takedown check", ("--format", "xml", "--db", "{db}"), "--format"),
    # notices
    Case("notices send", ("--now", "someday", *_SEND), "not an ISO time", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--transport", "pigeon", *_SEND), "--transport", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--transport", "smtp", "--smtp", "nohost", *_SEND), "--smtp 'nohost'", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--transport", "smtp", *_SEND), "needs --smtp", covers=("--smtp",), env={"VIGIL_SMTP": ""}),
    Case("notices send", ("--from", "nobody", *_SEND), "give an e-mail address", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--classification", "Z9", *_SEND), "--classification", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--clearance", "nobody", *_SEND), "RECIPIENT=TLP:AMBER", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--clearance", "x=TLP:PURPLE", *_SEND), _NOT_A_MARKING, no_output=("{tmp}/outbox",)),
    Case("notices send", ("--contacts", "{missing}", *_SEND), "missing.csv: cannot read the contacts file", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--contacts", "{bad_toml}", *_SEND), "bad.toml: cannot read the contacts file", no_output=("{tmp}/outbox",)),
    Case("notices send", (*_SEND,), "bad.toml: cannot read the contacts file", covers=("--contacts",), env={"VIGIL_CONTACTS": "{bad_toml}"}),
    Case("notices send", ("--processors", "{missing}", *_SEND), "cannot read processors file", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--processors", "{bad_toml}", *_SEND), "bad.toml: not valid TOML", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--policy", "{missing}", *_SEND), "missing.csv: cannot read the escalation policy", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--policy", "{bad_toml}", *_SEND), "bad.toml: cannot read the escalation policy", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--rdap-cache", "{file}", *_SEND), "--rdap-cache", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--outbox", "{file}/outbox", "--db", "{db}"), _UNDER_FILE),
    Case("notices send", ("--org", " ", *_SEND), "--org", no_output=("{tmp}/outbox",)),
    Case("notices send", ("--format", "xml", *_SEND), "--format", no_output=("{tmp}/outbox",)),
    Case("notices replies", ("{missing}", "--db", "{db}"), "no such file or folder of replies", covers=("PATH",)),
    Case("notices replies", ("{file}", "--format", "xml", "--db", "{db}"), "--format"),
    # stats takedown
    Case("stats takedown", ("--period", "2012Q5", "--db", "{db}"), "--period"),
    Case("stats takedown", ("--period", "2012", "--by", "planet", "--db", "{db}"), "--by"),
    Case("stats takedown", ("--period", "2012", "--as-of", "soon", "--db", "{db}"), "not an ISO time"),
    Case("stats takedown", ("--period", "2012", "--format", "xml", "--db", "{db}"), "--format"),
    # feed
    Case("feed", ("radio", "--out", "{tmp}/feed", "--db", "{db}"), "unknown feed 'radio'", covers=("NAME",), no_output=("{tmp}/feed",)),
    Case("feed", ("url-list", "--out", "{file}/feed", "--db", "{db}"), _UNDER_FILE),
    Case("feed", ("url-list", "--out", "{tmp}/feed", "--clearance", "TLP:PURPLE", "--db", "{db}"), _NOT_A_MARKING, no_output=("{tmp}/feed",)),
    Case("feed", ("url-list", "--out", "{tmp}/feed", "--as-of", "soon", "--db", "{db}"), "not an ISO time", no_output=("{tmp}/feed",)),
    Case("feed", ("url-list", "--out", "{tmp}/feed", "--contacts", "{bad_toml}", "--db", "{db}"), "bad.toml: cannot read the contacts file", no_output=("{tmp}/feed",)),
    Case("feed", ("url-list", "--out", "{tmp}/feed", "--recipient", " ", "--db", "{db}"), "--recipient", no_output=("{tmp}/feed",)),
    Case("feed", ("domain-alerts", "--out", "{tmp}/feed", "--partner", " ", "--db", "{db}"), "--partner", no_output=("{tmp}/feed",)),
    Case("feed", ("url-list", "--out", "{tmp}/feed", "--org", " ", "--db", "{db}"), "--org", no_output=("{tmp}/feed",)),
]

EXEMPT: dict[tuple[str, str], str] = {
    ("notices send", "--smtp-user"): "a login name handed to the SMTP server as given; only the server can refuse it",
}

#: Arguments that get each command past its required options (for the ``--db`` rows the test makes).
VALID_ARGS: dict[str, tuple[str, ...]] = {
    "takedown import": ("{file}",),
    "takedown history": ("{file}",),
    "takedown recheck": ("{file}",),
    "takedown outcomes": ("{file}", "--partner", "someone"),
    "takedown show": ("https://a.example/x",),
    "notices replies": ("{file}",),
    "stats takedown": ("--period", "2012"),
    "feed": ("url-list", "--out", "{tmp}/feed"),
}
