"""Rules as data: `catalogue/<id>.toml` files compiled to Polars by engine.py.

model.py loads and validates rule files, engine.py runs them over a Timeline,
checks/ holds the Python a rule file may name, selftest.py runs the samples each
rule file carries.
"""

from __future__ import annotations

from moltdiag.correlate.timeline import Timeline
from moltdiag.rules.engine import RuleRun, evaluate
from moltdiag.rules.finding import Finding
from moltdiag.rules.model import SEVERITIES, Rule, RuleError, load_rules


def override_params(rules: list[Rule], check: str, **params) -> None:
    """Set parameters of every rule backed by `check` (CLI flags beat rule files)."""
    for rule in rules:
        if rule.correlate.get("check") == check:
            rule.correlate.setdefault("params", {}).update({k: v for k, v in params.items() if v is not None})


def run_rules(tl: Timeline, rules: list[Rule] | None = None) -> list[Finding]:
    return evaluate(rules if rules is not None else load_rules(), tl).findings


__all__ = ["SEVERITIES", "Finding", "Rule", "RuleError", "RuleRun", "evaluate", "load_rules", "override_params",
           "run_rules"]
