"""`moltdiag ingest -o DIR`: the canonical events as a hive-partitioned Parquet dataset.

Layout `DIR/host=<host>/date=<YYYY-MM-DD UTC>/*.parquet` plus `DIR/_moltdiag.json` (the
inputs and how their clocks were resolved). Polars, DuckDB and Spark read it as it is, and
moltdiag `timeline`/`check` accept DIR as an input (each file is scanned lazily).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl

from moltdiag import __version__, schema
from moltdiag.correlate.timeline import Timeline

UNKNOWN = "__unknown__"


def write_dataset(tl: Timeline, out_dir: str) -> dict:
    root = Path(out_dir)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{out_dir}: not empty; ingest writes a new dataset")
    events = schema.public(tl.events).with_columns(
        # Partition keys: never null, and the same "unknown" spelling DuckDB and Spark will show.
        host=pl.col("host").fill_null(UNKNOWN),
        date=pl.col("ts").dt.strftime("%Y-%m-%d").fill_null(UNKNOWN),
    )
    root.mkdir(parents=True, exist_ok=True)
    events.write_parquet(root, partition_by=["host", "date"])
    meta = {
        "moltdiag": __version__,
        "events": events.height,
        "clock": {"offset": tl.clock.offset_label, "how": tl.clock.how},
        "inputs": tl.input_rows(),
        "partitions": events.select("host", "date").unique().sort(["host", "date"]).to_dicts(),
    }
    (root / "_moltdiag.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2) + b"\n")
    return meta
