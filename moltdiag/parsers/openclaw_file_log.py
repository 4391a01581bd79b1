"""The gateway's own JSON-lines file log, and `openclaw logs --json` output (spec §8.1, §9).

One module reads every JSON shape the gateway writes about itself:

- tslog records (`/tmp/<brand>/<brand>-YYYY-MM-DD.log`, spec §8.1.2): positional
  arguments under `"0"`, `"1"`, … , `_meta` (`date`, `logLevelName`, `name`, `hostname`,
  `parentNames`) and `time`. A call with one plain object spreads its keys to the top level.
- the flat shapes: the size-cap warning `{"time","level","subsystem","message"}` (§8.1.3)
  and the `json` console style `{"time","level","subsystem","message",…}` (§8.2).
- `openclaw logs --json` (§9): `{"type":"log",…,"raw"}` (the file line itself is in `raw`
  and is read like a file-log line; the outer fields are the fallback), `{"type":"meta"}`,
  `{"type":"notice"}`, `{"type":"error"}` (kind `other`), `{"type":"raw"}` (a file line
  `logs.tail` could not parse: `unparsed`, unless it is a record after all).

Field mapping:

- text: the numeric keys in order; strings (and numbers, booleans) as they are, objects and
  arrays JSON-encoded and moved after the strings, so the classifier reads the human
  message first (`heartbeat: started {"intervalMs":1800000}`). A leading `"0"` equal to
  `_meta.name` (a sub-logger's binding JSON) is dropped. A spread-object record (no
  positional keys) reads `message` first, then its other keys JSON-encoded. Flat shapes:
  `message` (other keys dropped).
- subsystem: `_meta.name` parsed as JSON → `subsystem`, else `module`; flat shapes the
  `subsystem`/`module` field. Root-logger records (`_meta.name` `clawdbot`/`moltbot`/
  `openclaw`: console capture) have none, so their text goes through the console prefix
  split: `[EventQueue] Slow listener …` → subsystem `EventQueue`, text `Slow listener …`.
- channel: from the subsystem (classifier); WhatsApp Web module loggers (`web-*`,
  `baileys`) → `whatsapp`, `<channel>-auto-reply` → that channel.
- ident: the root logger name (`_meta.name` of a root record, `parentNames[0]` of a child),
  i.e. the brand (`clawdbot`, `moltbot`, `openclaw`).
- ts: `time` (`Z` or an offset, converted to UTC; epoch milliseconds accepted), else
  `_meta.date` (UTC); ts_note says which (`file-log time (UTC)`, `file-log time with
  offset -04:00`, `file-log _meta.date (UTC)`). A `time` without any zone goes to `wall`.
- level: `_meta.logLevelName` or `level`, lower-cased; `trace`/`silly` → `debug`,
  `warning` → `warn`, `critical` → `fatal` (the schema's five levels).
- host: `_meta.hostname` or `hostname`. tslog writes `"unknown"` whenever `$HOSTNAME` is
  not exported (under systemd, in most shells), which names no host: it becomes null.
- pid: only what the message states (`listening on … (PID n)`); the file log has no pid.

Unreadable lines are kept as kind `unparsed` with the raw line as text: non-JSON lines,
cut-off JSON, and JSON that is not a log record (a transcript or journal line, `[1,2]`).

Speed: lines are decoded in bulk with Polars' parallel NDJSON reader against a fixed
struct (the whole file in one pass, the few non-object lines cut out of its bytes first;
in chunks when that fails);
positional keys that hold an object are read with `str.json_path_match`. A chunk that
fails to decode is bisected; only the offending lines are read with orjson, one by one,
and only lines orjson rejects become `unparsed`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from moltdiag.parsers.base import HEAD_BYTES, InputError, InputFile, ParsedSource
from moltdiag.parsers.journald_text import decode_lines_counted, head_lines, invalid_utf8_note
from moltdiag.parsers.openclaw_messages import classify, parse_iso_utc, split_console_prefix, strip_ansi
from moltdiag.parsers.streaming import Piece, parse_in_pieces
from moltdiag.schema import NAIVE_US, UTC_US, conform

FORMAT = "openclaw-file-log"
LOGS_JSON_FORMAT = "openclaw-logs-json"
FORMATS = (FORMAT, LOGS_JSON_FORMAT)

FILE_NAME_RE = re.compile(r"^(?P<brand>clawdbot|moltbot|openclaw)-(?P<date>\d{4}-\d{2}-\d{2})\.log$")

_S = pl.String
_META = pl.Struct({"hostname": _S, "name": _S, "parentNames": pl.List(_S), "date": _S, "logLevelName": _S})
# Named fields of every shape; positional keys are read separately (they may be objects).
_STRUCT = pl.Struct({
    "_meta": _META, "time": _S, "level": _S, "subsystem": _S, "module": _S, "message": _S,
    "hostname": _S, "type": _S, "raw": _S, "file": _S, "cursor": _S, "size": _S,
})
_NAMED = ("time", "level", "subsystem", "module", "message", "hostname", "type", "raw", "file", "cursor", "size")
# Positional keys read by the one-pass decode; an object/array value or a key beyond
# these sends the line to `json_path_match` (markers can only match real keys: inside a
# JSON string every quote is escaped).
_POSITIONAL = 8
_STRUCT_SCHEMA = {**{str(k): _S for k in range(_POSITIONAL)}, **{f.name: f.dtype for f in _STRUCT.fields}}
_COMPLEX_RE = rf'[{{,]\s*"[0-{_POSITIONAL - 1}]"\s*:\s*[\[{{]|[{{,]\s*"{_POSITIONAL}"\s*:'

_CHUNK = 65536
_MIN_BISECT = 64
_MAX_CUTS = 10000  # non-object lines cut from the file's bytes for the one-pass decode

LOG_TYPES = ("log", "meta", "raw", "notice", "error")

# Working frame: one row per non-blank line, every shape, before classification.
_WORK: dict[str, pl.DataType] = {
    "line": pl.Int64, "raw_line": _S, "shape": _S, "meta_present": pl.Boolean,
    "time": _S, "date": _S, "level": _S, "name": _S, "parent": _S, "host": _S,
    "subsystem": _S, "module": _S, "message": _S, "type": _S, "raw": _S, "file": _S, "cursor": _S, "size": _S,
    "strs": pl.List(_S), "objs": pl.List(_S),
}

LEVELS = {"trace": "debug", "silly": "debug", "debug": "debug", "info": "info", "warn": "warn", "warning": "warn",
          "error": "error", "fatal": "fatal", "critical": "fatal"}

# Module loggers that belong to a channel (spec §8.1.4, §1.5 of the events spec).
_MODULE_CHANNEL_RE = r"^(?:(web|baileys)\b|(discord|telegram|whatsapp|slack|signal|imessage)-)"

# `openclaw logs --json` messages repeat the binding JSON and put metadata objects first.
_BINDING_PREFIX_RE = r'^\{"(?:subsystem|module)":[^{}]*\}(?: |$)'
_LEADING_OBJECT_RE = r"^(\{[^{}]*\}) (.+)$"


# --- decoding ----------------------------------------------------------------------------


def _positional(df: pl.DataFrame) -> pl.DataFrame:
    """`line`, `strs`, `objs` for each row of (`line`, `raw_line`) with numeric keys."""
    raw = pl.col("raw_line")
    parts: list[pl.DataFrame] = []
    active = df.select("line", "raw_line")
    k = 0
    while active.height:
        active = active.filter(raw.str.contains(rf'[{{,]\s*"{k}"\s*:'))
        if not active.height:
            break
        part = active.select(
            "line",
            k=pl.lit(k, dtype=pl.Int32),
            val=raw.str.json_path_match(f"$.{k}"),
            obj=raw.str.contains(rf'[{{,]\s*"{k}"\s*:\s*[\[{{]'),
        )
        parts.append(part)
        k += 1
    if not parts:
        return pl.DataFrame(schema={"line": pl.Int64, "strs": pl.List(_S), "objs": pl.List(_S)})
    long = pl.concat(parts).filter(pl.col("val").is_not_null()).sort("line", "k")
    return long.group_by("line", maintain_order=True).agg(
        strs=pl.col("val").filter(~pl.col("obj")),
        objs=pl.col("val").filter(pl.col("obj")),
    )


def _frame(chunk: pl.DataFrame, fields: pl.DataFrame) -> pl.DataFrame:
    """Decoded fields (one row per chunk row, `_STRUCT_SCHEMA` columns) → working columns.

    Positional values come from the decode when all of a line's are scalars (most lines);
    a line with an object or array argument, or more than `_POSITIONAL` arguments, reads
    its positional keys with `json_path_match` (compact JSON for objects, type known).
    """
    meta = fields["_meta"]
    present = [str(k) for k in range(_POSITIONAL) if fields[str(k)].null_count() < fields.height]
    out = pl.DataFrame({
        "line": chunk["line"],
        "raw_line": chunk["raw_line"],
        "meta_present": meta.is_not_null(),
        "date": meta.struct.field("date"),
        "name": meta.struct.field("name"),
        "parent": meta.struct.field("parentNames").list.first(),
        **{f: fields[f] for f in _NAMED if f not in ("level", "hostname")},
        "level": meta.struct.field("logLevelName").fill_null(fields["level"]),
        "host": meta.struct.field("hostname").fill_null(fields["hostname"]),
        "_complex": chunk["raw_line"].str.contains(_COMPLEX_RE),
    })
    out = out.with_columns(
        _strs=fields.select(pl.concat_list(present).list.drop_nulls()).to_series() if present
        else pl.lit(None, dtype=pl.List(_S))
    ).with_columns(
        strs=pl.when(~pl.col("_complex") & (pl.col("_strs").list.len() > 0)).then(pl.col("_strs")),
        objs=pl.lit(None, dtype=pl.List(_S)),
    )
    hard = out.filter(pl.col("_complex"))
    if hard.height:
        pos = _positional(hard.select("line", "raw_line"))
        out = out.join(pos, on="line", how="left", maintain_order="left", suffix="_pos").with_columns(
            strs=pl.coalesce("strs", "strs_pos"), objs=pl.coalesce("objs", "objs_pos"),
        )
    return out.with_columns(shape=pl.lit(None, dtype=_S)).select([pl.col(c).cast(t) for c, t in _WORK.items()])


def _ndjson(data: bytes, rows: int) -> pl.DataFrame:
    """Polars' parallel NDJSON reader against the fixed struct; raises PolarsError on any
    misfit, including a row count that does not match (two objects on one line …)."""
    fields = pl.read_ndjson(data, schema=_STRUCT_SCHEMA)
    if fields.height != rows:
        raise pl.exceptions.ComputeError(f"{fields.height} records for {rows} lines")
    return fields


def _bulk(chunk: pl.DataFrame) -> pl.DataFrame:
    """Decode a chunk of object lines in one go; raises PolarsError when any line misfits."""
    data = chunk["raw_line"].str.join("\n").item().encode()
    return _frame(chunk, _ndjson(data, chunk.height))


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _str_field(value: Any) -> str | None:
    """A named field as the bulk path reads it: strings as they are, anything else as JSON."""
    return _json_text(value)


def _row_from_object(line: int, raw_line: str, obj: Any) -> dict[str, Any]:
    """The per-line twin of `_bulk` (same columns, same meaning)."""
    row: dict[str, Any] = {c: None for c in _WORK}
    row.update(line=line, raw_line=raw_line, meta_present=False)
    if not isinstance(obj, dict):
        row["shape"] = "not-object"
        return row
    meta = obj.get("_meta")
    if isinstance(meta, dict):
        parents = meta.get("parentNames")
        row.update(
            meta_present=True, date=_str_field(meta.get("date")), name=_str_field(meta.get("name")),
            parent=_str_field(parents[0]) if isinstance(parents, list) and parents else None,
        )
        row["level"] = _str_field(meta.get("logLevelName"))
        row["host"] = _str_field(meta.get("hostname"))
    for f in _NAMED:
        if f == "hostname":
            row["host"] = row["host"] or _str_field(obj.get(f))
        elif f == "level":
            row["level"] = row["level"] or _str_field(obj.get(f))
        else:
            row[f] = _str_field(obj.get(f))
    keys = sorted((k for k in obj if k.isdigit()), key=int)
    strs = [_json_text(obj[k]) for k in keys if obj[k] is not None and not isinstance(obj[k], (dict, list))]
    objs = [_json_text(obj[k]) for k in keys if isinstance(obj[k], (dict, list))]
    row["strs"], row["objs"] = (strs or None), (objs or None)
    if row["meta_present"] and not keys:
        # one plain object spread to the top level: `message` first, the other keys after
        message = obj.get("message")
        rest = {k: v for k, v in obj.items() if k not in ("_meta", "time", "message")}
        row["strs"] = [message] if isinstance(message, str) else None
        if message is not None and not isinstance(message, str):
            rest = {"message": message, **rest}
        row["objs"] = [orjson.dumps(rest).decode()] if rest else None
    return row


def _slow(rows: list[dict[str, Any]], line: int, raw_line: str) -> None:
    try:
        obj = orjson.loads(raw_line)
    except orjson.JSONDecodeError:
        rows.append({**{c: None for c in _WORK}, "line": line, "raw_line": raw_line, "meta_present": False,
                     "shape": "bad-json" if raw_line.startswith(("{", "[")) else "not-json"})
        return
    rows.append(_row_from_object(line, raw_line, obj))


def _cut_lines(data: bytes, numbers: list[int]) -> bytes:
    """`data` without the given 1-based physical lines (each left as an empty line)."""
    if not numbers:
        return data
    pieces: list[bytes] = []
    pos, line, keep_from = 0, 1, 0
    for target in sorted(numbers):
        while line < target:  # skip to the start of the target line
            pos = data.index(b"\n", pos) + 1
            line += 1
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        pieces.append(data[keep_from:pos])
        keep_from = end
    pieces.append(data[keep_from:])
    return b"".join(pieces)


def _decode(lines: pl.DataFrame, data: bytes | None = None) -> pl.DataFrame:
    """(`line`, `raw_line`) → working frame (`_WORK`), one row per input row.

    `data`, when given, is the text the non-blank `lines` came from: its object lines are
    decoded in one pass, the few others cut out first (NDJSON skips blank lines, so rows
    stay aligned; a count mismatch or any misfit falls back to chunks).
    """
    is_obj = pl.col("raw_line").str.starts_with("{") & pl.col("raw_line").str.ends_with("}")
    frames: list[pl.DataFrame] = []
    rows: list[dict[str, Any]] = []
    bulk = lines.filter(is_obj)
    rest = lines.filter(~is_obj)
    if data is not None and bulk.height and rest.height <= _MAX_CUTS:
        # the file's own bytes minus the non-object lines: no copy of every line
        kept = _cut_lines(data, rest["line"].to_list())
        try:
            frames.append(_frame(bulk, _ndjson(kept, bulk.height)))
            bulk = bulk.clear()
        except pl.exceptions.PolarsError:
            pass

    def run(chunk: pl.DataFrame) -> None:
        try:
            frames.append(_bulk(chunk))
        except pl.exceptions.PolarsError:
            if chunk.height <= _MIN_BISECT:
                for line, raw_line in chunk.select("line", "raw_line").iter_rows():
                    _slow(rows, line, raw_line)
            else:
                half = chunk.height // 2
                run(chunk.slice(0, half))
                run(chunk.slice(half))

    for offset in range(0, bulk.height, _CHUNK):
        run(bulk.slice(offset, _CHUNK))
    # `run` refers to itself through its closure: that cycle would keep `frames` (this piece's
    # decoded columns) alive until Python's cycle collector runs, dozens of pieces later
    del run
    for line, raw_line in rest.select("line", "raw_line").iter_rows():
        _slow(rows, line, raw_line)

    work = [f.select([pl.col(c).cast(t) if c in f.columns else pl.lit(None, dtype=t).alias(c)
                      for c, t in _WORK.items()]) for f in frames]
    if rows:
        work.append(pl.DataFrame(rows, schema=_WORK))
    if not work:
        return pl.DataFrame(schema=_WORK)
    df = pl.concat(work, how="vertical")

    # A tslog record without positional keys spread one object: read its keys per line.
    spread = df.filter(pl.col("meta_present") & pl.col("strs").is_null() & pl.col("objs").is_null()
                       & pl.col("shape").is_null())
    if spread.height:
        redo = [_row_from_object(line, raw_line, orjson.loads(raw_line))
                for line, raw_line in spread.select("line", "raw_line").iter_rows()]
        df = pl.concat([df.filter(~pl.col("line").is_in(spread["line"].implode())),
                        pl.DataFrame(redo, schema=_WORK)], how="vertical")
    return df.sort("line")


# --- shapes ------------------------------------------------------------------------------


def _shape(df: pl.DataFrame) -> pl.DataFrame:
    """Name each decoded row's shape; rows that already have one (`bad-json` …) keep it."""
    t = pl.col("type")
    shape = (
        pl.when(pl.col("shape").is_not_null()).then(pl.col("shape"))
        .when(pl.col("meta_present")).then(pl.lit("tslog"))
        .when(t.is_in(LOG_TYPES)).then(pl.lit("logs-") + t)
        .when(pl.col("time").is_not_null() & pl.col("message").is_not_null()).then(pl.lit("flat"))
        .otherwise(pl.lit("not-log"))
    )
    return df.with_columns(shape=shape)


