"""Session transcripts: `<sessionId>.jsonl` written by pi-coding-agent's SessionManager.

Spec: openclaw-formats.md §4 (line types, header, message payloads, synthesised messages),
§5.2 (reset prompt texts), §5.3 (what a reset leaves), §10 (pitfalls, file-name patterns).

One event per non-blank line, read with orjson in a plain loop:

- `session` header            -> `session_start` (text `session header v3 cwd=… [parentSession=…]`)
- `message` role user         -> `user_message`, or `reset_prompt` when the text contains the
                                 bare-reset prompt (`A new session was started via /new or /reset`,
                                 or the pre-2025-12-22 `… via /new.`); `message_id` = the last
                                 `[message_id: …]` in the text
- `message` role assistant    -> `assistant_message` (stop_reason set); delivery-mirror replies
                                 (`model:"delivery-mirror"`) get the text prefix `[delivery-mirror] `,
                                 webchat injections (`stopReason:"injected"`) `[injected] ` — they
                                 are not model output; a mirrored `✅ New session started …` notice
                                 becomes `reset_notice` (prefix kept)
- `message` role toolResult   -> `tool_result` (text `[<toolName>] …`, `[<toolName> error] …`)
- `compaction`                -> `compaction`
- `model_change`, `custom` with customType `model-snapshot` -> `model_change`
- anything else that is a JSON object (custom, custom_message, thinking_level_change,
  branch_summary, label, session_info, unknown types, other message roles) -> `transcript_entry`
- a line that is not JSON or not an object -> `unparsed` (raw text kept, ts null)

`session_id` on every row is the id of the most recent valid header; rows before any valid
header (missing or garbled header, e.g. a `sessions.compact` tail) take the uuid from the
file name, and a note says so. `ts` is the entry's ISO `timestamp` converted to UTC µs; when
an entry has none, the inner message's epoch-ms `timestamp` is used (ts_note says which).

Archived transcripts (`<file>.jsonl.reset.<ts>`, `.deleted.<ts>`, `.bak.<ts>`, §2/§10.1) are
parsed normally and get one extra `session_archive` event whose `ts` is the archive time
decoded from the name (`2026-01-27T19-05-10.512Z`, UTC). That event has no line of its own
in the file, so its `line` is **0** (by convention: "from the file name, not the content").

Blank lines are skipped (counted in `lines`, no event). NUL bytes make the file binary:
`InputError`. Invalid UTF-8 is decoded with U+FFFD replacement and noted.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import Any

import orjson
import polars as pl

from moltdiag.knowledge.openclaw_texts import RESET_NOTICE_PREFIX, RESET_PROMPT_MARKERS
from moltdiag.parsers.base import InputError, InputFile, ParsedSource
from moltdiag.schema import FULL_SCHEMA, UTC_US, conform

FORMAT = "transcript"

# ---------------------------------------------------------------------------------------
# Small helpers shared with session_store.py and commands_log.py
# ---------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_COMPRESSION_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2", ".xz", ".lz4")

# Columns a row dict may carry (besides what conform() fills with nulls).
_ROW_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Int64,  # epoch µs, cast to UTC datetime afterwards
    "ts_note": pl.String,
    "source": pl.String,
    "line": pl.Int64,
    "format": pl.String,
    "channel": pl.String,
    "kind": pl.String,
    "session_id": pl.String,
    "session_key": pl.String,
    "message_id": pl.String,
    "role": pl.String,
    "stop_reason": pl.String,
    "text": pl.String,
}


def base_name(name: str) -> str:
    """File name without directories and without a compression suffix."""
    base = PurePath(name.replace("\\", "/")).name
    low = base.lower()
    for suf in _COMPRESSION_SUFFIXES:
        if low.endswith(suf):
            return base[: -len(suf)]
    return base


def decode_text(source: InputFile, what: str) -> tuple[str, list[str]]:
    """Bytes -> str. NUL bytes raise InputError; bad UTF-8 is replaced and noted."""
    notes: list[str] = []
    data = source.data
    if b"\x00" in data:
        raise InputError(f"{source.name}: binary data (NUL bytes), not a {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        notes.append(f"invalid UTF-8 (first at byte {exc.start}) decoded with U+FFFD replacement")
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append("UTF-8 byte-order mark skipped")
    return text, notes


def split_lines(text: str) -> list[str]:
    """Physical lines without their terminators ('\\n' or '\\r\\n')."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def iso_to_us(value: Any) -> tuple[int | None, str | None]:
    """ISO-8601 string -> (epoch µs UTC, how). `how` is None when unreadable.

    `how` is "UTC" for a `Z`/+00:00 stamp, "offset +01:00 given" for other offsets, and
    "no zone, assumed UTC" for a naive stamp.
    """
    if not isinstance(value, str) or not value:
        return None, None
    s = value.strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        try:  # lower-case z or a space separator
            dt = datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "zZ" else s.replace(" ", "T", 1))
        except ValueError:
            return None, None
    if dt.tzinfo is None:
        how = "no zone, assumed UTC"
        dt = dt.replace(tzinfo=timezone.utc)
    else:
        off = dt.utcoffset()
        if off is None or not off:
            how = "UTC"
        else:
            secs = int(off.total_seconds())
            sign = "+" if secs >= 0 else "-"
            secs = abs(secs)
            how = f"offset {sign}{secs // 3600:02d}:{secs % 3600 // 60:02d} given"
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds, how


