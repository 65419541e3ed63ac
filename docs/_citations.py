"""Citations of documents that are not in the repository, and the anchors that replace them.

Older docstrings, comments and messages cite a research document and a design document that are
not part of guardsim ("spec 2.8", "[CW2]", "open question 3", "DESIGN.md"). Each such citation
is to be replaced by a link to the entry of ``docs/explanation/aws-model.md`` (or of the
architecture page) that states the same fact. :data:`CITATIONS` maps each citation, as it is
written in the code, to that target; :data:`CITATION_RE` finds citations, and the test
``tests/docs/test_docs_citations.py`` uses both.

A target is ``PAGE#anchor`` relative to the repository root; :data:`SITE_PATHS` gives the
address of each page in the built site, for messages shown to users.
"""

from __future__ import annotations

import re

AWS = "docs/explanation/aws-model.md"
ARCHITECTURE = "docs/explanation/architecture.md"

#: page in the repository -> its path in the built site (mkdocs' directory URLs)
SITE_PATHS = {
    AWS: "explanation/aws-model/",
    ARCHITECTURE: "explanation/architecture/",
}

#: What finds a citation of a document outside the repository: a section of the research
#: document ("spec 2.8", "spec section 7", "the spec"), one of its open questions, its evidence
#: labels ("[INF]"), a bracketed source tag ("[CW2]", "[CW6, S4]", "[D4, spec 2.4]"), or the
#: design document.
CITATION_RE = re.compile(
    r"\bspec\s+section\s+\d+"
    r"|\bspec\s+(?:§\s*)?\d+(?:\.\d+)*(?:\s+item\s+\d+)?"
    r"|\bthe\s+spec\b|\bspec's\b|\bits\s+spec\b|\bspec\s+\[INF\]"
    r"|\bopen\s+questions?\s+\d+"
    r"|\bDESIGN(?:\.md)?\b"
    r"|\[(?:INF|TEST|DOC|EX|3P)\]"
    r"|\[(?:S[1-4]|D\d{1,2}|CW\d|KC1|N1|I[12]|T[12]|P1)\b[^\]\n]*\]"
)

