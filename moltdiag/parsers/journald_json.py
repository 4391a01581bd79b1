"""journalctl `-o json` (one object per line; also `json-pretty` and `json-seq`).

Field mapping (shared with `-o export`, see `journal_fields_frame`): `__REALTIME_TIMESTAMP`
(µs since the epoch, UTC, a string) → `ts`; `_HOSTNAME` → host; `SYSLOG_IDENTIFIER` →
ident; `_PID` → pid; `PRIORITY` → level; `MESSAGE` → text via the OpenClaw classifier.

`MESSAGE` is a string, `null`, or an array of byte values when it held control
characters such as colour codes (spec §8.3.2). The journal's receive time stays `ts` even
when the message carries the gateway's own console stamp: it orders the journal.

Lines are split by Polars' native line reader and decoded in bulk with Polars
(`str.json_decode` against a fixed struct of the six fields, chunks of 8192 lines decoded
in parallel); a chunk that fails (a cut line, a field with several values) is retried line
by line with orjson, lines with a byte-array MESSAGE (≈5 % in practice) go to orjson
directly, and only the lines orjson rejects become `unparsed`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from moltdiag.parsers.base import InputFile, ParsedSource
from moltdiag.parsers.journald_text import decode_lines_counted, head_lines, invalid_utf8_note
from moltdiag.parsers.streaming import Piece, Streamed, parse_in_pieces
from moltdiag.parsers.openclaw_messages import classify_log_messages
from moltdiag.schema import conform

FORMAT = "journald-json"

# journal field → working column
FIELDS: dict[str, str] = {
    "__REALTIME_TIMESTAMP": "_realtime",
    "_HOSTNAME": "host",
    "SYSLOG_IDENTIFIER": "ident",
    "_PID": "_pid",
    "PRIORITY": "_priority",
    "MESSAGE": "text",
}
_STRUCT = pl.Struct({name: pl.String for name in FIELDS})
_CHUNK = 8192

# syslog priority → level
LEVELS: dict[str, str] = {"0": "fatal", "1": "fatal", "2": "fatal", "3": "error", "4": "warn", "5": "info",
                          "6": "info", "7": "debug"}

REALTIME_NOTE = "journal __REALTIME_TIMESTAMP (UTC)"
EMBEDDED_NOTE = "gateway console stamp (no journal time in the record)"


def field_text(value: Any) -> str | None:
    """A journal field value as text: strings as is, byte arrays decoded (UTF-8, replace),
    several values (a list of strings/arrays) → the first one."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if not value:
            return ""
        if isinstance(value[0], int):  # bytes() takes exactly a list of ints 0…255 (bools too)
            try:
                return bytes(value).decode("utf-8", errors="replace")
            except (TypeError, ValueError):
                pass
        return field_text(value[0])
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def journal_fields_frame(rows: dict[str, list], *, source: str, fmt: str) -> pl.DataFrame:
    """Working columns (`line`, `_realtime`, `host`, `ident`, `_pid`, `_priority`, `text`,
    plus optional `kind` preset to `unparsed`) → canonical events."""
    df = pl.DataFrame(rows, schema={"line": pl.Int64, **{c: pl.String for c in FIELDS.values()}, "kind": pl.String})
    parsed = df.filter(pl.col("kind").is_null()).drop("kind")
    unparsed = df.filter(pl.col("kind").is_not_null())

    realtime = pl.col("_realtime").str.strip_chars().cast(pl.Int64, strict=False)
    parsed = parsed.with_columns(
        ts=pl.from_epoch(realtime, time_unit="us").dt.replace_time_zone("UTC"),
        pid=pl.col("_pid").str.strip_chars().cast(pl.Int64, strict=False),
        level=pl.col("_priority").str.strip_chars().replace_strict(LEVELS, default=None, return_dtype=pl.String),
        subsystem=pl.lit(None, dtype=pl.String), channel=pl.lit(None, dtype=pl.String),
        session_key=pl.lit(None, dtype=pl.String), session_id=pl.lit(None, dtype=pl.String),
    )
    parsed = classify_log_messages(parsed)
    emb = pl.col("embedded_ts")
    parsed = parsed.with_columns(
        ts_note=pl.when(pl.col("ts").is_not_null()).then(pl.lit(REALTIME_NOTE))
        .when(emb.is_not_null()).then(pl.lit(EMBEDDED_NOTE)),
        ts=pl.coalesce(pl.col("ts"), emb),
    ).drop("embedded_ts")
    if unparsed.height or not parsed["line"].is_sorted():
        events = pl.concat([conform(parsed), conform(unparsed)], how="vertical").sort("line", maintain_order=True)
    else:
        events = conform(parsed)
    return events.with_columns(source=pl.lit(source, dtype=pl.Categorical()), format=pl.lit(fmt, dtype=pl.Categorical()))


