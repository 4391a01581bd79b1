"""`moltdiag report --format html`: one self-contained file (inline CSS and SVG, no scripts,
no network fetches) with a timeline chart of the incident window, the verdict, the findings
and their evidence. Built from the same redacted pieces as the Markdown report.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

import polars as pl

from moltdiag import __version__
from moltdiag.correlate.timeline import Timeline
from moltdiag.render.report import _sorted, incident_window, rule_pack_version, verdict

# Coloured text instead of emoji: not every machine that opens the file has an emoji font.
SEVERITY_BADGE = {"high": "HIGH", "warning": "WARNING", "info": "INFO"}
from moltdiag.rules.engine import RuleRun

WIDTH, LANE_H, LEFT = 1000, 46, 170
COLOURS = {"flap": "#d9534f", "close": "#a94442", "listener": "#8e44ad", "session": "#2e86c1", "restart": "#27ae60",
           "finding": "#e67e22"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1080px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{background:#fff8e6;border-left:4px solid #e67e22;padding:10px 14px}
.finding{border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:12px 0}
.finding.high{border-left:6px solid #d9534f}.finding.warning{border-left:6px solid #f0ad4e}.finding.info{border-left:6px solid #5bc0de}
table{border-collapse:collapse;width:100%;font-size:12.5px}td,th{border:1px solid #e3e3e3;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
svg text{font:11px system-ui,sans-serif}.muted{color:#777}
"""


def _x(ts: datetime, lo: datetime, hi: datetime) -> float:
    span = (hi - lo).total_seconds() or 1.0
    return LEFT + (WIDTH - LEFT - 10) * ((ts - lo).total_seconds() / span)


