"""Session store: `agents/<agentId>/sessions/sessions.json` (openclaw-formats.md §3).

One JSON object `{ "<sessionKey>": SessionEntry, … }`, written by OpenClaw with
`JSON.stringify(store, null, 2)`. One `session_store_entry` event per key:

- `ts`          = entry `updatedAt` (epoch ms -> UTC µs); null when missing
- `session_key` = the store key, `session_id` = entry `sessionId`
- `channel`     = `lastChannel`, else `origin.provider`, else `deliveryContext.channel`,
                  else `channel` (lower-cased)
- `text`        = `<key> -> <sessionId> (sessionFile <path>, chatType <t>, …)`
- `line`        = 1-based line where the key appears in the file (`"<key>":` searched in
                  the raw text, in key order; 1 for a one-line file)

An entry whose value is not an object becomes an `unparsed` row. The file is read with
orjson; if that fails, a JSON5-lite retry removes `//` and `/* */` comments and trailing
commas (OpenClaw reads the store with JSON5); if that fails too, `InputError` names the file
with the line and column of the original error. Unknown entry fields are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from moltdiag.parsers.base import InputError, InputFile, ParsedSource
from moltdiag.parsers.transcript import base_name, decode_text, ms_to_us, rows_to_frame

FORMAT = "sessions-json"

_NAME_RE = re.compile(
    r"^sessions\.json(?:\.bak\.\d+|\.after-.+|\.\d+\.[0-9a-f-]{36}\.tmp|\.bak|\.orig|\.old|\.copy)?$", re.I
)
_NOT_A_STORE_RE = re.compile(r"^sessions\.json\.lock$", re.I)
# `{` then a first key whose value is an object, and a sessionId somewhere.
_HEAD_SHAPE_RE = re.compile(rb'^\s*\{\s*"(?:[^"\\]|\\.)+"\s*:\s*\{')
_HEAD_SID_RE = re.compile(rb'"sessionId"\s*:\s*"')


def _looks_like_store(obj: Any) -> bool:
    if not isinstance(obj, dict) or not obj:
        return False
    values = list(obj.values())[:20]
    return all(isinstance(v, dict) for v in values) and any("sessionId" in v for v in values)


def sniff(path: Path, head: bytes) -> float:
    if b"\x00" in head:
        return 0.0
    name = base_name(str(path))
    if _NOT_A_STORE_RE.match(name):
        return 0.0
    content = 0.0
    try:
        obj = orjson.loads(head)
        if _looks_like_store(obj):
            content = 0.95
        elif isinstance(obj, dict) and obj == {}:
            content = 0.3  # an empty store
    except orjson.JSONDecodeError:
        if _HEAD_SHAPE_RE.match(head) and _HEAD_SID_RE.search(head):
            content = 0.85
    if _NAME_RE.match(name):
        return max(content, 0.95)
    return content


# ---------------------------------------------------------------------------------------
# JSON5-lite: strip comments and trailing commas outside strings
# ---------------------------------------------------------------------------------------

def _json5_lite(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j  # keep the newline: line numbers stay right
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            end = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
        elif c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "}]":
                out.append(text[i + 1 : j])  # drop the comma, keep the whitespace
                i = j
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _load(source: InputFile, text: str, notes: list[str]) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as first:
        try:
            obj = orjson.loads(_json5_lite(text))
        except orjson.JSONDecodeError:
            raise InputError(
                f"{source.name}: not valid JSON at line {first.lineno}, column {first.colno}: {first.msg}"
            ) from None
        notes.append("JSON5-style comments / trailing commas tolerated")
        return obj


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------

def _channel(entry: dict[str, Any]) -> str | None:
    cands = [entry.get("lastChannel")]
    origin, ctx = entry.get("origin"), entry.get("deliveryContext")
    cands.append(origin.get("provider") if isinstance(origin, dict) else None)
    cands.append(ctx.get("channel") if isinstance(ctx, dict) else None)
    cands.append(entry.get("channel"))
    for c in cands:
        if isinstance(c, str) and c:
            return c.lower()
    return None


def _summary(key: str, entry: dict[str, Any]) -> str:
    sid = entry.get("sessionId")
    parts: list[str] = []
    if entry.get("sessionFile"):
        parts.append(f"sessionFile {entry['sessionFile']}")
    if entry.get("chatType"):
        parts.append(f"chatType {entry['chatType']}")
    if entry.get("compactionCount") is not None:
        parts.append(f"compactionCount {entry['compactionCount']}")
    if entry.get("abortedLastRun") is True:
        parts.append("abortedLastRun")
    if entry.get("systemSent") is False:
        parts.append("systemSent false")
    for f in ("displayName", "label", "spawnedBy"):
        if isinstance(entry.get(f), str) and entry[f]:
            parts.append(f"{f} {entry[f]}")
    head = f"{key} -> {sid if isinstance(sid, str) else 'no sessionId'}"
    return f"{head} ({', '.join(parts)})" if parts else head


_COLON_AFTER = re.compile(r"\s*:")


def _find_key(text: str, needle: str, pos: int) -> int:
    r"""Start of the first `needle` at or after pos that a ':' follows (whitespace allowed), or -1.
    The same match as searching `re.escape(needle) + r"\s*:"`, without compiling a pattern per key
    (a store has thousands of keys; re's cache holds 512)."""
    find, colon = text.find, _COLON_AFTER.match
    start = find(needle, pos)
    while start >= 0:
        if colon(text, start + len(needle)):
            return start
        start = find(needle, start + 1)
    return -1


def _key_lines(text: str, keys: list[str]) -> dict[str, int]:
    """1-based line of each top-level key, searching forward in key order."""
    out: dict[str, int] = {}
    pos = 0
    line = 1
    for key in keys:
        needle = orjson.dumps(key).decode()
        start = _find_key(text, needle, pos)
        if start < 0:
            start = _find_key(text, needle, 0)
        if start < 0:
            continue
        if start >= pos:
            line += text.count("\n", pos, start)
        else:
            line = text.count("\n", 0, start) + 1
        pos = start
        out[key] = line
    return out


def parse(source: InputFile) -> ParsedSource:
    text, notes = decode_text(source, "session store (sessions.json)")
    nlines = 0 if not text else text.count("\n") + (0 if text.endswith("\n") else 1)
    if not text.strip():
        notes.append("empty file: no store entries")
        return ParsedSource(source.name, FORMAT, rows_to_frame([]), nlines, notes, source.mtime())
    store = _load(source, text, notes)
    if not isinstance(store, dict):
        raise InputError(f"{source.name}: not a session store (top level is a JSON {type(store).__name__}, not an object)")

    keys = list(store)
    lines = _key_lines(text, keys)
    rows: list[dict[str, Any]] = []
    for key in keys:
        entry = store[key]
        row: dict[str, Any] = {
            "source": source.name, "line": lines.get(key), "format": FORMAT, "session_key": key,
        }
        if not isinstance(entry, dict):
            row.update({
                "kind": "unparsed", "ts_note": "no timestamp (entry is not an object)",
                "text": f"{orjson.dumps(key).decode()}: {orjson.dumps(entry).decode()}",
            })
            rows.append(row)
            continue
        us = ms_to_us(entry.get("updatedAt"))
        sid = entry.get("sessionId")
        row.update({
            "ts": us,
            "ts_note": "sessions.json updatedAt epoch ms (UTC)" if us is not None else "no updatedAt in entry",
            "kind": "session_store_entry",
            "session_id": sid if isinstance(sid, str) else None,
            "channel": _channel(entry),
            "text": _summary(key, entry),
        })
        rows.append(row)
    if any(r.get("line") is None for r in rows):
        notes.append("some keys could not be located in the raw text; their line is empty")
    return ParsedSource(source.name, FORMAT, rows_to_frame(rows), nlines, notes, source.mtime())
