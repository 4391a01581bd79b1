"""Session lifetimes: one row per transcript session id, tied to its session key.

The key comes from, in order: the session store (`sessions.json` maps key → current id),
commands.log / reset log lines naming the id, the Discord envelope of the first user
message (`[Discord … channel id:<id> …]` → `agent:<agent>:discord:channel:<id>`), else it
stays unknown and the lifetime is matched to neighbours by time alone.
Within a key, lifetimes are ordered by start so each knows the one it replaced.
"""

from __future__ import annotations

import polars as pl

TRANSCRIPT_KINDS = (
    "session_start", "reset_prompt", "reset_notice", "user_message", "assistant_message", "tool_result",
    "compaction", "model_change", "transcript_entry",
)
ACTIVITY_KINDS = ("user_message", "assistant_message", "reset_prompt", "tool_result")
USER_KINDS = ("user_message", "reset_prompt")

LIFETIME_SCHEMA = {
    "session_id": pl.String,
    "session_key": pl.String,
    "key_how": pl.String,
    "agent": pl.String,
    "source": pl.String,
    "start": pl.Datetime("us", "UTC"),
    "start_line": pl.Int64,
    "last_activity": pl.Datetime("us", "UTC"),
    "messages": pl.UInt32,
    "first_user_kind": pl.String,
    "first_user_ts": pl.Datetime("us", "UTC"),
    "first_user_line": pl.Int64,
    "first_user_text": pl.String,
    "first_user_message_id": pl.String,
    "reset_notice": pl.Boolean,
    "parent_session": pl.String,
    "prev_session_id": pl.String,
    "prev_last_activity": pl.Datetime("us", "UTC"),
    "prev_source": pl.String,
}

_ENVELOPE_CHANNEL = r"\[Discord [^\]]*? channel id:(\d+)"
_ENVELOPE_DM = r"\[Discord [^\]]*? user id:(\d+)"


def session_lifetimes(events: pl.DataFrame) -> pl.DataFrame:
    tx = events.filter(pl.col("kind").is_in(TRANSCRIPT_KINDS) & pl.col("session_id").is_not_null())
    if tx.is_empty():
        return pl.DataFrame(schema=LIFETIME_SCHEMA)
    tx = tx.sort("ts", "source", "line")
    is_user = pl.col("kind").is_in(USER_KINDS)
    life = tx.group_by("session_id", maintain_order=True).agg(
        source=pl.col("source").first(),
        agent=pl.col("source").first().str.extract(r"agents/([^/]+)/", 1).fill_null("main"),
        start=pl.coalesce(pl.col("ts").filter(pl.col("kind") == "session_start").min(), pl.col("ts").min()),
        start_line=pl.col("line").filter(pl.col("kind") == "session_start").first(),
        last_activity=pl.col("ts").filter(pl.col("kind").is_in(ACTIVITY_KINDS)).max(),
        messages=pl.col("kind").is_in(ACTIVITY_KINDS).sum(),
        first_user_kind=pl.col("kind").filter(is_user).first(),
        first_user_ts=pl.col("ts").filter(is_user).first(),
        first_user_line=pl.col("line").filter(is_user).first(),
        first_user_text=pl.col("text").filter(is_user).first(),
        first_user_message_id=pl.col("message_id").filter(is_user).first(),
        reset_notice=(pl.col("kind") == "reset_notice").any(),
        parent_session=pl.col("text").filter(pl.col("kind") == "session_start").first().str.extract(
            r"parentSession=(\S+)", 1
        ),
    )

    # Keys named by the store, commands.log or reset log lines (latest statement wins).
    named = (
        events.filter(pl.col("session_id").is_not_null() & pl.col("session_key").is_not_null())
        .sort("ts")
        .group_by("session_id")
        .agg(named_key=pl.col("session_key").last(), named_by=pl.col("format").last())
    )
    life = life.join(named, on="session_id", how="left")
    envelope_channel = pl.col("first_user_text").str.extract(_ENVELOPE_CHANNEL, 1)
    envelope_dm = pl.col("first_user_text").str.extract(_ENVELOPE_DM, 1)
    life = life.with_columns(
        session_key=pl.coalesce(
            pl.col("named_key"),
            pl.when(envelope_channel.is_not_null()).then(
                pl.format("agent:{}:discord:channel:{}", pl.col("agent"), envelope_channel)
            ),
            pl.when(envelope_dm.is_not_null()).then(pl.format("agent:{}:main", pl.col("agent"))),
        ),
        key_how=pl.when(pl.col("named_key").is_not_null()).then(pl.format("named by {}", pl.col("named_by")))
        .when(envelope_channel.is_not_null() | envelope_dm.is_not_null()).then(pl.lit("inferred from the Discord envelope"))
        .otherwise(pl.lit("unknown")),
    ).drop("named_key", "named_by")

    life = life.sort("start").with_columns(
        prev_session_id=pl.col("session_id").shift(1).over("session_key"),
        prev_last_activity=pl.col("last_activity").shift(1).over("session_key"),
        prev_source=pl.col("source").shift(1).over("session_key"),
    )
    # A lifetime with an unknown key inherits the nearest earlier lifetime of unknown key.
    life = life.with_columns(
        prev_session_id=pl.when(pl.col("session_key").is_null()).then(pl.col("session_id").shift(1).over(pl.col("session_key").is_null()))
        .otherwise(pl.col("prev_session_id")),
        prev_last_activity=pl.when(pl.col("session_key").is_null()).then(pl.col("last_activity").shift(1).over(pl.col("session_key").is_null()))
        .otherwise(pl.col("prev_last_activity")),
        prev_source=pl.when(pl.col("session_key").is_null()).then(pl.col("source").shift(1).over(pl.col("session_key").is_null()))
        .otherwise(pl.col("prev_source")),
    )
    return life.select([pl.col(c).cast(t) for c, t in LIFETIME_SCHEMA.items()])


def attach_keys(events: pl.DataFrame, lifetimes: pl.DataFrame) -> pl.DataFrame:
    """Give transcript rows the session key their lifetime resolved to."""
    if lifetimes.is_empty():
        return events
    keys = lifetimes.select("session_id", pl.col("session_key").alias("_key"))
    return (
        events.join(keys, on="session_id", how="left", maintain_order="left")
        .with_columns(session_key=pl.coalesce(pl.col("session_key"), pl.col("_key")))
        .drop("_key")
    )
