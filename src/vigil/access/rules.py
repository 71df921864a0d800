"""One need-to-know rule per store table: the SQL of the rows an actor may see.

:func:`table_rules` maps every table and view the migrations create to a ``SELECT`` over the
real table (``{m}.name``) that keeps only the rows the actor may see; :class:`ScopedStore
<vigil.access.scope.ScopedStore>` binds each as a temporary view of the same name. A table
without a rule is denied (an empty view: see :func:`default_deny`), and
``tests/test_access.py`` fails when a migration creates a table this module does not name, so
the next table cannot be forgotten.

Three kinds of rule:

* **Evidence** (reports, captures) — the marking of the record, else of its source, decided
  by :func:`vigil.access.policy.permission_allowed`. A report imported from a partner's
  bundle also carries the object's marking (``report_markings``): it is seen only when the
  stricter of that and its source's marking is.
* **Descendants** — a row derived from evidence is seen when its evidence is: pages, offers,
  channel signals by the captures that hold the page; brands by their captures; URL channels,
  site types and takedown cases by the reports and captures of the URL (a case also needs its
  own marking; a case on a URL no report or capture holds is decided by that marking alone);
  takedown events and partner outcomes by their case; notices only when every URL they name
  is a case the actor may see; imported objects by the report they made.
* **Operational** — confined to the roles that need them, whatever the markings: notices and
  contact statuses to admins and analysts; feed deliveries and match runs to admins and
  auditors, and so is the hash-chained delivery log (they are logs of what went where); attribution's and enrichment's bookkeeping to
  admins; sessions, API tokens and partner keys (secrets) to no one.
"""

from __future__ import annotations

import re
from typing import Any, Final

from vigil.access.policy import TLP_LEVELS, Actor, Marking, permission_allowed

#: Actions that read evidence: an actor with none of them sees no record at all.
READ_ACTIONS: Final = ("search", "view_entity", "view_brand", "view_distributor", "view_dashboard", "view_submissions",
                       "export")  # fmt: skip
#: A stand-in for "some other organisation" when deciding what an actor sees of markings it does not own.
_OTHER_ORG: Final = "\x00another organisation"


def may_see(actor: Actor, marking: Marking) -> bool:
    return any(permission_allowed(actor, action, marking) for action in READ_ACTIONS)


def _stricter(a: str, b: str) -> str:
    return a if TLP_LEVELS.index(a) >= TLP_LEVELS.index(b) else b


def visible_levels(actor: Actor, sources: dict[str, Marking]) -> list[tuple[str, str]]:
    """``(source, tlp)``: a record of ``source`` that carries ``tlp`` of its own (an imported
    object's marking) is visible — the stricter of the two markings decides, with the source's owner."""
    return sorted((source, level) for source, mark in sources.items() if mark.tlp in TLP_LEVELS for level in TLP_LEVELS
                  if may_see(actor, Marking(_stricter(mark.tlp, level), mark.org_id, mark.shared_with)))  # fmt: skip


def case_levels(actor: Actor) -> list[tuple[str, bool]]:
    """``(tlp, own)``: a takedown case marked ``tlp`` and owned by the actor's organisation (``own``)
    or another one is visible (cases carry their marking and owner; they have no source shares)."""
    return [(level, own) for level in TLP_LEVELS for own in (True, False)
            if may_see(actor, Marking(level, actor.org_id if own else _OTHER_ORG))]  # fmt: skip


def _migration_view(name: str) -> str:
    """A view's body as the migrations write it (bound again over the scoped tables)."""
    from vigil.store.migrations import MIGRATIONS

    for migration in MIGRATIONS:
        for got in re.finditer(r"CREATE VIEW (\w+) AS(.*?);", migration.sql, flags=re.DOTALL):
            if got.group(1) == name:
                return got.group(2).strip()
    raise KeyError(name)


def _only(actor: Actor, *roles: str) -> str:
    return "TRUE" if actor.role in roles else "FALSE"