def _empty_rows() -> dict[str, list]:
    return {"line": [], **{c: [] for c in FIELDS.values()}, "kind": []}


def _add_object(rows: dict[str, list], line: int, obj: dict) -> None:
    rows["line"].append(line)
    for name, col in FIELDS.items():
        rows[col].append(field_text(obj.get(name)))
    rows["kind"].append(None)


def _add_unparsed(rows: dict[str, list], line: int, raw: str) -> None:
    rows["line"].append(line)
    for col in FIELDS.values():
        rows[col].append(raw if col == "text" else None)
    rows["kind"].append("unparsed")


def _decode_one(rows: dict[str, list], line: int, raw: str) -> None:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = None
    if isinstance(obj, dict):
        _add_object(rows, line, obj)
    else:
        _add_unparsed(rows, line, raw)


_ROWS_SCHEMA = {"line": pl.Int64, **{c: pl.String for c in FIELDS.values()}, "kind": pl.String}


def _decode_chunk(chunk: pl.DataFrame) -> pl.DataFrame:
    """One chunk of object lines: Polars' JSON decoder, or orjson line by line if it refuses."""
    try:
        decoded = chunk["raw"].str.json_decode(_STRUCT)
    except pl.exceptions.PolarsError:
        rows = _empty_rows()
        for line, raw in chunk.iter_rows():
            _decode_one(rows, line, raw)
        return pl.DataFrame(rows, schema=_ROWS_SCHEMA).with_columns(_one=pl.lit(True))
    return decoded.struct.unnest().rename(FIELDS).with_columns(line=chunk["line"], kind=pl.lit(None, dtype=pl.String))


def _decode_rest(slow: pl.DataFrame) -> pl.DataFrame:
    """Lines that are not bulk material: byte-array MESSAGEs and the like (orjson), or not
    objects at all (unparsed)."""
    rows = _empty_rows()
    for line, raw in slow.iter_rows():
        if raw.startswith("{"):
            _decode_one(rows, line, raw)
        else:
            _add_unparsed(rows, line, raw)
    return pl.DataFrame(rows, schema=_ROWS_SCHEMA).with_columns(_one=pl.lit(True))


def _pretty_records(df: pl.DataFrame) -> pl.DataFrame:
    """`json-pretty`: an object spans lines from `{` to `}` → one record per object."""
    start = pl.col("raw").str.strip_chars() == "{"
    return (
        df.with_columns(_rec=start.cast(pl.Int64).cum_sum())
        .group_by("_rec", maintain_order=True)
        .agg(pl.col("line").first(), pl.col("raw").str.join("\n"))
        .drop("_rec")
    )


def parse(source: InputFile) -> ParsedSource:
    if _first_line_is_brace(source.head):  # `json-pretty`: an object spans lines, so the file is read whole
        piece = _parse_piece(source.data, source.name)
        streamed = Streamed(piece.events, piece.lines, [piece.counters])
    else:
        streamed = parse_in_pieces(source, lambda data: _parse_piece(data, source.name))
    bad = sum(p["bad_utf8"] for p in streamed.pieces)
    notes = [invalid_utf8_note(bad)] if bad else []
    if any(p["pretty"] for p in streamed.pieces):
        notes.append("json-pretty records (one object spread over lines)")
    unparsed = sum(p["unparsed"] for p in streamed.pieces)
    if unparsed:
        notes.append(f"{unparsed} line(s) are not JSON objects")
    return ParsedSource(source=source.name, format=FORMAT, events=streamed.events, lines=streamed.lines, notes=notes,
                        mtime=source.mtime(), routine_dropped=streamed.routine_dropped)