def _inline_logs_json(df: pl.DataFrame) -> pl.DataFrame:
    """`logs --json` log/raw records: read the embedded file line (`raw`) as a file-log line."""
    carriers = df.filter(pl.col("shape").is_in(["logs-log", "logs-raw"]) & pl.col("raw").is_not_null())
    if not carriers.height:
        return df
    inner = _shape(_decode(carriers.select("line", raw_line=pl.col("raw").str.strip_chars())))
    good = inner.filter(pl.col("shape").is_in(["tslog", "flat"]))
    if not good.height:
        return df
    outer = carriers.filter(pl.col("line").is_in(good["line"].implode())).sort("line")
    good = good.sort("line").with_columns(
        # the outer record is the fallback for anything the inner one lacks
        **{c: pl.coalesce(pl.col(c), outer[c]) for c in ("time", "level", "subsystem", "module", "host")},
        raw_line=outer["raw_line"],
        shape=pl.lit("logs-") + pl.col("shape"),
    )
    return pl.concat([df.filter(~pl.col("line").is_in(good["line"].implode())), good.select(df.columns)],
                     how="vertical").sort("line")


# --- frame → events ----------------------------------------------------------------------


def _name_fields(names: pl.Series) -> pl.DataFrame:
    """Unique `_meta.name` values → (subsystem, module) from the binding JSON."""
    uniq = names.drop_nulls().unique().to_frame("name")
    binding = pl.col("name").str.starts_with("{")
    return uniq.with_columns(
        _sub=pl.when(binding).then(pl.col("name").str.json_path_match("$.subsystem")),
        _mod=pl.when(binding).then(pl.col("name").str.json_path_match("$.module")),
    )


