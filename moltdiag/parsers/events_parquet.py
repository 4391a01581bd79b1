"""Canonical events written by `moltdiag ingest -o DIR` (or `timeline --format parquet`), read back.

`ingest` writes a hive-partitioned dataset `DIR/host=<h>/date=<YYYY-MM-DD>/*.parquet`; the
partition values live in the path, not the file, so `host` is restored from it. Times are
already UTC, so nothing is re-inferred; each row keeps its original `source` and `line`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl

from moltdiag import schema
from moltdiag.parsers.base import InputError, InputFile, ParsedSource

FORMAT = "events-parquet"
_MAGIC = b"PAR1"
_HOST_RE = re.compile(r"(?:^|[/\\!])host=([^/\\!]+)")


def sniff(path: Path, head: bytes) -> float:
    if not head.startswith(_MAGIC):
        return 0.0
    # Only our own event files: the footer names the schema's columns.
    return 0.9 if b"ts_note" in head or path.suffix == ".parquet" else 0.5


def parse(source: InputFile) -> ParsedSource:
    try:
        frame = pl.scan_parquet(io.BytesIO(source.data)).collect()
    except Exception as exc:  # polars raises several error types for a bad file
        raise InputError(f"{source.name}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    missing = {"ts", "kind", "source", "line"} - set(frame.columns)
    if missing:
        raise InputError(f"{source.name}: Parquet file without moltdiag's event columns ({', '.join(sorted(missing))})")
    notes = []
    host = _HOST_RE.search(source.name.replace("\\", "/"))
    if "host" not in frame.columns and host:
        value = None if host.group(1) == "__unknown__" else host.group(1)
        frame = frame.with_columns(host=pl.lit(value, pl.String))
    elif "host" in frame.columns:
        frame = frame.with_columns(host=pl.when(pl.col("host") == "__unknown__").then(None).otherwise(pl.col("host")))
    events = schema.conform(frame)
    if events["ts"].null_count():
        notes.append(f"{events['ts'].null_count()} event(s) without a time")
    return ParsedSource(source=source.name, format=FORMAT, events=events, lines=events.height, notes=notes)