def _first_line_is_brace(head: bytes) -> bool:
    lines = head_lines(head, limit=1)
    return bool(lines) and lines[0].lstrip("\x1e").strip() == "{"


def _parse_piece(data: bytes, name: str) -> Piece:
    lines, bad_utf8 = decode_lines_counted(data)
    n_lines = lines.height
    pretty = False
    # json-seq RS and outer whitespace, rewritten only on the lines that have them
    raw = pl.col("raw")
    needs = lines.select(
        (raw.str.head(1).str.contains(r"[\x1e\s]") | raw.str.tail(1).str.contains(r"\s")).fill_null(False)
    ).to_series()
    if needs.any():
        fixed = lines.filter(needs).select(raw.str.strip_prefix("\x1e").str.strip_chars()).to_series()
        lines = lines.with_columns(raw=lines["raw"].clone().scatter(needs.arg_true(), fixed))
    df = lines.filter(raw != "") if needs.any() or (lines["raw"] == "").any() else lines
    del lines
    if df.height and df["raw"][0] == "{":
        df = _pretty_records(df)
        pretty = True

    is_obj = pl.col("raw").str.starts_with("{") & pl.col("raw").str.ends_with("}")
    # A byte-array MESSAGE does not fit the bulk struct; send it straight to orjson.
    bulk_ok = is_obj & ~pl.col("raw").str.contains(r'"MESSAGE"\s*:\s*\[')
    bulk = df.filter(bulk_ok)
    slow = df.filter(~bulk_ok)

    # Chunks of _CHUNK lines decode in parallel; a chunk Polars rejects goes line by line
    # through orjson, and so do the lines that are not bulk material (in their own task).
    chunks = [bulk.slice(offset, _CHUNK) for offset in range(0, bulk.height, _CHUNK)]
    workers = min(pl.thread_pool_size(), 8)
    if workers > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rest = pool.submit(_decode_rest, slow)
            frames = list(pool.map(_decode_chunk, chunks))
            frames.append(rest.result())
    else:
        frames = [_decode_chunk(chunk) for chunk in chunks]
        frames.append(_decode_rest(slow))
    del bulk, slow, chunks
    one_by_one = any("_one" in f.columns and f.height for f in frames)
    columns = ["line", *FIELDS.values(), "kind"]
    merged = pl.concat([f.select(columns) for f in frames if f.height], how="vertical") if any(
        f.height for f in frames) else frames[-1].select(columns)
    if one_by_one:  # lines decoded one by one go back to their place (the events are sorted by line)
        merged = merged.sort("line", maintain_order=True)
    events = journal_fields_frame(merged.to_dict(as_series=True), source=name, fmt=FORMAT)
    unparsed = int((events["kind"] == "unparsed").sum()) if events.height else 0
    return Piece(events, n_lines, {"bad_utf8": bad_utf8, "unparsed": unparsed, "pretty": pretty})


def sniff(path: Path, head: bytes) -> float:
    if not head:
        return 0.0
    lines = [line.lstrip("\x1e").strip() for line in head_lines(head, limit=20)]
    if not lines:
        return 0.0
    if lines[0] == "{":  # json-pretty
        text = head.decode("utf-8", errors="replace")
        return 0.9 if '"__REALTIME_TIMESTAMP" :' in text or '"__CURSOR" :' in text else 0.0
    objects = with_time = with_message = 0
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        objects += 1
        with_time += "__REALTIME_TIMESTAMP" in obj
        with_message += "MESSAGE" in obj
    if not objects or objects * 2 < len(lines):
        return 0.0
    if with_time * 2 >= objects:
        return 0.95
    if with_message * 2 >= objects:
        return 0.6  # MESSAGE alone: a journal-ish JSON without its cursor fields
    return 0.0
