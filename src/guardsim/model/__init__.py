"""The model of SageMaker and the fleets, written once for every engine.

Pure functions and small frozen types, each taking a scalar (one replication) or a numpy array
(a block of replications, or every request of a batch) alike: the exact and fast data planes,
the batch engine and the emulator all call these kernels and keep no copy of their own.
"""
