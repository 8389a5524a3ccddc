"""The seven phases, each a coroutine that fills one section of the report.

Every phase runs at a fixed concurrency (or a fixed rate), excludes a warm-up
and measures a steady window. A phase that could not measure says why in its
"status" ("error: ..."); nothing is skipped.
"""

from bench.phases.common import Bench
from bench.phases.run import run_all

__all__ = ["Bench", "run_all"]
