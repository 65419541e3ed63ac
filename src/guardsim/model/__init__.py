"""The model of SageMaker and its fleets, written once: pure functions, scalar or numpy array.

Every engine (the SimPy per-request and per-replication engines, the batch engine) and the
fake AWS call these kernels rather than restating the model.
"""
