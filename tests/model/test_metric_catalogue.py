"""The metric catalogue (guardsim.model.metrics) is consistent and is what its users read."""

from __future__ import annotations

from guardsim.model import metrics as catalogue
from guardsim.real_backend.collect import dimension_sets, metric_queries


def test_the_subsets_are_of_the_metrics_and_every_metric_has_a_unit() -> None:
    everything = set(catalogue.METRICS)
    for subset in (catalogue.ERROR_METRICS, catalogue.LATENCY_METRICS, catalogue.RAW_METRICS):
        assert set(subset) <= everything
    assert not set(catalogue.ERROR_METRICS) & set(catalogue.RAW_METRICS)
    assert set(catalogue.UNITS) == everything
    assert {m for m, u in catalogue.UNITS.items() if u == "Microseconds"} == set(
        catalogue.LATENCY_METRICS
    )
    assert catalogue.DIMENSION_SETS[0] == catalogue.VARIANT_DIMENSIONS
    assert set(catalogue.DIMENSION_SETS[1]) == set(catalogue.DIMENSION_NAMES)


def test_collection_queries_every_metric_under_both_dimension_sets() -> None:
    sets = dimension_sets("ep", "AllTraffic", "blue-config", "green-config")
    queries = metric_queries(sets)
    assert {q.metric for q in queries} == set(catalogue.METRICS)
    percentiles = {q.metric for q in queries if q.statistic.startswith("p")}
    assert percentiles == set(catalogue.LATENCY_METRICS)
    boto = queries[0].boto(60)["MetricStat"]["Metric"]
    assert boto["Namespace"] == catalogue.NAMESPACE
    names = {tuple(d["Name"] for d in q.dimensions.boto()) for q in queries}
    assert names == set(catalogue.DIMENSION_SETS)
