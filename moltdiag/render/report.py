"""`moltdiag report`: a GitHub-flavoured Markdown incident report that pastes into an issue as is.

Structure: verdict paragraph → findings (evidence, ruled out, blind spots; long evidence
folded in <details>) → a mermaid gantt of the incident window (gateway connection,
listeners and sessions as lanes) → per-session summary → manifest (versions, command
line, zone and how it was decided, every input's size, SHA-256 and counts).

The report is built from redacted copies of everything it prints (redaction is on unless
the caller turns it off) and contains nothing that changes between runs, so the same
inputs give the same bytes. It never exceeds GitHub's 65,536-character issue body: the
evidence is trimmed first (and the trimming stated), never the verdict.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import polars as pl

from moltdiag import __version__
from moltdiag.correlate.timeline import Timeline
from moltdiag.rules.engine import RuleRun
from moltdiag.redact import NoRedaction
from moltdiag.rules.finding import Finding, iso_z

GITHUB_LIMIT = 65_536
SEVERITY_ORDER = {"high": 0, "warning": 1, "info": 2}
SEVERITY_BADGE = {"high": "🔴 high", "warning": "🟠 warning", "info": "🔵 info"}
MAX_MARKS = 24


def rule_pack_version(rules) -> str:
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(rule.id.encode())
        try:
            with open(rule.path, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            digest.update(rule.path.encode())
    return f"{len(rules)} rules, sha256:{digest.hexdigest()[:12]}"


def _md_escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence_safe(text: str) -> str:
    return text.replace("```", "ˋˋˋ")


def _one_line(text: str | None, limit: int = 160) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.ts, f.rule))


def verdict(tl: Timeline, run: RuleRun, red) -> str:
    findings = _sorted(run.findings)
    zone = tl.clock.offset_label
    if not findings:
        sessions = tl.lifetimes.height
        return (f"**No findings.** moltdiag read {len(tl.inputs)} input(s), {tl.events.height} events and "
                f"{sessions} session(s); every session start has an explanation and no rule fired. "
                f"Times are shown in {zone}.")
    top = findings[0]
    rest = findings[1:]
    text = f"**{SEVERITY_BADGE.get(top.severity, top.severity)} — `{top.rule}`.** {red.text(top.summary)}"
    if rest:
        counts: dict[str, int] = {}
        for f in rest:
            counts[f.rule] = counts.get(f.rule, 0) + 1
        also = ", ".join(f"`{rule}`" + (f" ×{n}" if n > 1 else "") for rule, n in counts.items())
        text += f" Also found: {also}."
    return text + f" Times are shown in {zone}."


def _evidence_table(tl: Timeline, finding: Finding, red, limit: int) -> list[str]:
    rows = finding.evidence[:limit]
    lines = [f"| time ({tl.clock.offset_label}) | source:line | kind | text |", "|---|---|---|---|"]
    for e in rows:
        ts = datetime.fromisoformat(e["ts"].replace("Z", "+00:00")) if e["ts"] else None
        stamp = tl.clock.localize(ts).strftime("%m-%d %H:%M:%S.%f")[:-3] if ts else "?"
        source = red.text(f"{e['source']}:{e['line']}")
        text = red.message(e["text"], e["kind"])
        lines.append(f"| {stamp} | `{_md_escape_cell(_short(source))}` | {e['kind']} | "
                     f"{_md_escape_cell(_one_line(text, 140))} |")
    dropped = len(finding.evidence) - len(rows) + int(finding.facts.get("evidence_trimmed", 0))
    if dropped > 0:
        lines.append(f"| … | | | {dropped} more evidence row(s) trimmed |")
    return lines


def _short(source: str) -> str:
    parts = source.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else source


def findings_section(tl: Timeline, run: RuleRun, red, evidence_limit: int) -> list[str]:
    out = ["## Findings", ""]
    if not run.findings:
        out += ["No rule fired.", ""]
    for f in _sorted(run.findings):
        local = tl.clock.local_label(f.ts, "%Y-%m-%d %H:%M:%S")
        out += [f"### {SEVERITY_BADGE.get(f.severity, f.severity)} `{f.rule}` at {local}", "",
                red.text(f.summary), "", f"<sub>finding id `{f.id}`</sub>", ""]
        if evidence_limit and f.evidence:
            table = _evidence_table(tl, f, red, evidence_limit)
            if len(table) > 8:
                out += ["<details><summary>Evidence ({} rows)</summary>".format(len(table) - 2), "", *table, "",
                        "</details>", ""]
            else:
                out += ["**Evidence**", "", *table, ""]
        if f.ruled_out:
            out += ["**Ruled out**", ""] + [f"- {red.text(r)}" for r in f.ruled_out] + [""]
        if f.blind_spots:
            out += ["**What these inputs cannot show**", ""] + [f"- {red.text(b)}" for b in f.blind_spots] + [""]
    if run.not_evaluated:
        out += ["<details><summary>Rules not evaluated (inputs missing)</summary>", ""]
        out += [f"- `{rule}`: {why}" for rule, why in run.not_evaluated]
        out += ["", "</details>", ""]
    return out


def _mermaid_time(ts: datetime, tl: Timeline) -> str:
    return tl.clock.localize(ts).strftime("%Y-%m-%dT%H:%M:%S")


def _label(text: str) -> str:
    # Mermaid gantt task names may not contain ':' or '#' or ';'.
    return "".join(ch for ch in text if ch not in ":#;").strip() or "event"


def incident_window(tl: Timeline, run: RuleRun) -> tuple[datetime, datetime] | None:
    findings = _sorted(run.findings)
    if findings:
        anchor = findings[0].ts
        lo, hi = anchor - timedelta(minutes=5), anchor + timedelta(minutes=3)
        for w in tl.flaps.iter_rows(named=True):
            if w["start"] <= hi and w["end"] >= lo:
                lo, hi = min(lo, w["start"]), max(hi, w["end"])
        return lo, hi
    timed = tl.events.filter(pl.col("ts").is_not_null() & (pl.col("kind") != "unparsed"))
    if timed.is_empty():
        return None
    return timed["ts"].min(), timed["ts"].max()


def mermaid_section(tl: Timeline, run: RuleRun, red) -> list[str]:
    window = incident_window(tl, run)
    if window is None:
        return []
    lo, hi = window
    if hi - lo < timedelta(seconds=30):
        hi = lo + timedelta(seconds=30)
    lines = ["```mermaid", "gantt", f"    title Incident window, times {tl.clock.offset_label}",
             "    dateFormat YYYY-MM-DDTHH:mm:ss", "    axisFormat %H:%M:%S"]

    def task(name: str, start: datetime, end: datetime, tag: str = "") -> str:
        start, end = max(start, lo), min(end, hi)
        if end <= start:
            end = start + timedelta(seconds=1)
        prefix = f"{tag}, " if tag else ""
        return f"    {_label(name)} :{prefix}{_mermaid_time(start, tl)}, {_mermaid_time(end, tl)}"

    flaps = tl.flaps.filter((pl.col("start") <= hi) & (pl.col("end") >= lo))
    closes = tl.events.filter((pl.col("kind") == "ws_close") & pl.col("ts").is_between(lo, hi))
    restarts = tl.events.filter(pl.col("kind").is_in(["gateway_start", "gateway_stop", "gateway_restart",
                                                      "provider_start"]) & pl.col("ts").is_between(lo, hi))
    if flaps.height or closes.height or restarts.height:
        lines.append("    section gateway connection")
        for w in flaps.iter_rows(named=True):
            codes = " ".join(map(str, w["codes"]))
            lines.append(task(f"{w['channel']} flapping, {w['closes']} closes {codes}", w["start"], w["end"], "crit"))
        for r in closes.head(MAX_MARKS).iter_rows(named=True):
            lines.append(task(f"close {r['code']}", r["ts"], r["ts"] + timedelta(seconds=1)))
        if closes.height > MAX_MARKS:
            lines.append(f"    %% {closes.height - MAX_MARKS} more closes not drawn")
        for r in restarts.head(MAX_MARKS).iter_rows(named=True):
            lines.append(task(r["kind"].replace("_", " "), r["ts"], r["ts"] + timedelta(seconds=1), "active"))
    listeners = tl.events.filter((pl.col("kind") == "slow_listener") & pl.col("ts").is_between(lo, hi))
    if listeners.height:
        lines.append("    section listeners")
        for r in listeners.head(MAX_MARKS).iter_rows(named=True):
            began = r["ts"] - timedelta(milliseconds=r["duration_ms"] or 0)
            lines.append(task(f"{r['listener']} {r['event_name']} {r['duration_ms']:.0f} ms", began, r["ts"], "active"))
    sessions = tl.lifetimes.filter((pl.col("start") <= hi) & (pl.col("last_activity").fill_null(pl.col("start")) >= lo))
    if sessions.height:
        lines.append("    section sessions")
        for r in sessions.iter_rows(named=True):
            opened = {"reset_prompt": " via /new or /reset"}.get(r["first_user_kind"], "")
            end = r["last_activity"] or r["start"]
            lines.append(task(f"session {r['session_id'][:8]}{opened}", r["start"], max(end, r["start"] + timedelta(seconds=1)),
                              "done"))
    lines.append("```")
    return ["## Incident window", "", *lines, ""]


def sessions_section(tl: Timeline, red) -> list[str]:
    if tl.lifetimes.is_empty():
        return []
    zone = tl.clock.offset_label
    out = ["## Sessions", "", f"| session | key | start ({zone}) | last activity | messages | opened by | previous |",
           "|---|---|---|---|---|---|---|"]
    for r in tl.lifetimes.iter_rows(named=True):
        out.append(
            f"| `{r['session_id'][:8]}` | `{_md_escape_cell(red.text(r['session_key'] or '?'))}` | "
            f"{tl.clock.local_label(r['start'], '%Y-%m-%d %H:%M:%S')} | "
            f"{tl.clock.local_label(r['last_activity'], '%H:%M:%S') if r['last_activity'] else '-'} | {r['messages']} | "
            f"{r['first_user_kind'] or '-'} | `{(r['prev_session_id'] or '-')[:8]}` |"
        )
    if tl.flaps.height:
        out += ["", f"**Flap windows** ({zone})", "", "| # | channel | start | end | closes | resumes | reconnects | codes |",
                "|---|---|---|---|---|---|---|---|"]
        for w in tl.flaps.iter_rows(named=True):
            out.append(f"| {w['window']} | {w['channel']} | {tl.clock.local_label(w['start'], '%m-%d %H:%M:%S')} | "
                       f"{tl.clock.local_label(w['end'], '%H:%M:%S')} | {w['closes']} | {w['resumes']} | "
                       f"{w['reconnects']} | {', '.join(map(str, w['codes']))} |")
    return out + [""]


def manifest_section(tl: Timeline, run: RuleRun, rules, argv: list[str], red, redacted: bool) -> list[str]:
    out = ["## Manifest", "", "<details><summary>How this report was made</summary>", "",
           f"- moltdiag {__version__}, rule pack {rule_pack_version(rules)}",
           f"- command: `{_fence_safe(red.text(' '.join(argv)))}`",
           f"- time zone shown: {tl.clock.offset_label} — {red.text(tl.clock.how)}",
           f"- redaction: {'on (message text replaced by length and hash; secrets removed; ids, hosts, users pseudonymised)' if redacted else 'OFF'}",
           "", "| input | format | bytes | SHA-256 | lines | events | unparsed |", "|---|---|---|---|---|---|---|"]
    for p in tl.inputs:
        out.append(f"| `{_md_escape_cell(red.text(p.source))}` | {p.format} | {p.size if p.size is not None else '?'} | "
                   f"`{p.digest() or '?'}` | {p.lines} | {p.event_count} | {p.unparsed} |")
    for s in tl.skipped:
        out.append(f"| `{_md_escape_cell(red.text(s.source))}` | skipped | | | | | {_md_escape_cell(s.reason)} |")
    return out + ["", "</details>", ""]


def build_markdown(tl: Timeline, run: RuleRun, rules, argv: list[str], red=None, *, redacted: bool = True) -> str:
    red = red or NoRedaction()
    header = ["# moltdiag incident report", ""]
    body_fixed = [verdict(tl, run, red), ""]
    tail = sessions_section(tl, red) + manifest_section(tl, run, rules, argv, red, redacted)
    diagram = mermaid_section(tl, run, red)
    for limit in (16, 8, 4, 2, 0):
        parts = header + body_fixed + findings_section(tl, run, red, limit) + diagram + tail
        if limit < 16:
            parts.insert(len(header) + len(body_fixed),
                         f"> Evidence trimmed to {limit} rows per finding to fit GitHub's {GITHUB_LIMIT:,}-character limit.\n")
        text = "\n".join(parts).rstrip() + "\n"
        if len(text) <= GITHUB_LIMIT:
            return text
    # Still too long: keep the verdict and the manifest, say what was dropped.
    note = "> Findings, diagram and session tables dropped to fit GitHub's limit; run `moltdiag check` for them.\n"
    text = "\n".join(header + body_fixed + [note] + manifest_section(tl, run, rules, argv, red, redacted))
    return text[: GITHUB_LIMIT - 1] + "\n"


def build_json(tl: Timeline, run: RuleRun, rules, argv: list[str], red=None, *, redacted: bool = True) -> dict:
    from moltdiag.render.check import check_document

    red = red or NoRedaction()
    doc = redact_check_document(check_document(tl, run), red)
    doc["manifest"] = {
        "moltdiag": __version__, "rule_pack": rule_pack_version(rules), "command": red.text(" ".join(argv)),
        "redacted": redacted,
        "inputs": [{"source": red.text(p.source), "format": p.format, "bytes": p.size, "sha256": p.digest(),
                    "lines": p.lines, "events": p.event_count, "unparsed": p.unparsed} for p in tl.inputs],
    }
    return doc


def redact_check_document(doc: dict, red) -> dict:
    """Redact a `check --format json` document in place (the report's sidecar uses it too)."""
    for f in doc["findings"]:
        f["summary"] = red.text(f["summary"])
        f["ruled_out"] = [red.text(r) for r in f["ruled_out"]]
        f["blind_spots"] = [red.text(b) for b in f["blind_spots"]]
        for e in f["evidence"]:
            for key, value in list(e.items()):
                if key == "text":
                    e[key] = red.message(value, e["kind"])
                elif isinstance(value, str) and key not in ("kind", "ts"):
                    e[key] = _redact_field(red, key, value)
        f["facts"] = _redact_obj(f["facts"], red)
    for i in doc["inputs"]:
        i["source"] = red.text(i["source"])
    for s in doc["skipped"]:
        s["source"] = red.text(s["source"])
    for s in doc["sessions"]:
        s["session_key"] = red.text(s["session_key"]) if s["session_key"] else None
    for w in doc["flap_windows"]:
        w["host"] = red.text(w["host"]) if w["host"] else w["host"]
    doc["tz"]["how"] = red.text(doc["tz"]["how"])
    return doc


def _redact_field(red, key: str, value: str) -> str:
    """Typed fields go through the redactor's typed entry points when it has them."""
    typed = {"message_id": "redact_message_id", "session_key": "redact_session_key", "host": "redact_host"}.get(key)
    if typed and hasattr(red, typed):
        return getattr(red, typed)(value)
    return red.text(value)


def _redact_obj(value, red):
    if isinstance(value, str):
        return red.text(value)
    if isinstance(value, dict):
        return {k: _redact_field(red, k, v) if isinstance(v, str) else _redact_obj(v, red) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_obj(v, red) for v in value]
    return value


def window_label(lo: datetime, hi: datetime) -> str:
    return f"{iso_z(lo)} – {iso_z(hi)}"
