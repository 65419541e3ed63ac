"""The SimPy simulation of a SageMaker deployment: fleets, traffic, metrics, alarms, controller."""

from guardsim.simulator.engine import simulate

__all__ = ["simulate"]
