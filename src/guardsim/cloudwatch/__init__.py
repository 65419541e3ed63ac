"""Pure CloudWatch semantics: statistics, metric math, alarm evaluation and its schedule.

No SimPy, no boto3, no clock: given datapoints, say exactly what CloudWatch would say.
"""