def _text_expr() -> pl.Expr:
    """Positional parts → message: binding JSON dropped, strings first, then objects."""
    strs = pl.col("strs")
    first = strs.list.first()
    binding = pl.col("name").str.starts_with("{") & (first == pl.col("name"))
    strs = pl.when(binding.fill_null(False)).then(strs.list.slice(1)).otherwise(strs)
    joined_s = strs.list.join(" ")
    joined_o = pl.col("objs").list.join(" ")
    both = pl.concat_str([joined_s, joined_o], separator=" ")
    return (
        pl.when((joined_s.fill_null("") != "") & (joined_o.fill_null("") != "")).then(both)
        .when(joined_s.fill_null("") != "").then(joined_s)
        .when(joined_o.fill_null("") != "").then(joined_o)
        .otherwise(pl.lit(None, dtype=_S))
    )


def _logs_message_expr() -> pl.Expr:
    """A `logs --json` message without its binding JSON, a leading metadata object moved last."""
    msg = pl.col("message").str.replace(_BINDING_PREFIX_RE, "")
    moved = msg.str.replace(_LEADING_OBJECT_RE, "$2 $1")
    return moved


def _time_fields(df: pl.DataFrame) -> pl.DataFrame:
    time = pl.col("time").str.strip_chars()
    off = time.str.extract(r"(Z|[+-]\d{2}:?\d{2})$", 1)
    epoch = time.str.contains(r"^\d{12,14}$")
    naive = time.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?$")
    from_time = (
        pl.when(epoch).then(pl.from_epoch(time.cast(pl.Int64, strict=False), time_unit="ms")
                            .dt.replace_time_zone("UTC").cast(UTC_US))
        .otherwise(parse_iso_utc(time).cast(UTC_US))
    )
    from_date = parse_iso_utc(pl.col("date").str.strip_chars()).cast(UTC_US)
    off_norm = off.str.replace(r"^([+-]\d{2})(\d{2})$", "$1:$2")
    time_note = (
        pl.when(epoch).then(pl.lit("file-log time, epoch ms (UTC)"))
        .when(off == "Z").then(pl.lit("file-log time (UTC)"))
        .when(off_norm.is_in(["+00:00", "-00:00"])).then(pl.lit("file-log time (UTC)"))
        .otherwise(pl.lit("file-log time with offset ") + off_norm)
    )
    wall = pl.when(naive).then(
        time.str.replace(" ", "T", literal=True)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    )
    df = df.with_columns(_from_time=from_time, _from_date=from_date, _time_note=time_note, _wall=wall)
    return df.with_columns(
        ts=pl.coalesce("_from_time", "_from_date"),
        ts_note=pl.when(pl.col("_from_time").is_not_null()).then(pl.col("_time_note"))
        .when(pl.col("_from_date").is_not_null()).then(pl.lit("file-log _meta.date (UTC)"))
        .when(pl.col("_wall").is_not_null()).then(pl.lit("file-log time without zone; local wall clock")),
        wall=pl.when(pl.col("_from_time").is_null() & pl.col("_from_date").is_null()).then(pl.col("_wall"))
        .cast(NAIVE_US),
    ).with_columns(
        wall_has_year=pl.when(pl.col("wall").is_not_null()).then(pl.lit(True)),
    ).drop("_from_time", "_from_date", "_time_note", "_wall")


