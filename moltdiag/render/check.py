"""Render `check` results: findings and the summary, for people (rich) or as one JSON document."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from typing import IO

import orjson
import polars as pl

from moltdiag.correlate.timeline import Timeline
from moltdiag.render.timeline import short_source
from moltdiag.rules.engine import RuleRun
from moltdiag.rules.finding import iso_z

BUSIEST = 5


def summary(tl: Timeline, run: RuleRun) -> dict:
    events = tl.events
    timed = events.filter(pl.col("ts").is_not_null())
    kinds = dict(sorted(Counter(events["kind"].to_list()).items(), key=lambda kv: (-kv[1], kv[0])))
    per_rule = dict(sorted(Counter(f.rule for f in run.findings).items()))
    busiest = []
    if timed.height:
        buckets = (
            timed.filter(pl.col("kind") != "unparsed")
            .group_by(pl.col("ts").dt.truncate("5m").alias("bucket"))
            .agg(events=pl.len(), closes=(pl.col("kind") == "ws_close").sum())
            .sort(["events", "bucket"], descending=[True, False])
            .head(BUSIEST)
        )
        busiest = [{"start": iso_z(r["bucket"]), "events": r["events"], "closes": r["closes"]}
                   for r in buckets.iter_rows(named=True)]
    return {
        "time_range": {"first": iso_z(timed["ts"].min()) if timed.height else None,
                       "last": iso_z(timed["ts"].max()) if timed.height else None},
        "events": events.height,
        # --low-memory: routine lines counted by the parsers but not kept as rows
        "routine_not_kept": sum(p.routine_dropped for p in tl.inputs),
        "kinds": kinds,
        "findings_per_rule": per_rule,
        "rules_evaluated": run.evaluated,
        "rules_not_evaluated": [{"rule": r, "reason": why} for r, why in run.not_evaluated],
        "busiest_5min": busiest,
    }


def check_document(tl: Timeline, run: RuleRun) -> dict:
    return {
        "findings": [f.to_dict() for f in run.findings],
        "inputs": [{k: v for k, v in row.items()} for row in tl.input_rows()],
        "skipped": [{"source": s.source, "reason": s.reason} for s in tl.skipped],
        "tz": {"offset": tl.clock.offset_label, "how": tl.clock.how},
        "flap_windows": [
            {**row, "start": iso_z(row["start"]), "end": iso_z(row["end"]), "codes": list(row["codes"])}
            for row in tl.flaps.iter_rows(named=True)
        ],
        "sessions": [
            {"session_id": r["session_id"], "session_key": r["session_key"], "key_how": r["key_how"],
             "start": iso_z(r["start"]), "last_activity": iso_z(r["last_activity"]),
             "previous_session_id": r["prev_session_id"],
             "opened_by": f"reset ({r['reset_reason']})" if r["reset_reason"] else r["first_user_kind"],
             "lifetime_id": r["lifetime_id"]}
            for r in tl.lifetimes.iter_rows(named=True)
        ],
        "summary": summary(tl, run),
    }


def write_json(tl: Timeline, run: RuleRun, out: IO[bytes] | None = None, red=None) -> None:
    out = out or sys.stdout.buffer
    doc = check_document(tl, run)
    if red is not None:
        from moltdiag.render.report import redact_check_document

        doc = redact_check_document(doc, red)
    out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")


def render_table(tl: Timeline, run: RuleRun, console=None, red=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    from moltdiag.redact import NoRedaction

    red = red or NoRedaction()
    console = console or Console()
    zone = tl.clock.offset_label
    local = tl.clock.local_label
    facts = summary(tl, run)
    console.print(f"[bold]moltdiag check[/] — times in {zone}; clock: {escape(tl.clock.how)}")
    first, last = facts["time_range"]["first"], facts["time_range"]["last"]
    if first:
        console.print(f"  events {facts['events']} from {local(_parse(first), '%Y-%m-%d %H:%M:%S')} "
                      f"to {local(_parse(last), '%Y-%m-%d %H:%M:%S')}")
        if facts["routine_not_kept"]:
            console.print(f"  --low-memory: {facts['routine_not_kept']:,} more routine lines counted, not kept "
                          "(counts and busiest buckets below cover the kept rows)")
    for p in tl.inputs:
        console.print(escape(f"  input {red.text(p.source)} [{p.format}]: {p.lines} lines, {p.event_count} events, "
                             f"{p.unparsed} unparsed"))
    for s in tl.skipped:
        console.print(escape(f"  skipped {red.text(s.source)}: {s.reason}"))
    notable = {k: v for k, v in facts["kinds"].items() if k not in ("other",)}
    console.print("  kinds: " + escape(", ".join(f"{k} {v}" for k, v in notable.items())))
    if facts["busiest_5min"]:
        console.print("  busiest 5 min: " + ", ".join(
            f"{local(_parse(b['start']), '%m-%d %H:%M')} ({b['events']} events, {b['closes']} closes)"
            for b in facts["busiest_5min"][:3]))
    if tl.flaps.height:
        flaps = Table(title="flap windows", title_justify="left")
        for col in ("#", "channel", f"start ({zone})", f"end ({zone})", "closes", "resumes", "reconnects", "codes"):
            flaps.add_column(col)
        for w in tl.flaps.iter_rows(named=True):
            flaps.add_row(str(w["window"]), w["channel"], _bare(tl, w["start"], "%m-%d %H:%M:%S"),
                          _bare(tl, w["end"], "%H:%M:%S"), str(w["closes"]), str(w["resumes"]),
                          str(w["reconnects"]), ", ".join(map(str, w["codes"])))
        console.print(flaps)
    if tl.lifetimes.height:
        sessions = Table(title="sessions", title_justify="left")
        for col in ("session", "key", f"start ({zone})", "opened by", "previous"):
            sessions.add_column(col)
        for r in tl.lifetimes.iter_rows(named=True):
            opened = f"reset ({r['reset_reason']})" if r["reset_reason"] else (r["first_user_kind"] or "-")
            sessions.add_row(r["session_id"][:8], escape(red.text(r["session_key"]) or "?"), _bare(tl, r["start"], "%m-%d %H:%M:%S"),
                             opened, (r["prev_session_id"] or "-")[:8])
        console.print(sessions)
    by_missing: dict[str, list[str]] = {}
    for rule_id, _ in run.not_evaluated:
        by_missing.setdefault(", ".join(run.missing_sources.get(rule_id, [])) or "inputs", []).append(rule_id)
    for missing, ids in by_missing.items():
        console.print(escape(f"  not evaluated for lack of {missing}: {', '.join(ids)}"), style="dim")
    if not run.findings:
        console.print("[green]no findings[/]")
        return
    colours = {"high": "red", "warning": "yellow", "info": "blue"}
    for f in run.findings:
        body = [f"[bold]{escape(red.text(f.summary))}[/]", "", "[bold]evidence[/]"]
        for e in f.evidence:
            stamp = tl.clock.localize(_parse(e["ts"])).strftime("%H:%M:%S.%f")[:-3] if e["ts"] else "?"
            text = " ".join((red.message(e["text"], e["kind"]) or "").split())
            text = text if len(text) <= 120 else text[:119] + "…"
            body.append(escape(f"  {stamp}  {short_source(red.text(e['source']))}:{e['line']}  {e['kind']}  {text}"))
        if f.facts.get("evidence_trimmed"):
            body.append(f"  … {f.facts['evidence_trimmed']} more matching events")
        if f.ruled_out:
            body.append("[bold]ruled out[/]")
            body.extend(escape(f"  - {red.text(r)}") for r in f.ruled_out)
        if f.blind_spots:
            body.append("[bold]blind spots[/]")
            body.extend(escape(f"  - {red.text(b)}") for b in f.blind_spots)
        console.print(Panel("\n".join(body), title=f"{f.severity.upper()} {f.rule} {f.id}",
                            border_style=colours.get(f.severity, "white"), title_align="left"))
    counts = ", ".join(f"{rule} {n}" for rule, n in facts["findings_per_rule"].items())
    console.print(f"[bold]{len(run.findings)} finding(s)[/]: {counts}")


def _bare(tl: Timeline, ts: datetime | None, fmt: str) -> str:
    """A time in the display zone without the zone suffix (the column header names the zone)."""
    local = tl.clock.localize(ts)
    return "?" if local is None else local.strftime(fmt)


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
