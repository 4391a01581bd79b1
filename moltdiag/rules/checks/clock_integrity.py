"""Check `clock_integrity` behind clock-integrity.toml: do a log's own stamps run forward?

Inside one source, in line order, looking only at lines whose time came from the line itself
(a continuation or unstamped line, whose ts_note starts with "no stamp", borrowed its time):

  out of order  a line stamped more than `backward` (default 2 s) earlier than the stamped line
                before it. A log is written in time order, so this is a clock stepped back
                (NTP correction, WSL2/VM resume), stdout and stderr or two processes with
                different clocks interleaved, lines pasted out of order, or — in journal
                `short` output — a wrong or inferred zone for the journal's own stamps next to
                the gateway's zoned ones. Either way the timeline cannot be trusted there.
                Severity: the rule's (warning).
  gap           a line stamped more than `gap` (default 6 h) after the line before it: the
                clock jumped forward, lines are missing (rotation, a cut paste) or the gateway
                was silent. Severity info. A user's elision marker (`...`, `[snip]`) between the
                two lines explains the gap and suppresses it.

Jumps of one type in one source whose lines are closer than `merge` (default 10 min) are one
finding; the evidence is the two lines around each jump (first six jumps).

Only gateway-log sources are read by default (`sources` parameter, the engine's source
classes): transcripts carry message timestamps that legitimately precede the entry they sit in.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from moltdiag.correlate.timeline import Timeline
from moltdiag.rules.finding import Finding, iso_z

RULE_ID = "clock-integrity"
PAIRS_SHOWN = 6  # jumps whose two lines go into the evidence (12 lines, the engine's limit)

_DEFAULTS = {"backward": "2s", "gap": "6h", "merge": "10m", "sources": ["gateway-log"]}


def _duration(value, name: str, rule) -> timedelta:
    if isinstance(value, timedelta):
        return value
    from moltdiag.rules.model import parse_duration

    return parse_duration(value, f"{getattr(rule, 'path', 'clock_integrity')}: params.{name}")


def _human(seconds: float) -> str:
    s = abs(seconds)
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def stamped_steps(events: pl.DataFrame, prefixes: tuple[str, ...]) -> pl.DataFrame:
    """Every stamped line of the chosen sources with the previous stamped line of its source.

    Columns added: _prev_line, _prev_ts, _delta_s (seconds, negative = backwards),
    _elided (a `gap` marker lies between the two lines).
    """
    if not prefixes:
        return events.head(0)
    fmt = pl.col("format").fill_null("")
    chosen = pl.any_horizontal([fmt.str.starts_with(p) for p in prefixes])
    rows = events.filter(chosen).sort("source", "line")
    rows = rows.with_columns(_elisions=(pl.col("kind") == "gap").cast(pl.Int64).cum_sum().over("source"))
    own = (
        pl.col("ts").is_not_null()
        & ~pl.col("ts_note").fill_null("").str.starts_with("no stamp")
        & ~pl.col("kind").is_in(["gap", "unparsed"])
    )
    stamped = rows.filter(own)
    return stamped.with_columns(
        _prev_line=pl.col("line").shift(1).over("source"),
        _prev_ts=pl.col("ts").shift(1).over("source"),
        _elided=(pl.col("_elisions") != pl.col("_elisions").shift(1).over("source")).fill_null(False),
    ).with_columns(
        _delta_s=(pl.col("ts") - pl.col("_prev_ts")).dt.total_microseconds() / 1e6,
    ).filter(pl.col("_prev_ts").is_not_null())


def _clustered(jumps: pl.DataFrame, merge: timedelta) -> pl.DataFrame:
    """Number runs of jumps (per source, in line order) whose later lines are within `merge`."""
    jumps = jumps.sort("source", "line")
    split = ((pl.col("ts") - pl.col("ts").shift(1).over("source")).abs() > merge) | (
        pl.col("ts").shift(1).over("source").is_null())
    return jumps.with_columns(_cluster=split.fill_null(True).cast(pl.Int64).cum_sum().over("source"))


def _evidence(events: pl.DataFrame, group: pl.DataFrame) -> tuple[list[dict], int]:
    shown = group.head(PAIRS_SHOWN)
    keys = pl.concat([
        shown.select("source", pl.col("_prev_line").alias("line")),
        shown.select("source", "line"),
    ]).unique()
    rows = events.join(keys, on=["source", "line"], how="semi").sort("source", "line")
    evidence = [
        {"source": r["source"], "line": r["line"], "ts": iso_z(r["ts"]), "kind": r["kind"], "text": r["text"],
         "ts_note": r["ts_note"]}
        for r in rows.select("source", "line", "ts", "kind", "text", "ts_note").iter_rows(named=True)
    ]
    return evidence, max(0, group.height - PAIRS_SHOWN) * 2


def check_clock(tl: Timeline, *, backward: timedelta, gap: timedelta, merge: timedelta,
                sources: list[str], severity: str = "warning", rule_id: str = RULE_ID) -> list[Finding]:
    from moltdiag.rules.engine import FORMAT_SOURCES

    prefixes = tuple(p for s in sources for p in FORMAT_SOURCES.get(s, (s,)))
    steps = stamped_steps(tl.events, prefixes)
    if steps.is_empty():
        return []
    label = tl.clock.local_label
    findings: list[Finding] = []
    back = steps.filter(pl.col("_delta_s") < -backward.total_seconds())
    fwd = steps.filter((pl.col("_delta_s") > gap.total_seconds()) & ~pl.col("_elided"))
    for kind, jumps in (("out_of_order", back), ("gap", fwd)):
        if jumps.is_empty():
            continue
        for _, group in _clustered(jumps, merge).group_by(["source", "_cluster"], maintain_order=True):
            group = group.sort("line")
            first = group.row(0, named=True)
            src = first["source"]
            name = Path(src).name or src
            largest = float(group["_delta_s"].abs().max())
            evidence, trimmed = _evidence(tl.events, group)
            at = (f"line {first['_prev_line']} {label(first['_prev_ts'])} → line {first['line']} "
                  f"{label(first['ts'])}")
            if kind == "out_of_order":
                summary = (f"{name}: {group.height} line(s) stamped earlier than the line before them, by up to "
                           f"{_human(largest)} (first: {at}); events of this source may be misordered on the "
                           "timeline")
                sev = severity
            else:
                summary = (f"{name}: {_human(largest)} without a line ({at}"
                           + (f", and {group.height - 1} more such gap(s)" if group.height > 1 else "")
                           + "): the clock jumped forward, lines are missing, or the gateway was silent")
                sev = "info"
            facts = {
                "type": kind,
                "source": src,
                "jumps": group.height,
                "largest_s": round(largest, 3),
                "lines": [[r["_prev_line"], r["line"]] for r in group.head(50).iter_rows(named=True)],
            }
            if trimmed:
                facts["evidence_trimmed"] = trimmed
            findings.append(Finding(
                rule=rule_id, severity=sev, ts=first["ts"], summary=summary, anchor=(src, first["line"]),
                evidence=evidence, facts=facts,
            ))
    return findings


def run(tl: Timeline, rule=None, params: dict | None = None) -> list[Finding]:
    """Entry point for the rule engine."""
    p = {**_DEFAULTS, **(params or {})}
    return check_clock(
        tl,
        backward=_duration(p["backward"], "backward", rule),
        gap=_duration(p["gap"], "gap", rule),
        merge=_duration(p["merge"], "merge", rule),
        sources=list(p["sources"]),
        severity=getattr(rule, "severity", "warning"),
        rule_id=getattr(rule, "id", RULE_ID),
    )
