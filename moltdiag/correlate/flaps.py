"""Group consecutive connection events into flap windows (start, end, counts, codes).

A window is a run of close / resume / reconnect / stall events of one channel on one host
in which no two neighbours are more than `gap` apart. Carbon 0.14's stale-ACK loop kills a
healthy socket every 1–45 s, so the default gap (90 s, about two heartbeat intervals)
keeps such a loop in one window while separating unrelated disconnects.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

CONNECTION_KINDS = ("ws_close", "resume_attempt", "reconnect_attempt", "connection_stalled", "channel_reconnect")
DEFAULT_GAP = timedelta(seconds=90)
# An un-suffixed resume followed this fast by a 1005 close is Carbon closing its own socket.
SELF_CLOSE_WITHIN = timedelta(seconds=1)

FLAP_SCHEMA = {
    "window": pl.Int64,
    "channel": pl.String,
    "host": pl.String,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "closes": pl.UInt32,
    "resumes": pl.UInt32,
    "reconnects": pl.UInt32,
    "stalls": pl.UInt32,
    "self_closes": pl.UInt32,
    "codes": pl.List(pl.Int64),
    "events": pl.UInt32,
}


def flap_windows(events: pl.DataFrame, gap: timedelta = DEFAULT_GAP) -> pl.DataFrame:
    conn = (
        events.filter(pl.col("kind").is_in(CONNECTION_KINDS) & pl.col("ts").is_not_null())
        .with_columns(channel=pl.col("channel").fill_null("?"), host=pl.col("host").fill_null(""))
        .sort("channel", "host", "ts", "source", "line")
    )
    if conn.is_empty():
        return pl.DataFrame(schema=FLAP_SCHEMA)
    by = ["channel", "host"]
    conn = conn.with_columns(
        _new=(pl.col("ts").diff().over(by).fill_null(gap + timedelta(seconds=1)) > gap),
        _self_close=(
            (pl.col("kind") == "ws_close")
            & (pl.col("code") == 1005)
            & (pl.col("kind").shift(1).over(by) == "resume_attempt")
            & pl.col("after_code").shift(1).over(by).is_null()
            & ((pl.col("ts") - pl.col("ts").shift(1).over(by)) <= SELF_CLOSE_WITHIN)
        ).fill_null(False),
    ).with_columns(_win=pl.col("_new").cast(pl.Int64).cum_sum().over(by))
    windows = (
        conn.group_by(["channel", "host", "_win"], maintain_order=True)
        .agg(
            start=pl.col("ts").min(),
            end=pl.col("ts").max(),
            closes=(pl.col("kind") == "ws_close").sum(),
            resumes=(pl.col("kind") == "resume_attempt").sum(),
            reconnects=(pl.col("kind") == "reconnect_attempt").sum(),
            stalls=(pl.col("kind") == "connection_stalled").sum(),
            self_closes=pl.col("_self_close").sum(),
            codes=pl.col("code").drop_nulls().unique().sort(),
            events=pl.len(),
        )
        .sort("start")
        .with_row_index("window", offset=1)
        .with_columns(pl.col("window").cast(pl.Int64))
    )
    return windows.select([pl.col(c).cast(t) for c, t in FLAP_SCHEMA.items()])


def window_around(flaps: pl.DataFrame, ts, margin: timedelta = timedelta(seconds=30)) -> dict | None:
    """The flap window that contains `ts` (± margin), if any, as a dict."""
    if flaps.is_empty() or ts is None:
        return None
    hit = flaps.filter((pl.col("start") - margin <= ts) & (pl.col("end") + margin >= ts))
    return hit.row(0, named=True) if hit.height else None