def _events(work: pl.DataFrame, source: str) -> pl.DataFrame:
    shape = pl.col("shape")
    is_logs = shape.str.starts_with("logs-")
    names = _name_fields(work["name"])
    df = work.join(names, on="name", how="left", maintain_order="left")

    record = shape.is_in(["tslog", "flat", "logs-tslog", "logs-flat", "logs-log"])
    info = shape.is_in(["logs-meta", "logs-notice", "logs-error"])
    meta_text = pl.concat_str(
        pl.lit("openclaw logs: file="), pl.col("file").fill_null("?"),
        pl.lit(" cursor="), pl.col("cursor").fill_null("?"), pl.lit(" size="), pl.col("size").fill_null("?"),
    )
    text = (
        pl.when(shape.is_in(["tslog", "logs-tslog"])).then(pl.coalesce(_text_expr(), pl.col("message")))
        .when(shape.is_in(["flat", "logs-flat"])).then(pl.col("message"))
        .when(shape == "logs-log").then(_logs_message_expr())
        .when(shape == "logs-meta").then(meta_text)
        .when(info).then(pl.col("message"))
        .otherwise(pl.col("raw_line"))
    )
    kind = (
        pl.when(record).then(pl.lit(None, dtype=_S))
        .when(info).then(pl.lit("other"))
        .otherwise(pl.lit("unparsed"))
    )
    module = pl.coalesce(pl.col("_mod"), pl.col("module"))
    subsystem = pl.coalesce(pl.col("_sub"), pl.col("subsystem"), module)
    root = pl.when(pl.col("name").is_not_null() & ~pl.col("name").str.starts_with("{")).then(pl.col("name"))
    mod_channel = module.str.to_lowercase().str.extract_groups(_MODULE_CHANNEL_RE)
    channel = pl.when(mod_channel.struct.field("1").is_not_null()).then(pl.lit("whatsapp")).otherwise(
        mod_channel.struct.field("2"))
    host = pl.col("host").str.strip_chars()
    df = df.with_columns(
        text=pl.when(record).then(strip_ansi(text)).otherwise(text),
        kind=kind,
        subsystem=pl.when(record).then(subsystem),
        channel=pl.when(record).then(channel),
        ident=pl.when(record).then(pl.coalesce(pl.col("parent"), root)),
        host=pl.when(record & (host != "") & (host.str.to_lowercase() != "unknown")).then(host),
        level=pl.when(record | info).then(
            pl.col("level").str.strip_chars().str.to_lowercase().replace_strict(LEVELS, default=None, return_dtype=_S)
        ),
        format=pl.when(is_logs).then(pl.lit(LOGS_JSON_FORMAT)).otherwise(pl.lit(FORMAT)),
        pid=pl.lit(None, dtype=pl.Int64),
        session_key=pl.lit(None, dtype=_S), session_id=pl.lit(None, dtype=_S),
    )
    df = _time_fields(df)
    df = df.with_columns(
        ts=pl.when(pl.col("kind") == "unparsed").then(pl.lit(None, dtype=UTC_US)).otherwise(pl.col("ts")),
        ts_note=pl.when(pl.col("kind") == "unparsed").then(pl.lit(None, dtype=_S)).otherwise(pl.col("ts_note")),
        wall=pl.when(pl.col("kind") == "unparsed").then(pl.lit(None, dtype=NAIVE_US)).otherwise(pl.col("wall")),
        wall_has_year=pl.when(pl.col("kind") == "unparsed").then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(pl.col("wall_has_year")),
    )

    # Console capture (no subsystem): the `[tag]` in the text is the subsystem.
    tagless = pl.col("kind").is_null() & pl.col("subsystem").is_null()
    split = split_console_prefix(df.filter(tagless)).drop("stamp")
    df = pl.concat([df.filter(~tagless), split.select(df.columns)], how="vertical").sort("line")

    unparsed = pl.col("kind").fill_null("") == "unparsed"
    classified = classify(df.filter(~unparsed))  # a preset `other` is kept
    events = pl.concat([conform(classified), conform(df.filter(unparsed))], how="vertical")
    return events.sort("line", maintain_order=True).with_columns(source=pl.lit(source, dtype=pl.Categorical()))


