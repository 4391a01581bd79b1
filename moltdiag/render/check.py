"""Render `check` results: findings for people (rich) or as one JSON document."""

from __future__ import annotations

import sys
from typing import IO

import orjson

from moltdiag.correlate.timeline import Timeline
from moltdiag.render.timeline import short_source
from moltdiag.rules.finding import Finding, iso_z


def check_document(tl: Timeline, findings: list[Finding]) -> dict:
    return {
        "findings": [f.to_dict() for f in findings],
        "inputs": [
            {k: v for k, v in row.items()} for row in tl.input_rows()
        ],
        "skipped": [{"source": s.source, "reason": s.reason} for s in tl.skipped],
        "tz": {"offset": tl.clock.offset_label, "how": tl.clock.how},
        "flap_windows": [
            {**row, "start": iso_z(row["start"]), "end": iso_z(row["end"]), "codes": list(row["codes"])}
            for row in tl.flaps.iter_rows(named=True)
        ],
        "sessions": [
            {"session_id": r["session_id"], "session_key": r["session_key"], "key_how": r["key_how"],
             "start": iso_z(r["start"]), "last_activity": iso_z(r["last_activity"]),
             "previous_session_id": r["prev_session_id"], "opened_by": r["first_user_kind"]}
            for r in tl.lifetimes.iter_rows(named=True)
        ],
    }


def write_json(tl: Timeline, findings: list[Finding], out: IO[bytes] | None = None) -> None:
    out = out or sys.stdout.buffer
    out.write(orjson.dumps(check_document(tl, findings), option=orjson.OPT_INDENT_2) + b"\n")


def render_table(tl: Timeline, findings: list[Finding], console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    console = console or Console()
    zone = tl.clock.offset_label
    console.print(f"[bold]moltdiag check[/] — times in {zone}; clock: {escape(tl.clock.how)}")
    for p in tl.inputs:
        console.print(escape(f"  input {p.source} [{p.format}]: {p.lines} lines, {p.event_count} events, {p.unparsed} unparsed"))
    for s in tl.skipped:
        console.print(escape(f"  skipped {s.source}: {s.reason}"))
    if tl.flaps.height:
        flaps = Table(title="flap windows", title_justify="left")
        for col in ("#", "channel", f"start ({zone})", f"end ({zone})", "closes", "resumes", "reconnects", "codes"):
            flaps.add_column(col)
        for w in tl.flaps.iter_rows(named=True):
            flaps.add_row(str(w["window"]), w["channel"], tl.clock.local_label(w["start"], "%Y-%m-%d %H:%M:%S"),
                          tl.clock.local_label(w["end"], "%H:%M:%S"), str(w["closes"]), str(w["resumes"]),
                          str(w["reconnects"]), ", ".join(map(str, w["codes"])))
        console.print(flaps)
    if tl.lifetimes.height:
        sessions = Table(title="sessions", title_justify="left")
        for col in ("session", "key", f"start ({zone})", "opened by", "previous"):
            sessions.add_column(col)
        for r in tl.lifetimes.iter_rows(named=True):
            sessions.add_row(r["session_id"][:8], r["session_key"] or "?", tl.clock.local_label(r["start"], "%Y-%m-%d %H:%M:%S"),
                             r["first_user_kind"] or "-", (r["prev_session_id"] or "-")[:8])
        console.print(sessions)
    if not findings:
        console.print("[green]no findings[/]")
        return
    colours = {"high": "red", "warning": "yellow", "info": "blue"}
    for f in findings:
        body = [f"[bold]{escape(f.summary)}[/]", ""]
        body.append("[bold]evidence[/]")
        for e in f.evidence:
            local = tl.clock.localize(_parse(e["ts"])).strftime("%H:%M:%S.%f")[:-3] if e["ts"] else "?"
            text = " ".join((e["text"] or "").split())
            text = text if len(text) <= 120 else text[:119] + "…"
            body.append(escape(f"  {local}  {short_source(e['source'])}:{e['line']}  {e['kind']}  {text}"))
        if f.ruled_out:
            body.append("[bold]ruled out[/]")
            body.extend(escape(f"  - {r}") for r in f.ruled_out)
        if f.blind_spots:
            body.append("[bold]blind spots[/]")
            body.extend(escape(f"  - {b}") for b in f.blind_spots)
        console.print(Panel("\n".join(body), title=f"{f.severity.upper()} {f.rule} {f.id}",
                            border_style=colours.get(f.severity, "white"), title_align="left"))


def _parse(iso: str):
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
