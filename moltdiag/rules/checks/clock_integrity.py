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
BORROWED = "no stamp"  # ts_note prefix of a line that took its neighbour's time (correlate.timeline)
_NO_STEPS = pl.DataFrame(schema={
    "source": pl.String, "line": pl.Int64, "ts": pl.Datetime("us", "UTC"), "_prev_line": pl.Int64,
    "_prev_ts": pl.Datetime("us", "UTC"), "_delta_s": pl.Float64, "_elided": pl.Boolean,
})


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


def _prefix_mask(column: pl.Series, prefixes: tuple[str, ...]) -> pl.Series | bool:
    """Which rows of a label column (null read as "") start with one of `prefixes`; True or False
    when all or none do. `format` and `ts_note` (String or Categorical) hold a handful of distinct
    values over millions of rows, so the test runs on those values, not on every row. Only a
    String column tested for one prefix goes row by row: one pass is cheaper than hashing it."""
    if column.dtype == pl.String and len(prefixes) == 1:
        return column.fill_null("").str.starts_with(prefixes[0])
    if column.null_count() == 0 and (column == column[0]).all():
        values = [column[0]]
    else:
        values = column.unique().to_list()
    hits = [v for v in values if (v or "").startswith(prefixes)]
    if len(hits) == len(values):
        return True
    if not hits:
        return False
    mask = column.is_in([v for v in hits if v is not None])
    return (mask | column.is_null()) if None in hits else mask.fill_null(False)


def stamped_steps(events: pl.DataFrame, prefixes: tuple[str, ...], keep: pl.Expr | None = None) -> pl.DataFrame:
    """Every stamped line of the chosen sources with the previous stamped line of its source; with
    `keep` (an expression on _delta_s and _elided), only the steps it selects.

    Columns: source, line, ts, _prev_line, _prev_ts, _delta_s (seconds, negative = backwards),
    _elided (a `gap` marker lies between the two lines).

    The events frame is wide (~25 columns, long `text`) and sorted by time. Only narrow columns
    are read (line, ts, two flags; source when there are several), only stamped lines and elision
    markers are kept, and (source, line) order is a permutation of those rows: stamps and flags
    are gathered into it, so consecutive rows are consecutive stamped lines and one running count
    of elision markers serves every source. `keep` is evaluated in that order; only the steps it
    selects get their line numbers, previous stamp and source. With one source (the usual large
    journal) the sort key is the line number alone.
    """
    if not prefixes or events.is_empty():
        return _NO_STEPS
    chosen = _prefix_mask(events.get_column("format"), prefixes)
    if chosen is False:
        return _NO_STEPS
    borrowed = _prefix_mask(events.get_column("ts_note"), (BORROWED,))
    kind = pl.col("kind")
    own = pl.col("ts").is_not_null() & ~pl.lit(borrowed) & ~kind.is_in(["gap", "unparsed"])
    src = events.get_column("source")
    one = src[0] if src.null_count() == 0 and (src == src[0]).all() else None
    key = ["line"] if one is not None else ["source", "line"]
    rows = events.select(*key, "ts", _own=own.fill_null(False), _gap=(kind == "gap").fill_null(False))
    wanted = rows["_own"] | rows["_gap"]
    if chosen is not True:
        wanted = wanted & chosen
    if not wanted.all():
        rows = rows.filter(wanted)
    # Line order as a permutation: only the stamps and flags are gathered into it.
    order = rows.select(pl.arg_sort_by(key, maintain_order=True)).to_series()
    ordered = rows.select("ts", "_own", "_gap", *(["source"] if one is None else []))[order]
    ordered = ordered.with_columns(_at=order)
    markers = bool(ordered["_gap"].any())
    if markers:  # one running count serves every source: after the sort they do not interleave
        ordered = ordered.with_columns(_elisions=pl.col("_gap").cum_sum())
    if not ordered["_own"].all():
        ordered = ordered.filter("_own")
    # Consecutive rows are now consecutive stamped lines (of one source, where `valid` holds).
    steps = ordered.select(
        _delta_s=pl.col("ts").to_physical().diff() / 1e6,  # µs stamps
        _elided=(pl.col("_elisions") != pl.col("_elisions").shift(1)).fill_null(False) if markers else pl.lit(False),
    )
    valid = pl.int_range(pl.len()) > 0
    if one is None:  # the first line of each source has no previous line
        valid = valid & ordered["source"].eq_missing(ordered["source"].shift(1))
    at = steps.select(valid & keep if keep is not None else valid).to_series().arg_true()
    # Only the steps kept get their lines' numbers and stamps: gathers of a few rows.
    here, before = ordered["_at"].gather(at), ordered["_at"].gather(at - 1)
    found = pl.concat([
        rows.select(*key, "ts")[here],
        rows.select(_prev_line=pl.col("line"), _prev_ts=pl.col("ts"))[before],
        steps[at],
    ], how="horizontal")
    if one is not None:
        found = found.with_columns(source=pl.lit(one, dtype=pl.String).cast(src.dtype))
    return found.select(_NO_STEPS.columns)