# --- entry points ------------------------------------------------------------------------


def _read_lines(data: bytes) -> tuple[pl.DataFrame, int, int, bytes | None]:
    """`decode_lines` semantics (1-based `line`, `raw` without CR/BOM), Polars' native line
    reader first: splitting one large string with `str.split` costs seconds per 100 MB.
    Also returns how many lines held invalid UTF-8 and the valid UTF-8 text the lines came
    from (None after a fallback)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        df = pl.read_lines(data, name="raw", row_index_name="line", row_index_offset=1)
    except Exception:  # unstable API, invalid UTF-8: the shared reader handles both
        df, bad = decode_lines_counted(data)
        return df, df.height, bad, None
    df = df.with_columns(pl.col("line").cast(pl.Int64))
    if df.select(pl.col("raw").str.ends_with("\r").any()).item():  # (current Polars strips it)
        df = df.with_columns(pl.col("raw").str.strip_suffix("\r"))
    return df, df.height, 0, data


def _stripped(lines: pl.DataFrame) -> pl.DataFrame:
    """(`line`, `raw_line`): lines trimmed of outer whitespace, blank ones dropped. Only
    the lines that need it are rewritten: a copy of every line costs the file's size."""
    raw = pl.col("raw")
    needs = raw.str.contains(r"^\s|\s$")
    return pl.concat([
        lines.filter(~needs).select("line", raw_line=raw),
        lines.filter(needs).select("line", raw_line=raw.str.strip_chars()),
    ]).filter(pl.col("raw_line") != "").sort("line")


