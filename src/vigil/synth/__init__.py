"""Synthetic worlds with ground truth, for tests, demos and benchmarks.

``generate_world(out, seed=..., reports=...)`` writes hotline report files, the world's own
IP database and shared-services file, and the expected results under ``truth/``
(docs/synthetic-world.md). Everything in a world is reserved or fictional: hostnames
under .test/.example/.invalid, documentation and reserved IP ranges, private ASNs.
"""

from vigil.synth.generate import generate_world
from vigil.synth.hosting_world.calibration import DEFAULT_REPORTS
from vigil.synth.outputs import WorldSummary

__all__ = ["DEFAULT_REPORTS", "WorldSummary", "generate_world"]