def table_rules(db: str, actor: Actor) -> dict[str, str]:
    """Every table's rule for ``actor``, in binding order (a rule may read the names bound before it).

    Names starting with ``_`` are helpers. ``$org`` is the actor's organisation; the temporary
    tables ``_vis_sources``, ``_rec_marks``, ``_vis_levels`` and ``_case_levels`` are filled by
    the scoped store from :mod:`vigil.access.markings` and the functions above.
    """
    m = f'"{db}".main'
    sees_all_inputs = _only(actor, "admin", "analyst")
    admin = _only(actor, "admin")
    own_files = f"(SELECT file_sha256 FROM {m}.submissions WHERE org_id = $org)"
    return {
        # evidence
        "_hidden_by_import": f"""SELECT x.report_key FROM {m}.report_markings x JOIN {m}.reports r USING (report_key)
            ANTI JOIN _vis_levels v ON v.source = r.source AND v.tlp = x.marking""",
        "reports": f"""SELECT r.* FROM {m}.reports r
            WHERE (r.source IN (SELECT source FROM _vis_sources)
                   AND r.report_key NOT IN (SELECT record_key FROM _rec_marks WHERE kind = 'report')
                   AND r.report_key NOT IN (SELECT report_key FROM _hidden_by_import))
               OR r.report_key IN (SELECT record_key FROM _rec_marks WHERE kind = 'report' AND visible)""",
        "captures": f"""SELECT c.* FROM {m}.captures c
            WHERE (c.source IN (SELECT source FROM _vis_sources)
                   AND c.capture_key NOT IN (SELECT record_key FROM _rec_marks WHERE kind = 'capture'))
               OR c.capture_key IN (SELECT record_key FROM _rec_marks WHERE kind = 'capture' AND visible)""",
        # attribution, derived from captures (the _visible_* key sets are sorted: see vigil.access.scope)
        "_hidden_captures": f"SELECT capture_key FROM {m}.captures EXCEPT SELECT capture_key FROM captures",
        "_visible_captures": "SELECT DISTINCT capture_key FROM captures ORDER BY capture_key",
        "_visible_pages": "SELECT DISTINCT page_sha256 FROM captures ORDER BY page_sha256",
        "capture_attribution": f"SELECT a.* FROM {m}.capture_attribution a SEMI JOIN _visible_captures c USING (capture_key)",
        "pages": f"SELECT p.* FROM {m}.pages p WHERE p.page_sha256 IN (SELECT page_sha256 FROM _visible_pages)",
        "page_skeletons": f"SELECT p.* FROM {m}.page_skeletons p WHERE p.page_sha256 IN (SELECT page_sha256 FROM _visible_pages)",
        "page_identifiers": f"SELECT p.* FROM {m}.page_identifiers p WHERE p.page_sha256 IN (SELECT page_sha256 FROM _visible_pages)",
        "_visible_identifiers": "SELECT DISTINCT kind, value FROM page_identifiers ORDER BY kind, value",
        "_visible_templates": "SELECT DISTINCT template_id FROM capture_attribution WHERE template_id IS NOT NULL ORDER BY 1",
        "_visible_skeletons": "SELECT DISTINCT skeleton_id FROM capture_attribution WHERE skeleton_id IS NOT NULL ORDER BY 1",
        "_brand_counts": """SELECT a.brand_id, count(*) AS captures, min(c.captured_at) AS first_seen,
                max(c.captured_at) AS last_seen FROM capture_attribution a JOIN captures c USING (capture_key)
            WHERE a.brand_id IS NOT NULL GROUP BY a.brand_id""",
        "_incomplete_brands": f"""SELECT DISTINCT a.brand_id FROM {m}.capture_attribution a
            WHERE a.capture_key IN (SELECT capture_key FROM _hidden_captures) AND a.brand_id IS NOT NULL""",
        "brands": f"""SELECT b.brand_id, b.template_id, b.distributor_id, n.first_seen, n.last_seen, n.captures,
                b.lineage_brand,
                CASE WHEN b.brand_id IN (SELECT brand_id FROM _incomplete_brands) THEN NULL ELSE b.evidence END AS evidence
            FROM {m}.brands b JOIN _brand_counts n USING (brand_id)""",
        "distributors": f"""SELECT d.distributor_id, min(b.first_seen) AS first_seen, max(b.last_seen) AS last_seen,
                CAST(count(*) AS INTEGER) AS brands, sum(b.captures) AS captures
            FROM {m}.distributors d JOIN brands b USING (distributor_id) GROUP BY d.distributor_id""",
        "templates": f"SELECT t.* FROM {m}.templates t WHERE t.template_id IN (SELECT template_id FROM _visible_templates)",
        "skeleton_links": f"SELECT s.* FROM {m}.skeleton_links s WHERE s.skeleton_id IN (SELECT skeleton_id FROM _visible_skeletons)",
        "identifier_values": f"""SELECT v.* FROM {m}.identifier_values v
            WHERE (v.kind, v.value) IN (SELECT kind, value FROM _visible_identifiers)""",
        "judgements": f"""SELECT j.* FROM {m}.judgements j
            WHERE j.brand_a IN (SELECT brand_id FROM brands) AND j.brand_b IN (SELECT brand_id FROM brands)""",
        "disguised_urls": f"SELECT d.* FROM {m}.disguised_urls d WHERE d.url IN (SELECT url FROM captures)",
        # incremental attribution's bookkeeping: bands by their skeleton; what names other templates, admins
        "attribution_bands": f"""SELECT b.* FROM {m}.attribution_bands b
            WHERE b.skeleton_id IN (SELECT skeleton_id FROM _visible_skeletons)""",
        "attribution_components": f"""SELECT c.* FROM {m}.attribution_components c
            WHERE {admin} AND c.template_id IN (SELECT template_id FROM templates)""",
        "attribution_merges": f"SELECT * FROM {m}.attribution_merges WHERE {admin}",
        "attribution_state": f"SELECT * FROM {m}.attribution_state WHERE {admin}",
        "page_cache": f"SELECT * FROM {m}.page_cache WHERE {admin}",
        # enrichment, derived from the hosts, IPs and URLs of visible evidence
        "_visible_hosts": "SELECT host FROM (SELECT host FROM reports UNION SELECT host FROM captures) ORDER BY host",
        "_visible_urls": "SELECT url FROM (SELECT url FROM reports UNION SELECT url FROM captures) ORDER BY url",
        "dns_observations": f"SELECT o.* FROM {m}.dns_observations o WHERE o.host IN (SELECT host FROM _visible_hosts)",
        "observations": """SELECT host, ip, reported_at AS seen_at, 'report' AS origin, report_key AS ref
                FROM reports WHERE ip IS NOT NULL
            UNION ALL SELECT host, ip, seen_at, 'dns' AS origin, resolver AS ref FROM dns_observations""",
        "_visible_ips": "SELECT DISTINCT ip FROM observations ORDER BY ip",
        "hosts": f"SELECT h.* FROM {m}.hosts h WHERE h.host IN (SELECT host FROM _visible_hosts)",
        "ip_info": f"SELECT i.* FROM {m}.ip_info i WHERE i.ip IN (SELECT ip FROM _visible_ips)",
        "url_site_types": f"SELECT u.* FROM {m}.url_site_types u WHERE u.url IN (SELECT url FROM _visible_urls)",
        "enrich_runs": f"SELECT * FROM {m}.enrich_runs WHERE {admin}",  # store-wide counts
        "derived_runs": f"SELECT * FROM {m}.derived_runs WHERE {admin}",  # store-wide counts
        # market (§2.2, §2.3): offers and signals by the captures holding their page, channels by the URL
        "market_pages": f"SELECT p.* FROM {m}.market_pages p WHERE p.page_sha256 IN (SELECT page_sha256 FROM _visible_pages)",
        "page_offers": f"SELECT o.* FROM {m}.page_offers o WHERE o.page_sha256 IN (SELECT page_sha256 FROM _visible_pages)",
        "page_channel_signals": f"""SELECT s.* FROM {m}.page_channel_signals s
            WHERE s.page_sha256 IN (SELECT page_sha256 FROM _visible_pages)""",
        "url_channels": f"SELECT u.* FROM {m}.url_channels u WHERE u.url IN (SELECT url FROM _visible_urls)",
        "capture_offers": _migration_view("capture_offers"),
        "brand_offers": _migration_view("brand_offers"),
        # assessment inputs
        "test_purchases": f"""SELECT t.* FROM {m}.test_purchases t
            WHERE {sees_all_inputs} AND t.host IN (SELECT host FROM _visible_hosts)""",
        "expert_estimates": f"SELECT * FROM {m}.expert_estimates WHERE {sees_all_inputs}",
        "search_volumes": f"SELECT * FROM {m}.search_volumes WHERE {sees_all_inputs}",
        # ingest provenance
        "submissions": f"SELECT s.* FROM {m}.submissions s WHERE s.org_id = $org OR {admin}",
        "quarantine": f"SELECT q.* FROM {m}.quarantine q WHERE {admin} OR q.file_sha256 IN {own_files}",
        "ingest_progress": f"""SELECT f.* FROM {m}.ingest_progress f
            WHERE f.file_sha256 IN (SELECT file_sha256 FROM reports UNION SELECT file_sha256 FROM captures)""",
        "ingest_files": f"""SELECT f.* FROM {m}.ingest_files f
            WHERE f.file_sha256 IN (SELECT file_sha256 FROM reports UNION SELECT file_sha256 FROM captures)""",
        "ingest_batches": f"""SELECT b.* FROM {m}.ingest_batches b
            WHERE b.batch_id IN (SELECT batch_id FROM reports UNION SELECT batch_id FROM captures)""",
        "attribution_batches": f"SELECT b.* FROM {m}.attribution_batches b WHERE b.batch_id IN (SELECT batch_id FROM captures)",
        "schema_migrations": f"SELECT * FROM {m}.schema_migrations",  # the schema's version: no record in it
        # accounts and markings
        "organisations": f"SELECT o.* FROM {m}.organisations o WHERE {admin} OR o.org_id = $org",
        "users": f"SELECT * FROM {m}.users WHERE FALSE",
        "sessions": f"SELECT * FROM {m}.sessions WHERE FALSE",
        "api_tokens": f"SELECT * FROM {m}.api_tokens WHERE FALSE",
        "source_markings": f"""SELECT s.* FROM {m}.source_markings s
            WHERE {admin} OR s.source IN (SELECT source FROM _vis_sources)""",
        "share_source_markings": _migration_view("share_source_markings"),
        "source_shares": f"""SELECT s.* FROM {m}.source_shares s
            WHERE {admin} OR (s.org_id = $org AND s.source IN (SELECT source FROM _vis_sources))""",
        "record_markings": f"""SELECT k.* FROM {m}.record_markings k WHERE {admin}
            OR (k.kind = 'report' AND k.record_key IN (SELECT report_key FROM reports))
            OR (k.kind = 'capture' AND k.record_key IN (SELECT capture_key FROM captures))""",
        "audit_log": f"SELECT * FROM {m}.audit_log WHERE {_only(actor, 'admin', 'auditor')}",
        # disruption (docs/disruption.md)
        "takedown_cases": f"""SELECT t.* FROM {m}.takedown_cases t
            WHERE (replace(t.marking, 'TLP:', ''), t.owner_org = $org) IN (SELECT tlp, own FROM _case_levels)
              AND (t.url IN (SELECT url FROM _visible_urls)
                   OR t.url NOT IN (SELECT url FROM {m}.reports UNION SELECT url FROM {m}.captures))""",
        "takedown_events": f"SELECT e.* FROM {m}.takedown_events e WHERE e.url IN (SELECT url FROM takedown_cases)",
        "notices": f"""SELECT n.* FROM {m}.notices n WHERE {sees_all_inputs}
            AND n.notice_id NOT IN (SELECT notice_id FROM (SELECT notice_id, unnest(urls) AS url FROM {m}.notices)
                                    WHERE url NOT IN (SELECT url FROM takedown_cases))""",
        "contact_status": f"SELECT * FROM {m}.contact_status WHERE {sees_all_inputs}",
        "partner_outcomes": f"""SELECT o.* FROM {m}.partner_outcomes o
            WHERE {sees_all_inputs} AND o.item IN (SELECT url FROM takedown_cases)""",
        "feed_deliveries": f"SELECT * FROM {m}.feed_deliveries WHERE {_only(actor, 'admin', 'auditor')}",
        "delivery_log": f"SELECT * FROM {m}.delivery_log WHERE {_only(actor, 'admin', 'auditor')}",
        # sharing (docs/sharing.md)
        "report_markings": f"SELECT x.* FROM {m}.report_markings x WHERE x.report_key IN (SELECT report_key FROM reports)",
        "shared_objects": f"""SELECT o.* FROM {m}.shared_objects o
            WHERE (o.object_id, o.file_sha256) IN (SELECT x.object_id, r.file_sha256 FROM report_markings x
                                                   JOIN reports r USING (report_key))""",
        "partner_keys": f"SELECT * FROM {m}.partner_keys WHERE FALSE",  # secrets: read by `vigil match` only
        "match_runs": f"SELECT * FROM {m}.match_runs WHERE {_only(actor, 'admin', 'auditor')}",
    }


def ruled_tables() -> frozenset[str]:
    """The store tables and views that have a rule (helpers left out)."""
    from vigil.access.policy import SYSTEM

    return frozenset(name for name in table_rules("db", SYSTEM) if not name.startswith("_"))


def default_deny(con: Any, db: str, ruled: set[str]) -> list[str]:
    """Tables and views of the store that no rule names: each gets an empty view (deny by default)."""
    names = [r[0] for r in con.execute(
        """SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'
           UNION SELECT view_name FROM duckdb_views() WHERE database_name = ? AND schema_name = 'main' AND NOT internal
           ORDER BY 1""", [db, db]).fetchall()]  # fmt: skip
    return [name for name in names if name not in ruled]