_NOTES = (
    (("not-json",), "are not JSON"),
    (("bad-json",), "are cut-off or damaged JSON"),
    (("not-log", "not-object"), "are JSON but not log records (no _meta, no time+message)"),
    (("logs-raw",), "are `logs --json` raw lines the gateway could not parse either"),
)


def parse(source: InputFile) -> ParsedSource:
    if b"\x00" in source.head:
        raise InputError(f"{source.name}: binary data, not an OpenClaw file log")
    streamed = parse_in_pieces(source, lambda data: _parse_piece(data, source.name))
    pieces = streamed.pieces

    counts: dict[str, int] = {}
    for p in pieces:
        for k, v in p["shapes"].items():
            counts[k] = counts.get(k, 0) + v
    n_logs = sum(v for k, v in counts.items() if k.startswith("logs-"))
    n_file = counts.get("tslog", 0) + counts.get("flat", 0)
    fmt = LOGS_JSON_FORMAT if n_logs > n_file else FORMAT
    events = streamed.events
    if sum(p["unparsed"] for p in pieces):  # unparsed rows take the file's format
        events = events.with_columns(format=pl.when(pl.col("kind") == "unparsed").then(pl.lit(fmt))
                                     .otherwise(pl.col("format")).cast(pl.Categorical()))

    notes: list[str] = []
    bad = sum(p["bad_utf8"] for p in pieces)
    if bad:
        notes.append(invalid_utf8_note(bad))
    starts = [0]
    for p in pieces[:-1]:
        starts.append(starts[-1] + p["lines"])
    for i, (_, what) in enumerate(_NOTES):
        found = sum(p["noted"][i][0] for p in pieces)
        if found:  # line numbers of the first five, in the file (each piece counts from 1)
            first = [n + start for p, start in zip(pieces, starts) for n in p["noted"][i][1]][:5]
            shown = ", ".join(str(n) for n in first) + (", …" if found > 5 else "")
            notes.append(f"{found} line(s) {what} (line {shown})")
    n_unknown = sum(p["unknown_host"] for p in pieces)
    if n_unknown:
        notes.append(f'{n_unknown} record(s) have hostname "unknown" (HOSTNAME not exported): host left empty')
    n_offset = sum(p["offset"] for p in pieces)
    if n_offset:
        notes.append(f"{n_offset} record(s) stamped in local time with an offset; converted to UTC")
    return ParsedSource(source=source.name, format=fmt, events=events, lines=streamed.lines, notes=notes,
                        mtime=source.mtime(), routine_dropped=streamed.routine_dropped)


