"""Sharing without leaking: STIX 2.1, MISP and FollowTheMoney exports and imports, markings,
and keyed matching for partners (docs/sharing.md).

Modules: ``markings`` (TLP 2.0 levels), ``facts`` (the one marking filter every exporter reads
through), ``stix``/``stix_import``, ``misp``/``misp_import``, ``ftm``, ``imports`` (all or
nothing per partner file), ``guard`` (bounded JSON), ``recipe`` (the partner hashing recipe,
standard library only) and ``matching`` (keys, runs, audit).
"""
