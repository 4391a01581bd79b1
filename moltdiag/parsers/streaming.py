"""Line formats read piece by piece: bounded memory, both cores, progress by bytes.

A line-format parser (journald text and JSON, the OpenClaw file log) hands `parse_in_pieces`
a function that turns one piece of whole lines into events numbered from 1. Pieces are read
from disk as they are needed (`InputFile.line_chunks`), parsed `workers` at a time in threads
(Polars releases the GIL, so both cores work), renumbered in file order and concatenated
without a copy. At most `workers + 1` pieces are in memory at once, so the intermediate
columns of a 1 GB file never exist all together.

Under `--low-memory` (`InputFile.keep_routine` False) each piece is thinned as soon as it is
parsed (`thin_routine`): every row with a diagnostic kind stays, and of the routine rows (kind
`other`) only those any later stage reads: the first of each `SAMPLE_EVERY` stretch of
process time (the zone inference and the busiest-buckets summary sample them), the rows on
either side of a clock step (what clock-integrity shows as evidence) and rows with no time
at all (journal markers).
The rest are counted in `ParsedSource.routine_dropped`, so every output still accounts for
every line.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

import polars as pl

from moltdiag.parsers.base import CHUNK_BYTES, LOW_MEMORY_CHUNK_BYTES, InputFile

SAMPLE_EVERY = timedelta(minutes=10)  # one routine row kept per this much time, per source
STEP_BACK = timedelta(seconds=2)  # clock-integrity's defaults: rows around these steps are kept
STEP_FORWARD = timedelta(hours=6)


@dataclass
class Piece:
    """One parsed piece: events numbered from line 1, its physical line count, and whatever
    counters the parser sums over pieces to write its notes."""

    events: pl.DataFrame
    lines: int
    counters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Streamed:
    events: pl.DataFrame
    lines: int
    pieces: list[dict[str, Any]]  # each piece's counters, in file order
    routine_dropped: int = 0


def parse_in_pieces(source: InputFile, parse_piece: Callable[[bytes], Piece], *,
                    glue_indented: bool = False, chunk_bytes: int | None = None,
                    workers: int | None = None) -> Streamed:
    """Parse `source` piece by piece with `parse_piece`; events renumbered to file lines."""
    keep = source.keep_routine
    size = chunk_bytes or (CHUNK_BYTES if keep else LOW_MEMORY_CHUNK_BYTES)
    workers = workers or max(1, min(pl.thread_pool_size(), 4))
    frames: list[pl.DataFrame] = []
    counters: list[dict[str, Any]] = []
    offset = dropped = 0
    thinning = _Thinning()

    def collect(piece: Piece) -> None:
        nonlocal offset, dropped
        events = piece.events
        if offset and events.height:
            events = events.with_columns(pl.col("line") + offset)
        if not keep:
            before = events.height
            events = thinning.thin(events)
            dropped += before - events.height
        if events.height:
            frames.append(events)
        counters.append(piece.counters)
        offset += piece.lines

    pieces = source.line_chunks(size, glue_indented=glue_indented)
    if workers < 2:
        for data in pieces:
            collect(parse_piece(data))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: deque[Future[Piece]] = deque()
            for data in pieces:
                pending.append(pool.submit(parse_piece, data))
                del data
                while len(pending) >= workers:
                    collect(pending.popleft().result())
            while pending:
                collect(pending.popleft().result())
    if not frames:
        empty = parse_piece(b"").events
        return Streamed(empty, offset, counters, dropped)
    events = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical", rechunk=False)
    return Streamed(events, offset, counters, dropped)


class _Thinning:
    """`thin_routine` with what it must remember from one piece to the next."""

    def __init__(self) -> None:
        # per source: the last piece's last sampling bucket and last clock reading
        self.last_bucket: dict[str, int] = {}
        self.last_time: dict[str, Any] = {}

    def thin(self, events: pl.DataFrame) -> pl.DataFrame:
        if not events.height:
            return events
        routine = pl.col("kind") == "other"
        if not events.select(routine.any()).item():
            return events
        # process time where the line has it, else the journal's wall clock (same source, same
        # clock: zone-free steps are still steps)
        clock = pl.coalesce(pl.col("ts").dt.replace_time_zone(None), pl.col("wall"))
        bucket = (clock.dt.epoch("us") // int(SAMPLE_EVERY.total_seconds() * 1_000_000))
        frame = events.with_columns(_clock=clock, _bucket=bucket)
        source = frame.select(pl.col("source").first()).item() or ""  # a piece is one file's
        prev_bucket = self.last_bucket.get(source)
        prev_time = self.last_time.get(source)
        step = pl.col("_clock") - pl.col("_clock").shift(1, fill_value=prev_time)
        jump = (step < -STEP_BACK) | (step > STEP_FORWARD)
        new_bucket = pl.col("_bucket") != pl.col("_bucket").shift(1, fill_value=prev_bucket)
        keep = (
            ~routine
            | pl.col("_clock").is_null()
            | new_bucket.fill_null(True)
            | jump.fill_null(False)
            | jump.shift(-1).fill_null(False)  # the line before a step
        )
        buckets = frame["_bucket"].drop_nulls()
        if buckets.len():
            self.last_bucket[source] = buckets[-1]
        clocks = frame["_clock"].drop_nulls()
        if clocks.len():
            self.last_time[source] = clocks[-1]
        return compact(frame.filter(keep).drop("_clock", "_bucket"))


_REBUILD_ROWS = 20_000


def compact(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame in buffers of its own. A filtered column can still point into the buffers of
    the whole piece it came from (Polars' string views do), so a few kept rows would pin every
    byte of the piece. A few thousand rows are rebuilt from Python values (certain, and cheap
    at that size); more get their string columns copied by concatenating ""."""
    if not frame.height:
        return frame
    if frame.height <= _REBUILD_ROWS:
        return pl.DataFrame(frame.to_dict(as_series=False), schema=frame.schema)
    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not strings:
        return frame
    return frame.with_columns(pl.concat_str(pl.col(name), pl.lit("")).alias(name) for name in strings)