def _parse_piece(data: bytes, name: str) -> Piece:
    """One piece of whole lines → events numbered from 1, with the counters `parse` sums."""
    lines, n_lines, bad_utf8, text = _read_lines(data)
    lines = _stripped(lines)
    work = _inline_logs_json(_shape(_decode(lines, text)))
    events = _events(work, name)

    shapes = dict(work.group_by("shape").len().iter_rows()) if work.height else {}
    unparsed = events.filter(pl.col("kind") == "unparsed").height if events.height else 0
    noted = []
    for shape_names, _ in _NOTES:
        found = work.filter(pl.col("shape").is_in(list(shape_names)))["line"] if work.height else pl.Series([])
        noted.append((found.len(), found.head(5).to_list()))
    counters = {
        "lines": n_lines, "shapes": shapes, "unparsed": unparsed, "noted": noted, "bad_utf8": bad_utf8,
        "unknown_host": work.filter(pl.col("host").str.strip_chars().str.to_lowercase() == "unknown").height
        if work.height else 0,
        "offset": events.filter(pl.col("ts_note").cast(pl.String).str.starts_with("file-log time with offset")).height
        if events.height else 0,
    }
    return Piece(events=conform(events), lines=n_lines, counters=counters)


# --- sniffing ----------------------------------------------------------------------------

