"""The model of SageMaker and its fleets, written once: pure, scalar-or-array kernels."""