def ms_to_us(value: Any) -> int | None:
    """Epoch milliseconds (int/float, not bool) -> epoch µs."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or abs(value) > 1e15:  # NaN or absurd
        return None
    return int(round(value * 1000))


def rows_to_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Row dicts (keys from _ROW_SCHEMA, ts as epoch µs) -> a frame conforming to the schema."""
    cols: dict[str, list[Any]] = {name: [] for name in _ROW_SCHEMA}
    for row in rows:
        for name, values in cols.items():
            values.append(row.get(name))
    df = pl.DataFrame(cols, schema=_ROW_SCHEMA)
    df = df.with_columns(pl.col("ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").cast(UTC_US))
    return conform(df)


def archive_ts_to_us(stamp: str) -> int | None:
    """`2026-01-27T19-05-10.512Z` (ISO with ':' -> '-') -> epoch µs."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(?:[.-](\d{3}))?Z", stamp)
    if not m:
        return None
    date, hh, mm, ss, ms = m.groups()
    us, _ = iso_to_us(f"{date}T{hh}:{mm}:{ss}.{ms or '000'}+00:00")
    return us


# ---------------------------------------------------------------------------------------
# File names (§10.1)
# ---------------------------------------------------------------------------------------

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ARCHIVE = r"(?:\.(?P<reason>reset|deleted|bak)\.(?P<ats>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d{3})?Z))?"
NAME_RES: tuple[re.Pattern[str], ...] = (
    # live or archived: <uuid>[-topic-<t>].jsonl[.reset|.deleted|.bak.<ts>]
    re.compile(rf"^(?P<sid>{_UUID})(?:-topic-(?P<topic>.+?))?\.jsonl{_ARCHIVE}$", re.I),
    # forked thread transcript: <ts>_<uuid>.jsonl (archived forms accepted too)
    re.compile(rf"^(?P<fts>\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}-\d{{2}}-\d{{2}}-\d{{3}}Z)_(?P<sid>[0-9a-f-]{{36}})\.jsonl{_ARCHIVE}$", re.I),
    # compaction checkpoint copy (>= 2026-04-06): <base>.checkpoint.<uuid>.jsonl
    re.compile(rf"^(?P<sid>{_UUID})?.*?\.checkpoint\.(?P<cid>[0-9a-f-]{{36}})\.jsonl{_ARCHIVE}$", re.I),
)

_ARCHIVE_TEXT = {
    "reset": "archived on reset (.reset.)",
    "deleted": "archived by sessions.delete (.deleted.)",
    "bak": "archived by sessions.compact (.bak.)",
}


def claims_name(path: Path) -> bool:
    """The file name is a transcript's (`<uuid>.jsonl`, archived or forked forms): sniff me first."""
    return match_name(path.name) is not None


