"""Synthetic worlds with ground truth, for tests, demos and benchmarks.

``generate_world(out, seed=..., reports=...)`` writes hotline report files, the world's own
IP database and shared-services file, and the expected results under ``truth/``
(docs/synthetic-world.md). Everything in a world is reserved or fictional: hostnames
under .test/.example/.invalid, documentation and reserved IP ranges, private ASNs.
"""

from vigil.synth.calibration import DEFAULT_REPORTS
from vigil.synth.world import WorldSummary, generate_world

__all__ = ["DEFAULT_REPORTS", "WorldSummary", "generate_world"]
