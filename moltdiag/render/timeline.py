"""Render the timeline: a rich table for people, JSONL and CSV for programs."""

from __future__ import annotations

import sys
from typing import IO

import orjson
import polars as pl

from moltdiag import schema
from moltdiag.correlate.timeline import Timeline

TEXT_WIDTH = 110


def _iso_z(col: str = "ts") -> pl.Expr:
    return pl.col(col).dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")


def machine_frame(events: pl.DataFrame) -> pl.DataFrame:
    return schema.public(events).with_columns(ts=_iso_z())


def write_jsonl(events: pl.DataFrame, out: IO[bytes]) -> None:
    for row in machine_frame(events).iter_rows(named=True):
        out.write(orjson.dumps(row) + b"\n")


def write_csv(events: pl.DataFrame, out: IO[bytes]) -> None:
    out.write(machine_frame(events).write_csv().encode())


def write_parquet(events: pl.DataFrame, out: IO[bytes]) -> None:
    """Typed columns as they are (ts stays a UTC timestamp), readable by Polars, DuckDB, Spark."""
    schema.public(events).write_parquet(out)


def write_timesketch(events: pl.DataFrame, out: IO[bytes]) -> None:
    """Timesketch JSONL: message, datetime (ISO-8601), timestamp (µs), timestamp_desc, plus our fields."""
    frame = machine_frame(events).with_columns(
        message=pl.format("[{}] {}", pl.col("kind"), pl.col("text").fill_null("")),
        datetime=pl.col("ts"),
        timestamp=schema.public(events)["ts"].dt.epoch("us"),
        timestamp_desc=pl.when(pl.col("format") == "transcript").then(pl.lit("Transcript Entry Time"))
        .when(pl.col("format").cast(pl.String).str.starts_with("journald")).then(pl.lit("Journal Entry Time"))
        .otherwise(pl.lit("Event Time")),
    )
    for row in frame.iter_rows(named=True):
        out.write(orjson.dumps(row) + b"\n")


def _detail(row: dict) -> str:
    kind = row["kind"]
    if kind == "ws_close" and row["code"] is not None:
        from moltdiag.knowledge.close_codes import describe

        return describe(row["code"]).split(" (")[0]
    bits = []
    if row["backoff_ms"] is not None:
        bits.append(f"backoff {row['backoff_ms']} ms")
    if row["after_code"] is not None:
        bits.append(f"after {row['after_code']}")
    if row["duration_ms"] is not None:
        bits.append(f"{row['duration_ms']:.0f} ms {row['event_name'] or ''}".strip())
    if row["code"] is not None and kind != "ws_close":
        bits.append(f"code {row['code']}")
    if row["session_id"] and kind in ("session_start", "reset_prompt", "reset_notice", "session_store_entry",
                                      "session_reset_log", "session_archive"):
        bits.append(row["session_id"][:8])
    if row["message_id"] and kind == "reset_prompt":
        bits.append(f"id {row['message_id']}")
    return ", ".join(bits)


def short_source(source: str) -> str:
    parts = source.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else source


def render_table(tl: Timeline, events: pl.DataFrame, *, utc: bool, console=None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    zone = "UTC" if utc else tl.clock.offset_label
    table = Table(
        title=f"moltdiag timeline — {events.height} events, times in {zone}",
        caption=Text(_caption(tl, utc)),
        caption_justify="left",
        show_lines=False,
        expand=False,
    )
    table.add_column(f"time ({zone})", no_wrap=True)
    table.add_column("source:line", no_wrap=True, style="dim")
    table.add_column("kind", no_wrap=True)
    table.add_column("detail", no_wrap=True)
    table.add_column("text", overflow="ellipsis", no_wrap=True, max_width=TEXT_WIDTH)
    styles = {"ws_close": "red", "resume_attempt": "yellow", "reconnect_attempt": "yellow", "slow_listener": "magenta",
              "session_start": "bold cyan", "reset_prompt": "bold cyan", "reset_notice": "cyan",
              "gateway_start": "green", "gateway_stop": "green", "unparsed": "dim red", "gateway_error": "bold red"}
    last_day = None
    for row in events.iter_rows(named=True):
        local = tl.clock.localize(row["ts"], utc=utc)
        if local is None:
            stamp = "(no time)"
        else:
            day = local.strftime("%Y-%m-%d")
            stamp = local.strftime("%H:%M:%S.%f")[:-3]
            if day != last_day:
                stamp = f"{day} {stamp}"
                last_day = day
        text = (row["text"] or "").replace("\n", " ⏎ ")
        table.add_row(stamp, f"{short_source(row['source'])}:{row['line']}", Text(row["kind"], style=styles.get(row["kind"], "")),
                      Text(_detail(row)), Text(text))
    console.print(table)


def _caption(tl: Timeline, utc: bool) -> str:
    lines = [f"clock: {tl.clock.how}"]
    if utc:
        lines.append("shown in UTC (--utc)")
    for p in tl.inputs:
        lines.append(f"input {p.source} [{p.format}]: {p.lines} lines, {p.event_count} events, {p.unparsed} unparsed"
                     + (f" — {'; '.join(p.notes)}" if p.notes else ""))
    for s in tl.skipped:
        lines.append(f"skipped {s.source}: {s.reason}")
    if tl.flaps.height:
        lines.append(f"flap windows: {tl.flaps.height} (see `moltdiag check`)")
    return "\n".join(lines)


def render(tl: Timeline, events: pl.DataFrame, fmt: str, *, utc: bool = False, out: IO[bytes] | None = None) -> None:
    out = out or sys.stdout.buffer
    if fmt == "jsonl":
        write_jsonl(events, out)
    elif fmt == "csv":
        write_csv(events, out)
    elif fmt == "parquet":
        write_parquet(events, out)
    elif fmt == "timesketch":
        write_timesketch(events, out)
    else:
        render_table(tl, events, utc=utc)
