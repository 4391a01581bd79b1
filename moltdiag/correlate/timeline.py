"""The correlator: every input's events on one UTC timeline, in a stable order.

parse (parsers/) → resolve clocks (timezone.py) → order by (ts, source, line) →
flap windows (flaps.py) and session lifetimes (sessions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from moltdiag import schema
from moltdiag.correlate.flaps import DEFAULT_GAP, flap_windows
from moltdiag.correlate.sessions import attach_keys, session_lifetimes
from moltdiag.correlate.timezone import ClockReport, resolve_clocks
from moltdiag.parsers import Skipped, load_inputs
from moltdiag.parsers.base import ParsedSource


@dataclass
class Timeline:
    events: pl.DataFrame  # FULL_SCHEMA, sorted by (ts, source, line); rows without any time last
    inputs: list[ParsedSource]
    clock: ClockReport
    flaps: pl.DataFrame
    lifetimes: pl.DataFrame
    skipped: list[Skipped] = field(default_factory=list)

    def input_rows(self) -> list[dict]:
        return [
            {"source": p.source, "format": p.format, "lines": p.lines, "events": p.event_count,
             "unparsed": p.unparsed, "notes": p.notes}
            for p in self.inputs
        ]


def _fill_untimed(events: pl.DataFrame) -> pl.DataFrame:
    """Lines with no stamp at all (journalctl -o cat, continuation lines) take their neighbour's time."""
    if events.is_empty() or events["ts"].null_count() == 0:
        return events
    events = events.sort("source", "line")
    untimed = pl.col("ts").is_null()
    filled = events.with_columns(
        _prev=pl.col("ts").forward_fill().over("source"),
        _next=pl.col("ts").backward_fill().over("source"),
    )
    return filled.with_columns(
        ts=pl.when(untimed).then(pl.coalesce("_prev", "_next")).otherwise(pl.col("ts")),
        ts_note=pl.when(untimed & pl.col("_prev").is_not_null()).then(pl.lit("no stamp on this line; time of the line before"))
        .when(untimed & pl.col("_next").is_not_null()).then(pl.lit("no stamp on this line; time of the line after"))
        .otherwise(pl.col("ts_note")),
    ).drop("_prev", "_next")


def _sort_lean(events: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """`events.sort(by, nulls_last=True)`, in place, one column at a time: the order comes from
    the key columns alone and each column is replaced by its sorted copy, so the peak is the
    frame plus one column, not two frames (a 1 GB journal's text column alone is ~0.6 GB)."""
    if events.height < 2:
        return events
    order = events.select(pl.arg_sort_by(by, nulls_last=True, maintain_order=True)).to_series()
    if order.equals(pl.int_range(0, events.height, dtype=order.dtype, eager=True)):
        return events  # already in order (one source, stamps running forward)
    # in place: the caller's frame is this frame, so a replaced column is really freed
    for i, name in enumerate(events.columns):
        events.replace_column(i, events[name].gather(order))
    return events


def build_timeline(
    paths: list[str],
    *,
    tz: str | None = None,
    year: int | None = None,
    flap_gap: timedelta = DEFAULT_GAP,
    low_memory: bool = False,
) -> Timeline:
    parsed, skipped = load_inputs(paths, low_memory=low_memory)
    return timeline_from_parsed(parsed, skipped, tz=tz, year=year, flap_gap=flap_gap)


def timeline_from_parsed(
    parsed: list[ParsedSource],
    skipped: list[Skipped] | None = None,
    *,
    tz: str | None = None,
    year: int | None = None,
    flap_gap: timedelta = DEFAULT_GAP,
) -> Timeline:
    full = pl.Schema(schema.FULL_SCHEMA)
    frames = [p.events if p.events.schema == full else schema.conform(p.events) for p in parsed if p.events.height]
    events = pl.concat(frames, how="vertical", rechunk=False) if frames else schema.empty_frame()
    del frames
    if events.n_chunks() > 256:
        # thousands of small transcripts: every later expression would visit each chunk
        events = events.rechunk()
    for p in parsed:
        p.release_events()
    mtimes = {p.source: p.mtime for p in parsed}
    events, clock = resolve_clocks(events, mtimes, tz=tz, year=year)
    events = _fill_untimed(events)
    lifetimes = session_lifetimes(events)
    events = attach_keys(events, lifetimes)
    events = _sort_lean(events, ["ts", "source", "line"])
    flaps = flap_windows(events, gap=flap_gap)
    return Timeline(events=events, inputs=parsed, clock=clock, flaps=flaps, lifetimes=lifetimes, skipped=skipped or [])
