"""Session-memory hook files: `<workspace>/memory/YYYY-MM-DD-<slug>.md` (openclaw-formats.md §5.3, §8.5).

The bundled `session-memory` hook writes one file when `/new` runs (January builds; later
builds also on `/reset` and on automatic daily/idle rollovers). It names the session that
was *left*, so it ties an orphaned transcript to its key:

    # Session: 2026-01-27 19:05:10 UTC

    - **Session Key**: agent:main:discord:channel:1460000000000000001
    - **Session ID**: 7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33
    - **Source**: discord

    ## Conversation Summary

    user: …
    assistant: …

One `session_memory` event per file:

- `ts`          the `# Session:` time. January builds write UTC (`… UTC`, the date in the
                file name is UTC too); later builds write the wall clock of the user's zone
                followed by its IANA name (`# Session: 2026-03-05 20:05:10 Europe/Berlin`),
                which is converted here. A stamp with no zone, or a zone name Python does not
                know, is left as a host-local wall clock for the correlator to place.
- `session_id`  from `**Session ID**` (the hook writes `unknown` when it had none: left null,
                noted); `session_key` from `**Session Key**`; `channel` from `**Source**`
                (lower-cased; `unknown` → null).
- `stop_reason` the `**Reason**` of an automatic rollover (`daily`, `idle`, … — later builds
                write it instead of `**Source**`), like the `reason` of a `session_reset` event.
- `text`        `session saved by the session-memory hook (slug <slug>)`, plus the reason when
                there is one. The conversation summary below the header holds the user's chat
                and is never copied into an event.
- `line`        the line of `**Session ID**` (of the header when that line is missing).

Only the metadata block at the head of the file is read; every other line (the summary) is
counted in `lines` and produces nothing. A header block that cannot be read (no time, no
session id and key) gives an `unparsed` row holding that header line only, with a note; a file
without any `# Session:` header or metadata line is not a session-memory file: `InputError`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from moltdiag.parsers.base import InputError, InputFile, ParsedSource
from moltdiag.parsers.transcript import base_name, decode_text, rows_to_frame, split_lines
from moltdiag.schema import NAIVE_US, conform

FORMAT = "session-memory"

# memory/YYYY-MM-DD-<slug>.md, memory/YYYY-MM-DD-<slug>-2.md (later builds de-duplicate names)
NAME_RE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:-(?P<slug>.+?))?\.md$", re.I)
HEADER_RE = re.compile(r"^#\s+Session:\s*(?P<rest>.*?)\s*$")
STAMP_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(?P<zone>\S.*)?$"
)
FIELD_RE = re.compile(r"^\s*[-*+]\s+\*\*(?P<name>[^*]+?)\*\*\s*:\s*(?P<value>.*?)\s*$")
FIELDS = ("session key", "session id", "source", "reason")
UTC_NAMES = {"utc", "gmt", "z", "etc/utc", "etc/gmt", "universal", "zulu", "etc/universal", "etc/zulu"}
OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<hh>\d{1,2}):?(?P<mm>\d{2})?$", re.I)
MAX_HEAD_LINES = 12  # header + blank + up to four fields + slack; the summary starts after


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------


def _head_lines(head: bytes, limit: int = 16) -> list[str]:
    text = head[:8192].decode("utf-8", errors="replace").lstrip("\ufeff")
    out = [ln.rstrip("\r") for ln in text.split("\n")[:limit]]
    return out


def _looks_like_memory(head: bytes) -> bool:
    """First non-blank line is `# Session: …` and a `**Session ID**`/`**Session Key**` field follows."""
    lines = [ln for ln in _head_lines(head) if ln.strip()]
    if not lines or not HEADER_RE.match(lines[0]):
        return False
    fields = {m.group("name").strip().lower() for ln in lines[1:8] if (m := FIELD_RE.match(ln))}
    return "session id" in fields or "session key" in fields


def sniff(path: Path, head: bytes) -> float:
    if b"\x00" in head or not _looks_like_memory(head):
        return 0.0
    name = base_name(str(path))
    if NAME_RE.match(name):
        parent = PurePath(str(path).replace("\\", "/")).parent.name.lower()
        return 0.95 if parent == "memory" else 0.9
    if name.lower().endswith((".md", ".markdown", ".txt")):
        return 0.6
    return 0.4


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------


def _offset_zone(label: str) -> timezone | None:
    m = OFFSET_RE.match(label.strip())
    if not m:
        return None
    minutes = int(m.group("hh")) * 60 + int(m.group("mm") or 0)
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=minutes if m.group("sign") == "+" else -minutes))


def _stamp(rest: str) -> tuple[int | None, datetime | None, str, str | None]:
    """`2026-01-27 19:05:10 UTC` -> (epoch µs or None, naive wall or None, ts_note, problem)."""
    m = STAMP_RE.match(rest)
    if not m:
        return None, None, "no readable time in the # Session: header", f"unreadable time {rest!r}"
    try:
        t = m.group("time")
        fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in t else ("%Y-%m-%d %H:%M:%S" if t.count(":") == 2 else "%Y-%m-%d %H:%M")
        wall = datetime.strptime(f"{m.group('date')} {t}", fmt)
    except ValueError:
        return None, None, "no readable time in the # Session: header", f"impossible date/time {rest!r}"
    zone = (m.group("zone") or "").strip()
    if not zone:
        return None, wall, "session-memory header time without a zone (host-local wall clock)", None
    if zone.lower() in UTC_NAMES:
        return _us(wall.replace(tzinfo=timezone.utc)), None, "session-memory header time (UTC)", None
    fixed = _offset_zone(zone)
    if fixed is not None:
        return _us(wall.replace(tzinfo=fixed)), None, f"session-memory header time (offset {zone} given)", None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None, wall, f"session-memory header zone {zone!r} unknown here: treated as a host-local wall clock", None
    local = wall.replace(tzinfo=tz)
    note = f"session-memory header time (zone {zone} given)"
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        note += "; ambiguous or skipped local time, earlier offset taken"
    return _us(local), None, note, None


def _us(dt: datetime) -> int:
    delta = dt - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _value(v: str | None) -> str | None:
    """A field value as written; empty, `unknown`, `undefined` and `null` say nothing."""
    if v is None:
        return None
    v = v.strip().strip("`").strip()
    return None if v.lower() in ("", "unknown", "undefined", "null", "none") else v


def _block(lines: list[str], start: int) -> tuple[dict[str, tuple[int, str]], int]:
    """Fields of the metadata block after the header at index `start` (0-based)."""
    fields: dict[str, tuple[int, str]] = {}
    end = start + 1
    for j in range(start + 1, min(len(lines), start + MAX_HEAD_LINES)):
        ln = lines[j]
        if ln.startswith("#"):
            break
        m = FIELD_RE.match(ln)
        if m:
            name = m.group("name").strip().lower()
            if name in FIELDS and name not in fields:
                fields[name] = (j + 1, m.group("value"))
            end = j + 1
        elif ln.strip() and fields:
            break  # the block ended (a line that is not a field)
    return fields, end


def parse(source: InputFile) -> ParsedSource:
    text, notes = decode_text(source, "session-memory file")
    lines = split_lines(text)
    src = source.name
    name = base_name(src)
    name_m = NAME_RE.match(name)
    slug = name_m.group("slug") if name_m and name_m.group("slug") else None

    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    header = HEADER_RE.match(lines[first]) if first is not None else None
    if header is not None:
        anchor = first  # 0-based index of the header; fields follow it
    else:
        # No header on the first line: a metadata block at the head still counts.
        anchor = next((i for i, ln in enumerate(lines[:MAX_HEAD_LINES])
                       if (m := FIELD_RE.match(ln)) and m.group("name").strip().lower() in FIELDS), None)
        if anchor is None:
            raise InputError(f"{src}: not a session-memory file (no '# Session:' header and no "
                             "'- **Session ID**:' / '- **Session Key**:' line at its head)")
        notes.append("no '# Session:' header on the first line: time unknown, fields read from the block at the head")

    fields, _ = _block(lines, anchor if header is not None else anchor - 1)
    rows: list[dict[str, Any]] = []
    wall: datetime | None = None
    us: int | None = None
    ts_note = "no '# Session:' header"
    header_line = anchor + 1
    if header is not None:
        us, wall, ts_note, problem = _stamp(header.group("rest"))
        if problem:
            notes.append(f"line {header_line}: '# Session:' header has an {problem}; the session is kept without a time")
            rows.append({"ts": None, "ts_note": "no timestamp (unparsed line)", "source": src, "line": header_line,
                         "format": FORMAT, "kind": "unparsed", "text": lines[anchor]})

    sid_line, sid_raw = fields.get("session id", (None, None))
    _, key_raw = fields.get("session key", (None, None))
    _, source_raw = fields.get("source", (None, None))
    _, reason_raw = fields.get("reason", (None, None))
    sid, key, channel, reason = _value(sid_raw), _value(key_raw), _value(source_raw), _value(reason_raw)

    if sid_raw is not None and sid is None:
        notes.append(f"line {sid_line}: the hook recorded no session id ({sid_raw.strip() or 'empty'}); "
                     "the saved session cannot be tied to a transcript")
    if sid is None and key is None:
        # Nothing that names a session: keep the header (never the summary) as an unparsed row.
        if not any(r["kind"] == "unparsed" for r in rows):
            rows.append({"ts": None, "ts_note": "no timestamp (unparsed line)", "source": src, "line": header_line,
                         "format": FORMAT, "kind": "unparsed", "text": lines[anchor]})
        if sid_raw is None and key_raw is None:
            notes.append(f"line {header_line}: '# Session:' header without '- **Session ID**:' or "
                         "'- **Session Key**:' lines; no session named")
        else:
            notes.append(f"line {header_line}: header names neither a session id nor a session key")
        return _result(src, rows, lines, notes, source)

    if sid_raw is None:
        notes.append(f"no '- **Session ID**:' line; event placed on the header line {header_line}")
    if key is None:
        notes.append("no session key recorded")

    what = "session saved by the session-memory hook"
    if reason:
        what += f" on an automatic reset (reason {reason})"
    what += f" (slug {slug})" if slug else " (no slug in the file name)"
    rows.append({
        "ts": us, "ts_note": ts_note, "source": src, "line": sid_line or header_line, "format": FORMAT,
        "kind": "session_memory", "session_id": sid, "session_key": key,
        "channel": channel.lower() if channel else None, "stop_reason": reason, "text": what,
        "_wall": wall,
    })

    if name_m and us is not None:
        # January builds name the file by the UTC date; later ones by the user's local date.
        header_date = header.group("rest")[:10] if header is not None else None
        if header_date and header_date != name_m.group("date"):
            notes.append(f"file-name date {name_m.group('date')} differs from the header date {header_date}")
    extra = sum(1 for ln in lines[anchor + 1:] if HEADER_RE.match(ln))
    if extra:
        notes.append(f"{extra} further '# Session:' line(s) below the header not read (inside the conversation summary)")
    return _result(src, rows, lines, notes, source)


def _result(src: str, rows: list[dict[str, Any]], lines: list[str], notes: list[str], source: InputFile) -> ParsedSource:
    walls = [r.pop("_wall", None) for r in rows]
    df = rows_to_frame(rows)
    if any(w is not None for w in walls):
        df = conform(df.with_columns(
            wall=pl.Series("wall", walls, dtype=NAIVE_US),
            wall_has_year=pl.Series("wall_has_year", [True if w is not None else None for w in walls], dtype=pl.Boolean),
        ))
    return ParsedSource(source=src, format=FORMAT, events=df, lines=len(lines), notes=notes, mtime=source.mtime())