#: citation as written (a source tag, "spec N.M", "open question N", a label) -> target
CITATIONS: dict[str, str] = {
    # --- source tags: the behaviour each source is cited for
    "S1": f"{AWS}#deployment-config",
    "S2": f"{AWS}#detecting-the-outcome",
    "S3": f"{AWS}#invoke-errors",
    "S4": f"{AWS}#put-metric-alarm",
    "D1": f"{AWS}#fleet-sizes",
    "D2": f"{AWS}#blue-green-rollback",
    "D3": f"{AWS}#all-at-once",
    "D4": f"{AWS}#canary",
    "D5": f"{AWS}#linear",
    "D6": f"{AWS}#rolling",
    "D7": f"{AWS}#alarm-guidance",
    "D8": f"{AWS}#exclusions",
    "D9": f"{AWS}#eventbridge",
    "D10": f"{AWS}#invocation-metrics",
    "D11": f"{AWS}#invocation-metrics",
    "D12": f"{AWS}#src-d12",
    "CW1": f"{AWS}#evaluation-schedule",
    "CW2": f"{AWS}#missing-data",
    "CW3": f"{AWS}#low-sample-percentiles",
    "CW4": f"{AWS}#metric-math",
    "CW5": f"{AWS}#put-metric-alarm",
    "CW6": f"{AWS}#low-sample-percentiles",
    "CW7": f"{AWS}#composite-alarms",
    "KC1": f"{AWS}#late-data",
    "N1": f"{AWS}#alarm-guidance",
    "I1": f"{AWS}#detecting-the-outcome",
    "I2": f"{AWS}#timings",
    "T1": f"{AWS}#metric-publish-delay",
    "T2": f"{AWS}#metric-publish-delay",
    "P1": f"{AWS}#billing",
    # --- sections of the research document
    "spec 1.1": f"{AWS}#deployment-config",
    "spec 1.2": f"{AWS}#deployment-config",
    "spec 1.3": f"{AWS}#deployment-config",
    "spec 1.4": f"{AWS}#percent-rounding",
    "spec 1.5": f"{AWS}#rolling",
    "spec 1.6": f"{AWS}#deployment-config",
    "spec 1.7": f"{AWS}#size-limits",
    "spec 1.8": f"{AWS}#update-endpoint",
    "spec 1.9": f"{AWS}#update-endpoint",
    "spec 1.10": f"{AWS}#eventbridge",
    "spec 2.1": f"{AWS}#fleet-sizes",
    "spec 2.2": f"{AWS}#fleet-sizes",
    "spec 2.3": f"{AWS}#all-at-once",
    "spec 2.4": f"{AWS}#canary",
    "spec 2.5": f"{AWS}#linear",
    "spec 2.6": f"{AWS}#blue-green-rollback",
    "spec 2.7": f"{AWS}#rolling",
    "spec 2.8": f"{AWS}#alarm-guidance",
    "spec 2.9": f"{AWS}#exclusions",
    "spec 2.10": f"{AWS}#availability",
    "spec 2.11": f"{AWS}#timeout-behaviour",
    "spec 2.12": f"{AWS}#detecting-the-outcome",
    "spec 2.13": f"{ARCHITECTURE}#the-deployment-state-machine",
    "spec 3.1": f"{AWS}#invocation-metrics",
    "spec 3.2": f"{AWS}#invoke-errors",
    "spec 4.1": f"{AWS}#put-metric-alarm",
    "spec 4.2": f"{AWS}#alarm-states",
    "spec 4.3": f"{AWS}#evaluation-schedule",
    "spec 4.4": f"{AWS}#m-out-of-n",
    "spec 4.5": f"{AWS}#missing-data",
    "spec 4.6": f"{AWS}#low-sample-percentiles",
    "spec 4.7": f"{AWS}#metric-publish-delay",
    "spec 4.8": f"{AWS}#metric-math",
    "spec 4.9": f"{AWS}#composite-alarms",
    "spec 4.10": f"{AWS}#composite-alarms",
    "spec 4.11": f"{AWS}#put-metric-alarm",
    "spec 5": f"{AWS}#billing",
    "spec 6": f"{AWS}#timings",
    "spec 7": f"{AWS}#undocumented",
    "spec section 7": f"{AWS}#undocumented",
    # --- the research document's open questions
    "open question 1": f"{AWS}#trip-definition",
    "open question 2": f"{AWS}#alarm-at-bake-start",
    "open question 3": f"{AWS}#alarm-polling",
    "open question 4": f"{AWS}#composite-alarms",
    "open question 5": "docs/how-to/real-sagemaker.md#minimal-iam-permissions",
    "open question 6": f"{AWS}#all-at-once-wait-interval",
    "open question 7": f"{AWS}#canary",
    "open question 8": f"{AWS}#timeout-behaviour",
    "open question 9": f"{AWS}#percent-rounding",
    "open question 10": f"{AWS}#departures",
    "open question 11": f"{AWS}#departures",
    "open question 12": f"{AWS}#update-endpoint",
    "open question 13": f"{AWS}#departures",
    "open question 14": f"{AWS}#rolling",
    "open question 15": f"{AWS}#update-endpoint",
    "open question 16": f"{AWS}#detecting-the-outcome",
    "open question 17": f"{AWS}#invoke-errors",
    "open question 18": f"{AWS}#per-config-metrics",
    "open question 19": f"{AWS}#metric-publish-delay",
    "open question 20": f"{AWS}#alarm-guidance",
    "open question 21": f"{AWS}#exclusions",
    "open question 22": f"{AWS}#billing",
    "open question 23": f"{AWS}#timings",
    # --- evidence labels and the design document
    "[INF]": f"{AWS}#undocumented",
    "[TEST]": f"{AWS}#size-limits",
    "[DOC]": f"{AWS}#sources",
    "[EX]": f"{AWS}#sources",
    "[3P]": f"{AWS}#sources",
    "the spec": f"{AWS}#sources",
    "DESIGN": f"{ARCHITECTURE}",
}


def target(citation: str) -> str | None:
    """The target of one citation as :data:`CITATION_RE` finds it, or None if it has none.

    A bracketed group such as ``[CW2, spec 4.5 item 1]`` is resolved by its first entry."""
    text = " ".join(citation.split())
    if text.startswith("[") and text not in CITATIONS:
        text = re.split(r"[,;\]]", text[1:], maxsplit=1)[0].strip()
        tag = re.match(r"(?:S[1-4]|D\d{1,2}|CW\d|KC1|N1|I[12]|T[12]|P1)\b", text)
        text = tag.group(0) if tag else text
    text = re.sub(r"\s+item\s+\d+$", "", text)
    text = text.replace("§", "").replace("spec  ", "spec ")
    if text.startswith(("its spec", "spec's", "spec [INF]")):
        text = "the spec"
    if text.startswith("DESIGN"):
        text = "DESIGN"
    if text.startswith("open questions"):
        text = text.replace("open questions", "open question")
    return CITATIONS.get(text)
