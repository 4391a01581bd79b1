"""`<stateDir>/logs/commands.log`: the command-logger hook's JSON lines (openclaw-formats.md §5.3, §8.5).

    {"timestamp":"2026-01-27T19:05:10.498Z","action":"new","sessionKey":"agent:main:…","senderId":"3012…","source":"discord"}

One `command_log` event per line: `ts` from `timestamp` (ISO UTC), `session_key` from
`sessionKey`, `channel` from `source` (lower-cased), `text` = `/<action> by <senderId> via
<source>`, `message_id` null (the hook does not record one). A line that is not a JSON
object with an `action` becomes `unparsed` (raw text kept); blank lines are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from moltdiag.parsers.base import InputFile, ParsedSource
from moltdiag.parsers.transcript import base_name, decode_text, iso_to_us, json_lines, rows_to_frame, split_lines

FORMAT = "commands-log"


def _is_command(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("action"), str)


def sniff(path: Path, head: bytes) -> float:
    if b"\x00" in head:
        return 0.0
    objs: list[Any] = []
    parts = head.split(b"\n")
    if len(head) >= 64 * 1024 and len(parts) > 1:
        parts = parts[:-1]
    for raw in parts:
        if raw.strip():
            try:
                objs.append(orjson.loads(raw))
            except orjson.JSONDecodeError:
                objs.append(None)
            if len(objs) >= 20:
                break
    hits = sum(1 for o in objs if _is_command(o) and "sessionKey" in o)
    content = 0.9 if objs and hits == len(objs) else (0.6 if hits else 0.0)
    if base_name(str(path)).lower() in ("commands.log",) or base_name(str(path)).lower().startswith("commands.log."):
        # by name, unless the content clearly is something else
        if objs and not hits and all(o is not None for o in objs):
            return 0.3
        return max(content, 0.95)
    return content


def _s(v: Any) -> str:
    return v if isinstance(v, str) else ("?" if v is None else orjson.dumps(v).decode())


def parse(source: InputFile) -> ParsedSource:
    text, notes = decode_text(source, "commands.log")
    lines = split_lines(text)
    rows: list[dict[str, Any]] = []
    for i, raw, obj in json_lines(lines):
        if not _is_command(obj):
            rows.append({
                "ts_note": "no timestamp (unparsed line)", "source": source.name, "line": i,
                "format": FORMAT, "kind": "unparsed", "text": raw,
            })
            continue
        us, how = iso_to_us(obj.get("timestamp"))
        if us is None:
            tn = f"unreadable commands.log timestamp {_s(obj.get('timestamp'))!r}" if obj.get("timestamp") is not None \
                else "no timestamp in line"
        else:
            tn = f"commands.log timestamp ({how})"
        src = obj.get("source")
        key = obj.get("sessionKey")
        rows.append({
            "ts": us, "ts_note": tn, "source": source.name, "line": i, "format": FORMAT,
            "kind": "command_log",
            "session_key": key if isinstance(key, str) else None,
            "channel": src.lower() if isinstance(src, str) and src else None,
            "text": f"/{obj['action']} by {_s(obj.get('senderId'))} via {_s(src)}",
        })
    return ParsedSource(source.name, FORMAT, rows_to_frame(rows), len(lines), notes, source.mtime())
