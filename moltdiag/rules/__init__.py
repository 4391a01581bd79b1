"""Rules: each turns the correlated timeline into findings with evidence, ruled-out causes and blind spots."""

from __future__ import annotations

from moltdiag.correlate.timeline import Timeline
from moltdiag.rules.finding import SEVERITIES, Finding
from moltdiag.rules.unexplained_reset import REPLAY_RULE_ID, RULE_ID, ResetParams, classify_resets

CATALOGUE = {
    RULE_ID: "A session started and nothing in the inputs explains it, or a command reset ran during gateway instability",
    REPLAY_RULE_ID: "A /new or /reset ran from an interaction created long before it was processed",
}


def run_rules(tl: Timeline, reset_params: ResetParams | None = None) -> list[Finding]:
    findings = classify_resets(tl, reset_params)
    return sorted(findings, key=lambda f: (f.ts, f.rule))


__all__ = ["CATALOGUE", "SEVERITIES", "Finding", "ResetParams", "run_rules"]
