"""A finding: what fired, on which evidence lines, what was ruled out, what the inputs cannot show."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

SEVERITIES = ("info", "warning", "high")


@dataclass
class Finding:
    rule: str
    severity: str
    ts: datetime  # the anchor instant (UTC)
    summary: str
    anchor: tuple[str, int]  # (source, line) of the anchor event: makes the id stable across runs
    session_id: str | None = None
    cause: str | None = None
    evidence: list[dict] = field(default_factory=list)
    ruled_out: list[str] = field(default_factory=list)
    blind_spots: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # typed details for machine output

    @property
    def id(self) -> str:
        digest = hashlib.sha256(f"{self.rule}|{self.anchor[0]}|{self.anchor[1]}".encode()).hexdigest()
        return f"{self.rule}-{digest[:10]}"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "ts": iso_z(self.ts),
            "session_id": self.session_id,
            "cause": self.cause,
            "summary": self.summary,
            "evidence": self.evidence,
            "ruled_out": self.ruled_out,
            "blind_spots": self.blind_spots,
            "facts": self.facts,
        }


def iso_z(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def evidence_rows(events: pl.DataFrame, predicate: pl.Expr, limit: int = 12) -> list[dict]:
    rows = events.filter(predicate).sort("ts", "source", "line").head(limit)
    return [
        {"source": r["source"], "line": r["line"], "ts": iso_z(r["ts"]), "kind": r["kind"], "text": r["text"]}
        for r in rows.select("source", "line", "ts", "kind", "text").iter_rows(named=True)
    ]
