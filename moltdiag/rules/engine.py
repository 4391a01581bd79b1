"""Compile rule files to Polars and run them over a timeline.

Every correlation is a handful of frame operations (filters, `join_asof`, per-group
diffs and cumulative sums), never a Python loop over events; Python only formats the
few findings that result.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from moltdiag.correlate.timeline import Timeline
from moltdiag.rules.finding import Finding, iso_z
from moltdiag.rules.model import Rule, Selector

FORMAT_SOURCES = {
    "gateway-log": ("journald", "openclaw-file", "openclaw-logs", "pasted", "console"),
    "transcript": ("transcript", "sqlite-store"),
    "session-store": ("sessions-json", "sqlite-store"),
    "commands-log": ("commands-log",),
}
EVIDENCE_LIMIT = 12


@dataclass
class RuleRun:
    """What `check` ran: findings plus the rules that could not run and why."""

    findings: list[Finding] = field(default_factory=list)
    not_evaluated: list[tuple[str, str]] = field(default_factory=list)
    evaluated: list[str] = field(default_factory=list)
    missing_sources: dict[str, list[str]] = field(default_factory=dict)  # rule id -> sources it lacked


def diagnostic_events(tl: Timeline) -> pl.DataFrame:
    """The timed events a data rule can match: most log lines are kind `other`, so filtering
    them out once makes every rule scan a frame a fraction of the size. Python checks that need
    every line (clock integrity) read `tl.events` themselves."""
    cached = tl.__dict__.get("_diagnostic_events")
    if cached is None:
        cached = tl.events.filter((pl.col("kind") != "other") & pl.col("ts").is_not_null())
        tl.__dict__["_diagnostic_events"] = cached
    return cached


def sources_present(tl: Timeline) -> set[str]:
    # Row formats too: an ingested dataset or a pasted file carries several kinds of source.
    formats = {p.format for p in tl.inputs if p.event_count} | set(tl.events["format"].unique().drop_nulls().to_list())
    return {src for src, prefixes in FORMAT_SOURCES.items() if any(f.startswith(prefixes) for f in formats)}


def _condition(column: str, op: str, value) -> pl.Expr:
    col = pl.col(column)
    return {
        "eq": lambda: col == value,
        "ne": lambda: col != value,
        "in": lambda: col.is_in(list(value)),
        "not_in": lambda: ~col.is_in(list(value)),
        "gte": lambda: col >= value,
        "gt": lambda: col > value,
        "lte": lambda: col <= value,
        "lt": lambda: col < value,
        "matches": lambda: col.cast(pl.String).str.contains(value),
        "not_matches": lambda: ~col.cast(pl.String).str.contains(value),
        "is_null": lambda: col.is_null() if value else col.is_not_null(),
    }[op]().fill_null(False)


def selector_expr(sel: Selector) -> pl.Expr:
    expr = pl.col("kind").is_in(list(sel.kinds))
    for column, ops in sel.where.items():
        for op, value in ops.items():
            expr = expr & _condition(column, op, value)
    return expr


def match_expr(rule: Rule) -> pl.Expr:
    return pl.any_horizontal([selector_expr(s) for s in rule.selectors])


def _clusters(hits: pl.DataFrame, gap: timedelta, by: list[str]) -> pl.DataFrame:
    """Number runs of hits (per group) whose neighbours are at most `gap` apart."""
    hits = hits.sort([*by, "ts", "source", "line"])
    split = pl.col("ts").diff().over(by) > gap if by else pl.col("ts").diff() > gap
    return hits.with_columns(_cluster=split.fill_null(True).cast(pl.Int64).cum_sum().over(by) if by
                             else split.fill_null(True).cast(pl.Int64).cum_sum())


def _fill_keys(df: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """join_asof and group keys must not be null: use an explicit placeholder."""
    casts = []
    for c in columns:
        casts.append(pl.col(c).cast(pl.String).fill_null("∅").alias(f"_k_{c}"))
    return df.with_columns(casts) if casts else df


def _format(rule: Rule, values: dict) -> str:
    class Missing(dict):
        def __missing__(self, key):
            return "?"

    return rule.message.format_map(Missing(values))


def _values(rule: Rule, rows: pl.DataFrame, tl: Timeline) -> dict:
    first, last = rows["ts"].min(), rows["ts"].max()
    anchor = rows.sort("ts", "source", "line").row(0, named=True)
    codes = sorted({c for c in rows["code"].drop_nulls().to_list()} | {c for c in rows["after_code"].drop_nulls().to_list()})
    span = (last - first) if first is not None and last is not None else timedelta(0)
    values = {k: ("?" if v is None else v) for k, v in anchor.items()}
    values.update(
        count=rows.height,
        first=tl.clock.local_label(first),
        last=tl.clock.local_label(last),
        span=_human(span),
        codes=", ".join(map(str, codes)) or "none",
        max_duration_ms=f"{rows['duration_ms'].max():.0f}" if rows["duration_ms"].drop_nulls().len() else "?",
        channel=anchor["channel"] or "?",
        host=anchor["host"] or "?",
    )
    if isinstance(values.get("duration_ms"), float):
        values["duration_ms"] = f"{values['duration_ms']:.0f}"
    return values


def _human(delta: timedelta) -> str:
    s = delta.total_seconds()
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def _finding(rule: Rule, rows: pl.DataFrame, tl: Timeline, blind: list[str], extra: dict | None = None) -> Finding:
    rows = rows.sort("ts", "source", "line")
    anchor = rows.row(0, named=True)
    values = _values(rule, rows, tl)
    if extra:
        values.update(extra)
    evidence = [
        {"source": r["source"], "line": r["line"], "ts": iso_z(r["ts"]), "kind": r["kind"], "text": r["text"],
         **{c: r[c] for c in rule.evidence if c in r and c not in ("source", "line", "ts", "kind", "text")}}
        for r in rows.head(EVIDENCE_LIMIT).iter_rows(named=True)
    ]
    facts = {"events": rows.height}
    if rows.height > EVIDENCE_LIMIT:
        facts["evidence_trimmed"] = rows.height - EVIDENCE_LIMIT
    return Finding(
        rule=rule.id, severity=rule.severity, ts=anchor["ts"], summary=_format(rule, values),
        anchor=(anchor["source"], anchor["line"]), session_id=anchor.get("session_id"),
        evidence=evidence, blind_spots=list(blind), facts=facts,
    )


def _run_each(rule, matched, tl, blind):
    merge = rule.correlate.get("merge", timedelta(minutes=1))
    by = ["channel", "host"]
    matched = _fill_keys(matched, by)
    keys = [f"_k_{c}" for c in by]
    clustered = _clusters(matched, merge, keys)
    return [_finding(rule, g.drop("_cluster", *keys), tl, blind)
            for _, g in clustered.group_by([*keys, "_cluster"], maintain_order=True)]


def _run_count(rule, matched, tl, blind):
    window, at_least = rule.correlate["window"], int(rule.correlate["at_least"])
    by = list(rule.correlate.get("group_by", []))
    matched = _fill_keys(matched, by)
    keys = [f"_k_{c}" for c in by]
    if keys:
        # A group with fewer rows than `at_least` cannot fire: most groups, when the key is a
        # message id (671k of them for 10k transcripts, which took 45 s in a Python loop).
        matched = matched.filter(pl.len().over(keys) >= at_least)
        if matched.is_empty():
            return []
    matched = matched.sort([*keys, "ts", "source", "line"])
    # For each row: how many matches of its group fall in (ts - window, ts]. A window expression
    # keeps each count on its own row; the group_by rolling used before returned rows grouped by
    # key, and checking all excerpt fixtures at once gave a lone 409 another group's count.
    count = pl.col("ts").is_not_null().cast(pl.Int64).rolling_sum_by("ts", window_size=window, closed="right")
    matched = matched.with_columns(_n=count.over(keys) if keys else count)
    clustered = _clusters(matched, window, keys)
    # only the runs that reach `at_least` are looked at one by one
    clustered = clustered.filter(pl.col("_n").max().over([*keys, "_cluster"]) >= at_least)
    return [_finding(rule, group.drop("_cluster", "_n", *keys), tl, blind)
            for _, group in clustered.group_by([*keys, "_cluster"], maintain_order=True)]


def _paired(matched: pl.DataFrame, events: pl.DataFrame, selector: Selector, same: list[str]):
    """The anchors and the events a sequence/absence looks for, both keyed on `same` for join_asof."""
    other = _fill_keys(events.filter(selector_expr(selector) & pl.col("ts").is_not_null()), same)
    return _fill_keys(matched, same), other, [f"_k_{c}" for c in same]


def _run_sequence(rule, matched, tl, blind):
    events = diagnostic_events(tl)
    corr = rule.correlate
    first, then, keys = _paired(matched, events, corr["then"], list(corr.get("same", [])))
    right = then.select(*keys, pl.col("ts").alias("_then_ts"), pl.col("source").alias("_then_source"),
                        pl.col("line").alias("_then_line")).sort("_then_ts")
    joined = first.sort("ts").join_asof(right, left_on="ts", right_on="_then_ts", by=keys or None,
                                        strategy="forward", tolerance=corr["within"],
                                        check_sortedness=False)
    hits = joined.filter(pl.col("_then_ts").is_not_null() & ~((pl.col("_then_source") == pl.col("source"))
                                                                & (pl.col("_then_line") == pl.col("line"))))
    if hits.is_empty():
        return []
    at_least = int(corr.get("at_least", 1))
    window = corr.get("window", corr["within"])
    clustered = _clusters(hits, window, keys)
    findings = []
    for _, group in clustered.group_by([*keys, "_cluster"], maintain_order=True):
        if group.height < at_least:
            continue
        # Evidence: each first event and the event that followed it.
        pairs = events.join(
            group.select(pl.col("_then_source").alias("source"), pl.col("_then_line").alias("line")),
            on=["source", "line"], how="semi",
        )
        rows = pl.concat([group.select(events.columns), pairs.select(events.columns)]).unique(
            subset=["source", "line"], keep="first")
        findings.append(_finding(rule, rows, tl, blind, {"count": group.height}))
    return findings


def _run_absence(rule, matched, tl, blind):
    events = diagnostic_events(tl)
    corr = rule.correlate
    first, missing, keys = _paired(matched, events, corr["missing"], list(corr.get("same", [])))
    right = missing.select(*keys, pl.col("ts").alias("_m_ts")).sort("_m_ts")
    explained = pl.lit(False)
    first = first.sort("ts")
    for strategy, key in (("backward", "before"), ("forward", "after")):
        span = corr.get(key)
        if not span:
            continue
        joined = first.join_asof(right, left_on="ts", right_on="_m_ts", by=keys or None, strategy=strategy,
                                 tolerance=span, check_sortedness=False)
        first = first.with_columns(joined["_m_ts"].is_not_null().alias(f"_has_{key}"))
        explained = explained | pl.col(f"_has_{key}")
    hits = first.filter(~explained)
    if hits.is_empty():
        return []
    merge = corr.get("merge", timedelta(0))
    clustered = _clusters(hits, merge, keys)
    return [_finding(rule, g.select(events.columns), tl, blind)
            for _, g in clustered.group_by([*keys, "_cluster"], maintain_order=True)]


def _run_check(rule, matched, tl, blind):
    module = importlib.import_module(f"moltdiag.rules.checks.{rule.correlate['check'].replace('-', '_')}")
    return [f for f in module.run(tl, rule, dict(rule.correlate.get("params", {}))) if f.rule == rule.id]


RUNNERS = {"each": _run_each, "count": _run_count, "sequence": _run_sequence, "absence": _run_absence,
           "check": _run_check}


def run_rule(rule: Rule, tl: Timeline, present: set[str] | None = None) -> tuple[list[Finding], str | None]:
    """Findings of one rule, or the reason it could not be evaluated."""
    present = sources_present(tl) if present is None else present
    absent = [s for s in rule.needs if s not in present]
    if absent:
        return [], rule.blind_spot or f"needs {', '.join(absent)}"
    blind = [rule.help_blind_spots.get(s, f"no {s} given") for s in rule.helps if s not in present]
    if rule.correlate["type"] == "check":
        return _run_check(rule, None, tl, blind), None
    matched = diagnostic_events(tl).filter(match_expr(rule))
    if matched.is_empty():
        return [], None
    return RUNNERS[rule.correlate["type"]](rule, matched, tl, blind), None


def evaluate(rules: list[Rule], tl: Timeline) -> RuleRun:
    run = RuleRun()
    present = sources_present(tl)
    for rule in rules:
        findings, reason = run_rule(rule, tl, present)
        if reason:
            run.not_evaluated.append((rule.id, reason))
            run.missing_sources[rule.id] = [s for s in rule.needs if s not in present]
            continue
        run.evaluated.append(rule.id)
        run.findings.extend(findings)
    run.findings.sort(key=lambda f: (f.ts, f.rule, f.anchor))
    return run