_TRANSCRIPT_TYPES = {"session", "message", "custom", "model_change", "thinking_level_change", "compaction",
                     "branch_summary", "custom_message", "label"}


def _judge(obj: Any) -> str:
    """One head line: `tslog`, `logs`, `flat`, `foreign` (another parser's) or `json`."""
    if not isinstance(obj, dict):
        return "json"
    if "__REALTIME_TIMESTAMP" in obj or "__CURSOR" in obj or "MESSAGE" in obj:
        return "foreign"  # journald -o json
    if "action" in obj and "sessionKey" in obj:
        return "foreign"  # commands.log
    typ = obj.get("type")
    meta = obj.get("_meta")
    if isinstance(meta, dict) and ("logLevelName" in meta or "date" in meta):
        return "tslog"
    if typ in _TRANSCRIPT_TYPES or (isinstance(typ, str) and "parentId" in obj):
        return "foreign"  # session transcript
    if typ == "log" and ("raw" in obj or ("time" in obj and "message" in obj)):
        return "logs"
    if typ == "meta" and "file" in obj and "cursor" in obj:
        return "logs"
    if typ in ("notice", "error") and isinstance(obj.get("message"), str) and len(obj) <= 4:
        return "logs"
    if typ == "raw" and isinstance(obj.get("raw"), str) and len(obj) == 2:
        return "logs"
    if "time" in obj and isinstance(obj.get("message"), str) and ("level" in obj or "subsystem" in obj):
        return "flat"
    return "json"


def sniff(path: Path, head: bytes) -> float:
    if not head or b"\x00" in head:
        return 0.0
    lines = [line.strip() for line in head_lines(head, limit=30)]
    if not lines:
        return 0.0
    seen = {"tslog": 0, "logs": 0, "flat": 0, "foreign": 0, "json": 0, "text": 0}
    for line in lines:
        if not line.startswith("{"):
            seen["text"] += 1
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            seen["text"] += 1
            continue
        seen[_judge(obj)] += 1
    mine = seen["tslog"] + seen["logs"] + seen["flat"]
    if not mine or seen["foreign"] >= mine:
        return 0.0
    if seen["foreign"]:
        return 0.3  # a mixture: let a better parser claim it
    share = mine / len(lines)
    named = bool(FILE_NAME_RE.match(path.name))
    if share < 0.5:
        return 0.5 if named else round(0.4 * share, 3)
    if named:
        return 0.99
    if seen["tslog"] or seen["logs"]:
        return 0.95
    return 0.8  # flat `{"time","level","subsystem","message"}` only
