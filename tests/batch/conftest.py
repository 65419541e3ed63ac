"""The batch engine's tests share the fast-vs-exact scenarios and tests of ``tests/simulator``."""

import sys
from pathlib import Path

# test_batch_vs_fast imports test_fast_vs_exact by module name, as pytest itself imports it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "simulator"))
