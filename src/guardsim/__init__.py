"""guardsim: predict what a SageMaker deployment guardrail will do, before a real deployment."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