def match_name(name: str) -> re.Match[str] | None:
    base = base_name(name)
    for rx in NAME_RES:
        m = rx.match(base)
        if m:
            return m
    return None


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------

_TRANSCRIPT_TYPES = {
    "session", "message", "model_change", "thinking_level_change", "compaction", "custom",
    "custom_message", "branch_summary", "label", "session_info",
}


def _head_objects(head: bytes, limit: int = 20) -> list[Any]:
    """Parsed JSON values of the first complete, non-blank lines of `head` (None = not JSON)."""
    out: list[Any] = []
    parts = head.split(b"\n")
    if len(head) >= 64 * 1024 and len(parts) > 1:
        parts = parts[:-1]  # the last piece may be cut
    for raw in parts:
        if not raw.strip():
            continue
        try:
            out.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            out.append(None)
        if len(out) >= limit:
            break
    return out


def _first_head_object(head: bytes) -> Any:
    """_head_objects(head)[0] (None when there is none), parsing only that line."""
    cut = len(head) >= 64 * 1024  # then the last piece may be cut and is not looked at
    start, end_all = 0, len(head)
    while True:
        end = head.find(b"\n", start)
        if end < 0:
            if cut and start > 0:
                return None
            end = end_all
        raw = head[start:end]
        if raw.strip():
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
        if end >= end_all:
            return None
        start = end + 1


def sniff(path: Path, head: bytes) -> float:
    if b"\x00" in head:
        return 0.0
    # Shortcut: a first line that is a valid header decides alone (below, `header` wins in
    # both branches), so the other 19 head lines need not be parsed.
    first = _first_head_object(head)
    if isinstance(first, dict) and first.get("type") == "session" and isinstance(first.get("id"), str):
        return 0.98 if match_name(str(path)) else 0.9
    return _sniff_head(path, head)


def _sniff_head(path: Path, head: bytes) -> float:
    """The full sniff on up to 20 head lines (what `sniff` falls back to)."""
    if b"\x00" in head:
        return 0.0
    objs = _head_objects(head)
    first = objs[0] if objs else None
    header = isinstance(first, dict) and first.get("type") == "session" and isinstance(first.get("id"), str)
    if match_name(str(path)):
        if header:
            return 0.98
        # a uuid-named .jsonl whose lines are objects without "type" is something else
        # (e.g. cron/runs/<jobId>.jsonl)
        if any(isinstance(o, dict) and "type" not in o for o in objs) and not any(
            isinstance(o, dict) and o.get("type") in _TRANSCRIPT_TYPES for o in objs
        ):
            return 0.2
        return 0.9
    if header:
        return 0.9
    msgs = [
        o for o in objs
        if isinstance(o, dict) and o.get("type") == "message" and isinstance(o.get("message"), dict)
        and "role" in o["message"]
    ]
    if msgs:
        return 0.6
    return 0.0


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------

_MESSAGE_ID_RE = re.compile(r"\[message_id:\s*([^\]\s]+)\s*\]")
# Builds from about February 2026 put the id in a fenced JSON block instead (spec §4.7).
_META_ID_RE = re.compile(
    r'Conversation info \(untrusted metadata\):\s*```json\s*\{.*?"message_id"\s*:\s*"?([^",\s}]+)', re.S
)


