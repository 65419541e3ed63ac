"""What ``guardsim design`` prints: the winner, its evidence, its gap to the best judge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from guardsim.design.output import boto3_snippet, cloudformation_snippet, terraform_snippet
from guardsim.design.search import Candidate, DesignResult, Evidence
from guardsim.judges.evaluate import GuardResult

FORMAT = "guardsim.design/1"


@dataclass(frozen=True)
class JudgeGap:
    """The best judge within the false-rollback limit (by its measured upper bound) on the
    judges' runs of the same scenario and seed, and the winner's excess over it."""

    judge: GuardResult | None
    objective: str
    winner_value: float | None

    @property
    def judge_value(self) -> float | None:
        if self.judge is None:
            return None
        if self.objective == "blast-radius":
            return self.judge.blast_radius_mean
        return self.judge.detection_time_mean

    def to_data(self) -> dict[str, Any]:
        gap = None
        if self.judge_value is not None and self.winner_value is not None:
            gap = self.winner_value - self.judge_value
        return {
            "judge": self.judge.to_data() if self.judge is not None else None,
            "objective": self.objective,
            "winner": self.winner_value,
            "best_judge": self.judge_value,
            "gap": gap,
        }


def best_judge(
    judges: tuple[GuardResult, ...], max_false: float, objective: str = "blast-radius"
) -> GuardResult | None:
    """The judge with the best ``objective`` among those whose false-rollback upper bound is
    within ``max_false`` (detection time: among those that detect at all)."""
    within = [j for j in judges if j.false_rollback.ci[1] <= max_false]
    if objective == "blast-radius":
        return min(within, key=lambda j: j.blast_radius_mean) if within else None
    timed = [j for j in within if j.detection_time_mean is not None]
    return min(timed, key=lambda j: j.detection_time_mean or 0.0) if timed else None


def _pct(ci: tuple[float, float]) -> str:
    return f"[{100 * ci[0]:.1f}%, {100 * ci[1]:.1f}%]"


def _evidence_text(e: Evidence) -> list[str]:
    det = f"{e.detection_time_mean:.0f} s" if e.detection_time_mean is not None else "-"
    return [
        f"  catches the bad model in {e.detected} of {e.n} runs ({100 * e.detected / e.n:.1f}%, "
        f"95% CI {_pct(e.catch_ci)})",
        f"  false rollbacks of the healthy model: {e.false_rollbacks} of {e.n} "
        f"({100 * e.false_rollbacks / e.n:.1f}%, 95% CI {_pct(e.false_ci)})",
        f"  blast radius: mean {e.blast_radius_mean:.1f} errors served by the new fleet "
        f"(p95 {e.blast_radius_p95:.0f}); mean detection {det} after UpdateEndpoint",
        f"  ({e.mode} mode, seed {e.seed})",
    ]


def candidate_data(c: Candidate) -> dict[str, Any]:
    return {
        "structure": c.structure.describe(),
        "threshold": c.threshold,
        "put_metric_alarm": c.kwargs,
        "evidence": c.evidence.to_data() if c.evidence is not None else None,
        "false_rollback_high": c.false_high,
    }


def design_data(result: DesignResult, gap: JudgeGap | None) -> dict[str, Any]:
    w = result.winner
    return {
        "format": FORMAT,
        "scenario": result.scenario.name,
        "n": result.n,
        "seed": result.seed,
        "limits": {
            "max_false_rollback": result.limits.max_false_rollback,
            "min_catch": result.limits.min_catch,
            "objective": result.limits.objective,
        },
        "structures": result.structures,
        "monte_carlo_runs": result.evaluated,
        "winner": candidate_data(w) if w is not None else None,
        "cloudformation": cloudformation_snippet(w.kwargs) if w is not None else None,
        "terraform": terraform_snippet(w.kwargs) if w is not None else None,
        "feasible": [candidate_data(c) for c in result.feasible],
        "closest": candidate_data(result.closest) if result.closest is not None else None,
        "why": result.why,
        "judge_gap": gap.to_data() if gap is not None else None,
    }


def design_json(result: DesignResult, gap: JudgeGap | None) -> str:
    return json.dumps(design_data(result, gap), indent=2, allow_nan=False)


def design_text(result: DesignResult, gap: JudgeGap | None) -> str:
    lim = result.limits
    head = (
        f"{result.scenario.name}: searched {result.structures} alarm structures "
        f"({result.evaluated} Monte Carlo runs of {result.n} replications, seed {result.seed}) "
        f"for the smallest {lim.objective.replace('-', ' ')} with false rollback <= "
        f"{100 * lim.max_false_rollback:g}% (95% upper bound)"
        + (f" and catch >= {100 * lim.min_catch:g}% (lower bound)" if lim.min_catch else "")
    )
    w = result.winner
    if w is None:
        lines = [head, f"no alarm meets the limits: {result.why}"]
        if result.closest is not None:
            lines.append(
                f"closest: {result.closest.structure.describe()}, threshold "
                f"{result.closest.threshold:g}"
            )
        return "\n".join(lines) + "\n"
    assert w.evidence is not None
    lines = [head, "", f"winner: {w.structure.describe()}, threshold > {w.threshold:g}"]
    lines += _evidence_text(w.evidence)
    if gap is not None:
        if gap.judge is None:
            lines.append("  no judge keeps its false rollbacks within the limit on these runs")
        else:
            jv = gap.judge_value
            wv = gap.winner_value
            unit = "errors" if gap.objective == "blast-radius" else "s"
            diff = (wv or 0.0) - (jv or 0.0)
            if diff >= 0:
                versus = f"the price of staying expressible in CloudWatch: {diff:+.1f} {unit}"
            else:
                # the judge assumes nothing about the old model's error rate and holds its
                # bound at any traffic; the alarm's threshold was set at this traffic
                versus = (
                    f"the alarm does better by {-diff:.1f} {unit}: its threshold is set by "
                    "simulation at this traffic and these error rates, the judge's bound holds "
                    "at any"
                )
            lines.append(
                f"  best judge within the limit: {gap.judge.name} ({jv:.1f} {unit}); {versus}"
            )
    others = [c for c in result.feasible if c is not w][:5]
    if others:
        lines += ["", "runners-up:"]
        for c in others:
            assert c.evidence is not None
            lines.append(
                f"  {c.evidence.blast_radius_mean:7.1f} errors  {c.structure.describe()}, "
                f"threshold > {c.threshold:g}"
            )
    lines += ["", "put_metric_alarm keyword arguments:", boto3_snippet(w.kwargs)]
    lines += ["CloudFormation:", cloudformation_snippet(w.kwargs)]
    lines += ["Terraform:", terraform_snippet(w.kwargs)]
    return "\n".join(lines)


__all__ = ["FORMAT", "JudgeGap", "best_judge", "design_data", "design_json", "design_text"]
