"""Run the samples every rule file carries: `moltdiag rules test` and the test suite share this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from moltdiag import schema
from moltdiag.correlate.timeline import Timeline, timeline_from_parsed
from moltdiag.parsers.base import ParsedSource
from moltdiag.rules.engine import run_rule
from moltdiag.rules.model import SOURCES, Rule, Sample


@dataclass
class SampleResult:
    rule: str
    polarity: str
    name: str
    ok: bool
    detail: str


def sample_timeline(sample: Sample) -> Timeline:
    rows = []
    for index, event in enumerate(sample.events, 1):
        row = dict(event)
        row.setdefault("source", "sample")
        row.setdefault("line", index)
        if isinstance(row.get("ts"), str):
            row["ts"] = datetime.fromisoformat(row["ts"].replace("Z", "+00:00"))
        rows.append(row)
    frame = schema.conform(pl.from_dicts(rows, infer_schema_length=None))
    parsed = ParsedSource(source="sample", format="sample", events=frame, lines=len(rows))
    return timeline_from_parsed([parsed], tz=sample.tz, year=sample.year)


def run_samples(rule: Rule) -> list[SampleResult]:
    results = []
    for polarity, samples in (("positive", rule.positive), ("negative", rule.negative)):
        for sample in samples:
            findings, _ = run_rule(rule, sample_timeline(sample), present=set(SOURCES))
            if polarity == "positive":
                want = sample.findings
                ok = len(findings) == want if want is not None else len(findings) >= 1
                detail = f"{len(findings)} finding(s)" + (f", expected {want}" if want is not None else ", expected ≥ 1")
            else:
                ok = not findings
                detail = f"{len(findings)} finding(s), expected none" + (
                    f": {findings[0].summary}" if findings else "")
            results.append(SampleResult(rule.id, polarity, sample.name, ok, detail))
    return results