def _content_text(content: Any, *, tool_calls: bool = False) -> str:
    """Join a message's content: string as is; text blocks joined by newlines; images as
    `[image]`; tool calls as `[toolCall <name>]` (assistant); thinking blocks dropped."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return "" if content is None else str(content)
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
            continue
        if not isinstance(block, dict):
            continue
        btype = block.get("type")
        if btype == "text":
            t = block.get("text")
            if isinstance(t, str):
                parts.append(t)
        elif btype == "image":
            parts.append("[image]")
        elif btype == "thinking":
            continue
        elif btype == "toolCall":
            if tool_calls:
                parts.append(f"[toolCall {block.get('name', '?')}]")
        elif btype:
            parts.append(f"[{btype}]")
    return "\n".join(parts)


def _last_message_id(text: str) -> str | None:
    ids = _MESSAGE_ID_RE.findall(text) or _META_ID_RE.findall(text)
    return ids[-1] if ids else None


def _short(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


# Reasons of `{"type":"reset"}` entries in stable-id transcripts (OpenClaw ≥ 2026.9,
# src/config/sessions/session-entry-codec.ts).
RESET_HINTS = {
    "new": "/new or sessions.reset",
    "reset": "/reset or sessions.reset",
    "idle": "idle expiry",
    "daily": "daily reset time",
    "cron-stale": "stale cron session",
}


def reset_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """A reset entry: kind session_reset, its reason in stop_reason and in the text."""
    reason = obj.get("reason")
    r = reason if isinstance(reason, str) and reason else ("?" if reason is None else _short(reason))
    text = f"reset reason={r}" + (f" ({RESET_HINTS[r]})" if r in RESET_HINTS else "")
    if isinstance(obj.get("firstKeptEntryId"), str):
        text += f" firstKeptEntryId={obj['firstKeptEntryId']}"
    return {"kind": "session_reset", "text": text, "stop_reason": r}


def _classify(obj: dict[str, Any], raw: str) -> dict[str, Any]:
    """Kind, text and message fields of one transcript entry (no ts / session id)."""
    etype = obj.get("type")
    if etype == "reset":
        return reset_fields(obj)
    if etype == "message":
        msg = obj.get("message")
        if not isinstance(msg, dict):
            return {"kind": "transcript_entry", "text": f"message entry without payload: {raw}"}
        role = msg.get("role")
        role_s = role if isinstance(role, str) else None
        if role == "user":
            text = _content_text(msg.get("content"))
            kind = "reset_prompt" if any(m in text for m in RESET_PROMPT_MARKERS) else "user_message"
            return {"kind": kind, "role": "user", "text": text, "message_id": _last_message_id(text)}
        if role == "assistant":
            text = _content_text(msg.get("content"), tool_calls=True)
            stop = msg.get("stopReason")
            stop_s = stop if isinstance(stop, str) else None
            err = msg.get("errorMessage")
            if isinstance(err, str) and err:
                text = f"{text}\n[error: {err}]" if text else f"[error: {err}]"
            kind = "assistant_message"
            if text.lstrip().startswith(RESET_NOTICE_PREFIX):
                kind = "reset_notice"
            if msg.get("model") == "delivery-mirror":
                text = "[delivery-mirror] " + text
            elif stop_s == "injected":
                text = "[injected] " + text
            return {"kind": kind, "role": "assistant", "text": text, "stop_reason": stop_s}
        if role == "toolResult":
            name = msg.get("toolName") or "tool"
            tag = f"{name} error" if msg.get("isError") is True else str(name)
            return {"kind": "tool_result", "role": "toolResult", "text": f"[{tag}] {_content_text(msg.get('content'))}"}
        text = _content_text(msg.get("content"))
        return {"kind": "transcript_entry", "role": role_s, "text": f"message role={role_s or '?'}: {text}"}
    if etype == "compaction":
        return {
            "kind": "compaction",
            "text": f"compaction tokensBefore={obj.get('tokensBefore')} firstKeptEntryId={obj.get('firstKeptEntryId')}"
            f"{' fromHook' if obj.get('fromHook') else ''}: {_short(obj.get('summary', ''))}",
        }
    if etype == "model_change":
        return {"kind": "model_change", "text": f"model_change {obj.get('provider')}/{obj.get('modelId')}"}
    if etype == "custom":
        ctype = obj.get("customType")
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        if ctype == "model-snapshot":
            return {
                "kind": "model_change",
                "text": f"model-snapshot {data.get('provider')}/{data.get('modelId')} ({data.get('modelApi')})",
            }
        return {"kind": "transcript_entry", "text": f"custom {ctype}: {_short(obj.get('data'))}"}
    if etype == "thinking_level_change":
        return {"kind": "transcript_entry", "text": f"thinking_level_change {obj.get('thinkingLevel')}"}
    if etype == "custom_message":
        return {
            "kind": "transcript_entry",
            "text": f"custom_message {obj.get('customType')}: {_content_text(obj.get('content'))}",
        }
    if etype == "branch_summary":
        return {"kind": "transcript_entry", "text": f"branch_summary from {obj.get('fromId')}: {_short(obj.get('summary', ''))}"}
    if etype == "label":
        return {"kind": "transcript_entry", "text": f"label {obj.get('targetId')}: {obj.get('label')}"}
    if etype == "session_info":
        return {"kind": "transcript_entry", "text": f"session_info {obj.get('name')}"}
    return {"kind": "transcript_entry", "text": f"entry type={_short(etype) if etype is not None else '?'}: {raw}"}


def _entry_ts(obj: dict[str, Any]) -> tuple[int | None, str]:
    us, how = iso_to_us(obj.get("timestamp"))
    if us is not None:
        return us, f"transcript timestamp ({how})"
    msg = obj.get("message")
    inner = msg.get("timestamp") if isinstance(msg, dict) else None
    us = ms_to_us(inner)
    if us is None:
        us = ms_to_us(obj.get("timestamp"))
    if us is not None:
        return us, "transcript message epoch ms (UTC)"
    if obj.get("timestamp") is not None:
        return None, f"unreadable transcript timestamp {_short(obj.get('timestamp'))!r}"
    return None, "no timestamp in entry"


def _is_header(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") == "session" and isinstance(obj.get("id"), str) and obj["id"] != ""


def json_lines(lines: list[str]) -> list[tuple[int, str, Any]]:
    """(1-based line number, raw line, decoded JSON or BAD) for every non-blank line; the JSONL
    readers (transcripts, commands.log) share it so a bad line is never dropped."""
    out: list[tuple[int, str, Any]] = []
    for i, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            obj = BAD
        out.append((i, raw, obj))
    return out


# ---------------------------------------------------------------------------------------
# The per-line loop. It fills column lists directly (no row dicts) and handles the entries
# that make up nearly every transcript (header; user / assistant / toolResult messages with a
# string or block-list content; an ISO `…Z` timestamp) inline; every other entry goes through
# _classify / _entry_ts, so both paths give the same values (tests/test_transcript.py checks
# them against each other line by line).
# ---------------------------------------------------------------------------------------

_fromiso = datetime.fromisoformat
# The bare-reset markers share a prefix; testing it first skips the any() for most texts.
_PROMPT_PREFIX = os.path.commonprefix(list(RESET_PROMPT_MARKERS))
_NOTE_UTC = "transcript timestamp (UTC)"


def _fast_ts(obj: dict[str, Any]) -> tuple[int | None, str]:
    """_entry_ts with a shortcut for the usual `…Z` ISO stamp (same result)."""
    value = obj.get("timestamp")
    if type(value) is str and value[-1:] == "Z":
        try:
            dt = _fromiso(value)
        except ValueError:
            return _entry_ts(obj)
        if not dt.utcoffset():  # 'Z' always gives +00:00; iso_to_us would strip nothing and say "UTC"
            delta = dt - _EPOCH
            return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds, _NOTE_UTC
    return _entry_ts(obj)


def _fast_text(content: Any, tool_calls: bool) -> str:
    """_content_text with a shortcut for a lone text block."""
    if type(content) is list and len(content) == 1:
        block = content[0]
        if type(block) is dict and block.get("type") == "text":
            t = block.get("text")
            if type(t) is str:
                return t
    return _content_text(content, tool_calls=tool_calls)


def _message_fields(msg: dict[str, Any]) -> tuple[str, str | None, str, str | None, str | None] | None:
    """(kind, role, text, message_id, stop_reason) of a user / assistant / toolResult message,
    exactly as _classify gives them; None for other roles (the caller uses _classify)."""
    role = msg.get("role")
    if role == "user":
        text = _fast_text(msg.get("content"), False)
        kind = "user_message"
        if _PROMPT_PREFIX in text and any(m in text for m in RESET_PROMPT_MARKERS):
            kind = "reset_prompt"
        mid = _last_message_id(text) if "message_id" in text else None
        return kind, "user", text, mid, None
    if role == "assistant":
        text = _fast_text(msg.get("content"), True)
        stop = msg.get("stopReason")
        stop_s = stop if type(stop) is str else None
        err = msg.get("errorMessage")
        if type(err) is str and err:
            text = f"{text}\n[error: {err}]" if text else f"[error: {err}]"
        kind = "reset_notice" if text.lstrip().startswith(RESET_NOTICE_PREFIX) else "assistant_message"
        if msg.get("model") == "delivery-mirror":
            text = "[delivery-mirror] " + text
        elif stop_s == "injected":
            text = "[injected] " + text
        return kind, "assistant", text, None, stop_s
    if role == "toolResult":
        name = msg.get("toolName") or "tool"
        tag = f"{name} error" if msg.get("isError") is True else str(name)
        return "tool_result", "toolResult", f"[{tag}] {_fast_text(msg.get('content'), False)}", None, None
    return None


# Null columns, sliced per file instead of built per file (a slice shares the buffer).
_NULL_COLUMNS = ("channel", "session_key", "host", "ident", "pid", "subsystem", "level", "code", "backoff_ms",
                 "after_code", "duration_ms", "listener", "event_name", "wall", "wall_has_year")
_NULL_CACHE: dict[str, pl.Series] = {}
_NULL_CACHE_LEN = 1 << 16


def _null_series(name: str, n: int) -> pl.Series:
    if n > _NULL_CACHE_LEN:
        return pl.Series(name, [None] * n, FULL_SCHEMA[name])
    full = _NULL_CACHE.get(name)
    if full is None:
        full = _NULL_CACHE[name] = pl.Series(name, [None] * _NULL_CACHE_LEN, FULL_SCHEMA[name])
    return full.slice(0, n)


def columns_to_frame(cols: dict[str, list[Any]], n: int) -> pl.DataFrame:
    """Column lists (names from _ROW_SCHEMA, ts as epoch µs, each of length n; a missing name
    is all null) -> a frame conforming to the schema, equal to rows_to_frame of the same rows."""
    series: list[pl.Series] = []
    for name, dtype in FULL_SCHEMA.items():
        values = cols.get(name)
        if values is None:
            series.append(_null_series(name, n))
        elif name == "ts":
            series.append(pl.Series("ts", values, pl.Int64).cast(UTC_US))
        else:
            series.append(pl.Series(name, values, dtype))
    return pl.DataFrame(series)


def parse(source: InputFile) -> ParsedSource:
    text, notes = decode_text(source, "session transcript")
    lines = split_lines(text)
    name_m = match_name(source.name)
    name_sid = name_m.group("sid").lower() if name_m and name_m.group("sid") else None
    src = source.name

    # One tuple per row: (line, ts µs, ts_note, kind, session_id, role, text, message_id, stop_reason);
    # session_id is None for rows before the first valid header and filled in below.
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    current: str | None = None  # id of the most recent valid header
    first_header_id: str | None = None
    before_header = 0  # rows before the first valid header
    first_line = 0  # line number of the first non-blank line
    first_ok = False  # that line is a valid header

    for i, raw in enumerate(lines, 1):
        if raw[:1] != "{" and not raw.strip():
            continue
        try:
            obj = loads(raw)
        except decode_error:
            obj = BAD
        if not first_line:
            first_line = i
            first_ok = _is_header(obj)
        if type(obj) is not dict:
            add((i, None, "no timestamp (unparsed line)", "unparsed", current, None, raw, None, None))
        else:
            etype = obj.get("type")
            if etype == "message":
                msg = obj.get("message")
                fields = _message_fields(msg) if type(msg) is dict else None
                if fields is not None:
                    us, note = _fast_ts(obj)
                    add((i, us, note, fields[0], current, fields[1], fields[2], fields[3], fields[4]))
                    continue
            elif etype == "session" and _is_header(obj):
                current = obj["id"]
                if first_header_id is None:
                    first_header_id = current
                    before_header = len(rows)
                us, how = iso_to_us(obj.get("timestamp"))
                desc = f"session header v{obj.get('version', '?')} cwd={obj.get('cwd', '?')}"
                if obj.get("parentSession"):
                    desc += f" parentSession={obj['parentSession']}"
                note = f"transcript timestamp ({how})" if us is not None else "no timestamp in header"
                add((i, us, note, "session_start", current, None, desc, None, None))
                continue
            us, note = _fast_ts(obj)
            row = _classify(obj, raw)
            add((i, us, note, row["kind"], current, row.get("role"), row.get("text"), row.get("message_id"),
                 row.get("stop_reason")))
    if first_header_id is None:
        before_header = len(rows)

    fallback = name_sid or first_header_id
    if first_line and not first_ok:
        if name_sid:
            notes.append(f"no valid session header on line {first_line}; session_id taken from the file name ({name_sid})")
        elif first_header_id:
            notes.append(f"no valid session header on line {first_line}; session_id taken from the first header found ({first_header_id})")
        else:
            notes.append("no valid session header and no uuid in the file name; session_id left empty")
    if first_header_id and name_sid and first_header_id.lower() != name_sid:
        notes.append(f"header id {first_header_id} differs from the file name's uuid {name_sid}")

    if name_m and name_m.group("reason"):
        reason, stamp = name_m.group("reason").lower(), name_m.group("ats")
        add((0, archive_ts_to_us(stamp), "archive time from the file name (UTC)", "session_archive",
             current or fallback, None, f"{_ARCHIVE_TEXT[reason]} at {stamp}", None, None))
        notes.append(f"archived transcript ({reason}); session_archive event at line 0, time from the file name")
    if name_m and name_m.groupdict().get("fts"):
        notes.append(f"forked thread transcript (fork time in name: {name_m.group('fts')})")

    n = len(rows)
    if n:
        c_line, c_ts, c_note, c_kind, c_sid, c_role, c_text, c_mid, c_stop = map(list, zip(*rows))
        if before_header and fallback is not None:
            c_sid[:before_header] = [fallback] * before_header
    else:
        c_line = c_ts = c_note = c_kind = c_sid = c_role = c_text = c_mid = c_stop = []
    events = columns_to_frame({
        "ts": c_ts, "ts_note": c_note, "source": [src] * n, "line": c_line, "format": [FORMAT] * n,
        "kind": c_kind, "session_id": c_sid, "message_id": c_mid, "role": c_role, "stop_reason": c_stop,
        "text": c_text,
    }, n)
    return ParsedSource(
        source=src,
        format=FORMAT,
        events=events,
        lines=len(lines),
        notes=notes,
        mtime=source.mtime(),
    )


class _Bad:
    """Marker for a line that is not JSON."""


BAD = _Bad()