def _clustered(jumps: pl.DataFrame, merge: timedelta) -> pl.DataFrame:
    """Number runs of jumps (per source, in line order) whose later lines are within `merge`."""
    jumps = jumps.sort("source", "line")
    split = ((pl.col("ts") - pl.col("ts").shift(1).over("source")).abs() > merge) | (
        pl.col("ts").shift(1).over("source").is_null())
    return jumps.with_columns(_cluster=split.fill_null(True).cast(pl.Int64).cum_sum().over("source"))


def _evidence_rows(events: pl.DataFrame, groups: list[pl.DataFrame]) -> pl.DataFrame:
    """The events of every line any finding shows, in one pass over the events: a cheap integer
    test on `line` first, then the (source, line) match on the few rows that pass. Wide columns
    (`text`) are only ever read for these rows."""
    keys = _shown_keys(pl.concat([g.head(PAIRS_SHOWN) for g in groups]))
    candidates = events.filter(pl.col("line").is_in(keys["line"].drop_nulls().unique().to_list()))
    keys = keys.with_columns(pl.col("source").cast(events.schema["source"]))
    return candidates.join(keys, on=["source", "line"], how="semi").select(
        "source", "line", "ts", "kind", "text", "ts_note")


def _shown_keys(shown: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([
        shown.select("source", pl.col("_prev_line").alias("line")),
        shown.select("source", "line"),
    ]).unique()


def _evidence(rows: pl.DataFrame, group: pl.DataFrame) -> tuple[list[dict], int]:
    keys = _shown_keys(group.head(PAIRS_SHOWN))
    rows = rows.join(keys, on=["source", "line"], how="semi").sort("source", "line")
    evidence = [
        {"source": r["source"], "line": r["line"], "ts": iso_z(r["ts"]), "kind": r["kind"], "text": r["text"],
         "ts_note": r["ts_note"]}
        for r in rows.iter_rows(named=True)
    ]
    return evidence, max(0, group.height - PAIRS_SHOWN) * 2


def check_clock(tl: Timeline, *, backward: timedelta, gap: timedelta, merge: timedelta,
                sources: list[str], severity: str = "warning", rule_id: str = RULE_ID) -> list[Finding]:
    from moltdiag.rules.engine import FORMAT_SOURCES

    prefixes = tuple(p for s in sources for p in FORMAT_SOURCES.get(s, (s,)))
    is_back = pl.col("_delta_s") < -backward.total_seconds()
    is_gap = (pl.col("_delta_s") > gap.total_seconds()) & ~pl.col("_elided")
    # Only the jumps are materialised: a handful of rows out of millions.
    jumps = stamped_steps(tl.events, prefixes, keep=is_back | is_gap)
    if jumps.is_empty():
        return []
    groups: list[tuple[str, pl.DataFrame]] = []
    for kind, of_kind in (("out_of_order", jumps.filter(is_back)), ("gap", jumps.filter(is_gap))):
        if of_kind.is_empty():
            continue
        for _, group in _clustered(of_kind, merge).group_by(["source", "_cluster"], maintain_order=True):
            groups.append((kind, group.sort("line")))
    shown_rows = _evidence_rows(tl.events, [g for _, g in groups])
    label = tl.clock.local_label
    findings: list[Finding] = []
    for kind, group in groups:
        first = group.row(0, named=True)
        src = first["source"]
        name = Path(src).name or src
        largest = float(group["_delta_s"].abs().max())
        evidence, trimmed = _evidence(shown_rows, group)
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