def timeline_svg(tl: Timeline, run: RuleRun) -> str:
    window = incident_window(tl, run)
    if window is None:
        return "<p class='muted'>No timed events.</p>"
    lo, hi = window
    if hi - lo < timedelta(seconds=30):
        hi = lo + timedelta(seconds=30)
    lanes = ["gateway connection", "listeners", "sessions", "findings"]
    height = 30 + LANE_H * len(lanes) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label="incident timeline" data-from="{lo.isoformat()}" data-to="{hi.isoformat()}">']
    for index, lane in enumerate(lanes):
        y = 30 + index * LANE_H
        parts.append(f'<g class="lane" data-lane="{escape(lane)}"><rect x="0" y="{y}" width="{WIDTH}" height="{LANE_H}" '
                     f'fill="{"#fafafa" if index % 2 else "#ffffff"}"/><text x="8" y="{y + 27}">{escape(lane)}</text></g>')
    # Axis ticks in the display zone.
    for i in range(6):
        ts = lo + (hi - lo) * i / 5
        x = _x(ts, lo, hi)
        anchor = "start" if i == 0 else "end" if i == 5 else "middle"
        parts.append(f'<line x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{height - 18}" stroke="#ddd"/>'
                     f'<text x="{x:.1f}" y="16" text-anchor="{anchor}">{escape(tl.clock.localize(ts).strftime("%H:%M:%S"))}</text>')

    def bar(lane: int, start: datetime, end: datetime, colour: str, label: str, cls: str) -> str:
        start, end = max(start, lo), min(end, hi)
        x1, x2 = _x(start, lo, hi), max(_x(end, lo, hi), _x(start, lo, hi) + 2)
        y = 30 + lane * LANE_H + 10
        return (f'<rect class="{cls}" x="{x1:.1f}" y="{y}" width="{x2 - x1:.1f}" height="{LANE_H - 20}" fill="{colour}" '
                f'fill-opacity="0.75"><title>{escape(label)}</title></rect>')

    for w in tl.flaps.filter((pl.col("start") <= hi) & (pl.col("end") >= lo)).iter_rows(named=True):
        parts.append(bar(0, w["start"], w["end"], COLOURS["flap"],
                         f"{w['channel']} flap window: {w['closes']} closes, codes {w['codes']}", "flap"))
    for r in tl.events.filter(pl.col("kind").is_in(["ws_close"]) & pl.col("ts").is_between(lo, hi)).iter_rows(named=True):
        x = _x(r["ts"], lo, hi)
        parts.append(f'<line class="close" x1="{x:.1f}" y1="34" x2="{x:.1f}" y2="{30 + LANE_H - 4}" stroke="{COLOURS["close"]}">'
                     f'<title>close {r["code"]}</title></line>')
    for r in tl.events.filter(pl.col("kind").is_in(["gateway_start", "gateway_stop", "gateway_restart"])
                              & pl.col("ts").is_between(lo, hi)).iter_rows(named=True):
        parts.append(bar(0, r["ts"], r["ts"] + timedelta(seconds=1), COLOURS["restart"], r["kind"], "restart"))
    for r in tl.events.filter((pl.col("kind") == "slow_listener") & pl.col("ts").is_between(lo, hi)).iter_rows(named=True):
        began = r["ts"] - timedelta(milliseconds=r["duration_ms"] or 0)
        parts.append(bar(1, began, r["ts"], COLOURS["listener"],
                         f"{r['listener']} {r['event_name']} {r['duration_ms']:.0f} ms", "listener"))
    for r in tl.lifetimes.iter_rows(named=True):
        end = r["last_activity"] or r["start"]
        if r["start"] <= hi and end >= lo:
            parts.append(bar(2, r["start"], max(end, r["start"] + timedelta(seconds=1)), COLOURS["session"],
                             f"session {r['session_id'][:8]} opened by {r['first_user_kind']}", "session"))
    for f in run.findings:
        if lo <= f.ts <= hi:
            x = _x(f.ts, lo, hi)
            y = 30 + 3 * LANE_H + LANE_H / 2
            parts.append(f'<circle class="finding-mark" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{COLOURS["finding"]}">'
                         f'<title>{escape(f.rule)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def build_html(tl: Timeline, run: RuleRun, rules, argv: list[str], red, *, redacted: bool = True) -> str:
    zone = tl.clock.offset_label
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
           f"<title>moltdiag incident report</title><style>{CSS}</style></head><body>",
           "<h1>moltdiag incident report</h1>",
           f"<div class='verdict' id='verdict'>{_inline_md(_plain_badges(verdict(tl, run, red)))}</div>",
           f"<h2>Incident window <span class='muted'>(times {escape(zone)})</span></h2>",
           f"<div id='timeline'>{timeline_svg(tl, run)}</div>", "<h2>Findings</h2>"]
    if not run.findings:
        out.append("<p>No rule fired.</p>")
    for f in _sorted(run.findings):
        out.append(f"<section class='finding {escape(f.severity)}' data-rule='{escape(f.rule)}' id='{escape(f.id)}'>")
        out.append(f"<h3>{escape(SEVERITY_BADGE.get(f.severity, f.severity))} <code>{escape(f.rule)}</code> at "
                   f"{escape(tl.clock.local_label(f.ts, '%Y-%m-%d %H:%M:%S'))}</h3><p>{escape(red.text(f.summary))}</p>")
        if f.evidence:
            out.append(f"<table class='evidence'><tr><th>time ({escape(zone)})</th><th>source:line</th><th>kind</th><th>text</th></tr>")
            for e in f.evidence:
                ts = datetime.fromisoformat(e["ts"].replace("Z", "+00:00")) if e["ts"] else None
                stamp = tl.clock.localize(ts).strftime("%H:%M:%S.%f")[:-3] if ts else "?"
                out.append(f"<tr><td>{stamp}</td><td><code>{escape(red.text(str(e['source'])))}:{e['line']}</code></td>"
                           f"<td>{escape(e['kind'])}</td><td>{escape(' '.join((red.message(e['text'], e['kind']) or '').split())[:300])}</td></tr>")
            out.append("</table>")
        if f.ruled_out:
            out.append("<p><b>Ruled out</b></p><ul>" + "".join(f"<li>{escape(red.text(r))}</li>" for r in f.ruled_out) + "</ul>")
        if f.blind_spots:
            out.append("<p><b>What these inputs cannot show</b></p><ul>"
                       + "".join(f"<li>{escape(red.text(b))}</li>" for b in f.blind_spots) + "</ul>")
        out.append("</section>")
    out.append("<h2>Manifest</h2><ul>")
    out.append(f"<li>moltdiag {escape(__version__)}, rule pack {escape(rule_pack_version(rules))}</li>")
    out.append(f"<li>command: <code>{escape(red.text(' '.join(argv)))}</code></li>")
    out.append(f"<li>time zone shown: {escape(zone)} — {escape(red.text(tl.clock.how))}</li>")
    out.append(f"<li>redaction: {'on' if redacted else 'OFF'}</li></ul>")
    out.append("<table id='inputs'><tr><th>input</th><th>format</th><th>bytes</th><th>SHA-256</th><th>lines</th>"
               "<th>events</th><th>unparsed</th></tr>")
    for p in tl.inputs:
        out.append(f"<tr><td><code>{escape(red.text(p.source))}</code></td><td>{escape(p.format)}</td><td>{p.size}</td>"
                   f"<td><code>{escape(p.digest() or '?')}</code></td><td>{p.lines}</td><td>{p.event_count}</td>"
                   f"<td>{p.unparsed}</td></tr>")
    out.append("</table></body></html>\n")
    return "".join(out)


def _plain_badges(text: str) -> str:
    for emoji in ("🔴 ", "🟠 ", "🔵 "):
        text = text.replace(emoji, "")
    return text


def _inline_md(text: str) -> str:
    """The verdict uses **bold** and `code`; render just those."""
    import re

    html = escape(text)
    html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", html)
