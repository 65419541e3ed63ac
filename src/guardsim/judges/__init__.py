"""Statistical judges: tests of "the new fleet is worse" on the per-minute counts an alarm reads,
for comparing what CloudWatch alarms can decide with what a sequential test can
(:mod:`guardsim.judges.kernels`)."""
