"""Results display themselves: a short readable repr, and in Jupyter a card with the key figure
and a small table (``_repr_html_``), for run records, Monte Carlo and sweep results and
recommendations."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import guardsim
from guardsim.reports.text import summary_headline


class Tags(HTMLParser):
    """Counts the tags of an HTML fragment and checks that every opened tag is closed."""

    VOID = frozenset({"br", "hr", "img"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.count: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    tags.close()
    assert tags.open == []
    return tags


@pytest.fixture(scope="module")
def record() -> guardsim.RunRecord:
    return guardsim.simulate(guardsim.load_scenario("seed-canary-rollback"), seed=1, mode="fast")


def test_a_run_record_shows_its_outcome(record: guardsim.RunRecord) -> None:
    text = repr(record)
    assert text.startswith("<RunRecord seed-canary-rollback (seed 1, fast mode)")
    assert summary_headline(record) in text and "\n" not in text
    assert len(text) < 400  # not a dump of every datapoint
    html = record._repr_html_()
    assert summary_headline(record) in html
    assert "blast radius" in html
    assert parsed(html).count["tr"] >= len(record.transitions) + 9


def test_a_monte_carlo_result_shows_its_rollback_probability() -> None:
    result = guardsim.monte_carlo(guardsim.load_scenario("seed-canary-rollback"), 40, seed=1)
    s = result.summary
    assert repr(result).startswith("<MonteCarloResult seed-canary-rollback: 40 replications")
    assert f"rolled back in {s.rolled_back} " in repr(result)
    html = result._repr_html_()
    assert f"rolled back in {s.rolled_back} of 40 runs" in html
    for alarm in s.alarm_trips:
        assert f"alarm {alarm} tripped" in html
    parsed(html)


@pytest.fixture(scope="module")
def swept() -> object:
    return guardsim.sweep(
        guardsim.load_scenario("seed-canary-success"),
        ["models.green.error_rate_5xx=0.001,0.05"],
        30,
        executor="serial",
    )


def test_a_sweep_result_shows_its_table(swept: guardsim.montecarlo.sweep.SweepResult) -> None:
    assert repr(swept).startswith("<SweepResult seed-canary-success: 2 configuration(s)")
    html = swept._repr_html_()
    tags = parsed(html)
    assert "models.green.error_rate_5xx" in html and "p_rollback" in html
    assert tags.count["tr"] >= 1 + 2  # a header and a row per configuration


def test_a_recommendation_shows_its_choice(swept: guardsim.montecarlo.sweep.SweepResult) -> None:
    rec = guardsim.recommend(
        swept.table,
        bad={"models.green.error_rate_5xx": 0.05},
        healthy={"models.green.error_rate_5xx": 0.001},
    )
    assert repr(rec) == f"<Recommendation\n{rec.text()}\n>"
    assert "Recommendation (bad model" in repr(rec)
    html = rec._repr_html_()
    assert "Pareto front" in html
    best = next(line.strip() for line in rec.text().splitlines() if "best:" in line)
    assert best in html.replace("&#x27;", "'")
    parsed(html)
