"""``generate_world``: check the arguments, write what every world shares, then the profile's world.

Four profiles, one package or module each: ``s3`` (the default, calibrated to §3 hosting:
:mod:`vigil.synth.hosting_world`), ``s4`` (calibrated to §4 brands and distributors:
:mod:`vigil.synth.brand_world`), ``market`` (offers, prices and channels:
:mod:`vigil.synth.market`) and ``noisy`` (a small, hard §4 world:
:mod:`vigil.synth.noisy_world`). The captures the s3, s4 and noisy worlds carry are made by
:mod:`vigil.synth.captures`. Every world writes the same IP table, shared-services file and
processors file beside its reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vigil.errors import ConfigError
from vigil.synth.brand_world.world import generate_brand_world
from vigil.synth.captures.identifiers import NAMESPACES
from vigil.synth.hosting import build_orgs, write_iptoasn, write_shared_services
from vigil.synth.hosting_world.calibration import DEFAULT_REPORTS
from vigil.synth.hosting_world.world import generate_hosting_world
from vigil.synth.market import generate_market
from vigil.synth.noisy_world.world import generate_noisy_world
from vigil.synth.outputs import WorldSummary, prepare_out
from vigil.synth.procfile import write_processors

__all__ = ["PROFILES", "generate_world"]

PROFILES = ("s3", "s4", "market", "noisy")


def generate_world(
    out: Path,
    *,
    seed: int = 2012,
    reports: int | None = None,
    progress: Callable[[int], None] | None = None,
    profile: str = "s3",
    decoys: float = 1.0,
    mutations: float = 1.0,
    namespace: int | None = None,
    spellings: frozenset[str] | None = None,
    dirt: float = 1.0,
) -> WorldSummary:
    """Write a synthetic world to ``out`` (which must be empty or absent); same arguments, same bytes.

    ``profile="s3"`` (default) is the world calibrated to §3 (hosting), with a small set of
    captures; ``reports`` is the number of rows written under ``reports/`` (default
    ``DEFAULT_REPORTS``; exactly, unless the calibrated commercial URLs alone need more,
    which happens only for tiny worlds). ``profile="s4"`` is the larger world calibrated
    to §4 (brands and distributors, June 2009 - December 2012) with a few thousand
    captures; its size is fixed by the calibration, so it takes no ``reports``.
    ``decoys`` and ``mutations`` multiply the decoy identifiers and the per-capture
    rotations (0 turns them off). ``namespace`` (0 to 499) gives the world's key
    identifiers and folder capture IDs a space of their own, so that worlds written with
    different namespaces share no value but the deliberate decoys and can be loaded side by
    side (load tests); without it, worlds of different seeds draw from the same small
    fictional pools and collide. ``progress`` is called now and then with the number of
    report rows written so far, and once at the end with the total. ``profile="noisy"`` is a
    small, hard world of under a thousand captures (:mod:`vigil.synth.noisy_world`);
    ``spellings`` picks which identifier spellings its pages use (default: all of
    :data:`vigil.synth.noisy_world.loads.ALL_SPELLINGS`; other profiles take none).
    ``dirt`` (s3 only, at least 1) makes the report feed dirtier: at 3, 90 % of rows spell
    their URL in one to three of the ways of :mod:`vigil.synth.dirt` (more kinds of them
    than the default world's 30 %), and re-sends and bad rows are three times as frequent.
    """
    out = Path(out)
    if profile not in PROFILES:
        raise ConfigError(f"--profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    if decoys < 0 or mutations < 0:
        raise ConfigError("--decoys and --mutations must not be negative")
    if namespace is not None and not 0 <= namespace < NAMESPACES:
        raise ConfigError(f"--namespace must be from 0 to {NAMESPACES - 1}, not {namespace}")
    if profile == "s4" and reports is not None:
        raise ConfigError("the s4 world has the calibrated size of assessment §4; leave --reports out")
    if profile in ("market", "noisy") and reports is not None:
        raise ConfigError(f"the {profile} world has a fixed, small size; leave --reports out")
    if spellings is not None and profile != "noisy":
        raise ConfigError("only the noisy world takes spellings")
    if dirt != 1.0 and profile != "s3":
        raise ConfigError("only the s3 world takes --dirt")
    if not 1.0 <= dirt <= 10.0:
        raise ConfigError(f"--dirt must be from 1 to 10, not {dirt}")
    rows = DEFAULT_REPORTS if reports is None else reports
    if rows < 1:
        raise ConfigError(f"--reports must be at least 1, not {rows}")
    prepare_out(out)
    orgs = build_orgs()
    write_iptoasn(out / "iptoasn.tsv", orgs)
    write_shared_services(out / "shared_services.csv")
    write_processors(out)
    if profile == "market":
        return generate_market(out, seed=seed)
    if profile == "noisy":
        return generate_noisy_world(out, seed=seed, progress=progress, decoys=decoys, mutations=mutations,
                                    namespace=namespace, spellings=spellings)  # fmt: skip
    if profile == "s4":
        return generate_brand_world(out, seed=seed, progress=progress, decoys=decoys, mutations=mutations, namespace=namespace)
    return generate_hosting_world(out, seed=seed, rows=rows, progress=progress, decoys=decoys, mutations=mutations,
                                  namespace=namespace, dirt=dirt)  # fmt: skip
