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
    "session_start", "session_reset", "reset_prompt", "reset_notice", "user_message", "assistant_message", "tool_result",
    "compaction", "model_change", "transcript_entry",
)
ACTIVITY_KINDS = ("user_message", "assistant_message", "reset_prompt", "tool_result")
USER_KINDS = ("user_message", "reset_prompt")

LIFETIME_SCHEMA = {
    "lifetime_id": pl.String,  # session id, plus #n for the n-th reset inside a stable-id transcript
    "session_id": pl.String,
    "reset_reason": pl.String,  # reason of the reset event that opened this lifetime (stable-id stores)
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

COMMAND_LOG_TOLERANCE = "15s"
_ENVELOPE_CHANNEL = r"\[Discord [^\]]*? channel id:(\d+)"
_ENVELOPE_DM = r"\[Discord [^\]]*? user id:(\d+)"


def session_lifetimes(events: pl.DataFrame) -> pl.DataFrame:
    tx = events.filter(pl.col("kind").is_in(TRANSCRIPT_KINDS) & pl.col("session_id").is_not_null())
    if tx.is_empty():
        return pl.DataFrame(schema=LIFETIME_SCHEMA)
    tx = tx.sort("ts", "source", "line")
    # Stable-id stores (OpenClaw ≥ 2026.9) reset inside one session id: each reset event
    # starts a new lifetime of the same id.
    tx = tx.with_columns(
        _segment=(pl.col("kind") == "session_reset").cast(pl.Int64).cum_sum().over("session_id")
    ).with_columns(
        lifetime_id=pl.when(pl.col("_segment") == 0).then(pl.col("session_id"))
        .otherwise(pl.format("{}#{}", pl.col("session_id"), pl.col("_segment")))
    )
    is_user = pl.col("kind").is_in(USER_KINDS)
    begins = pl.col("kind").is_in(["session_start", "session_reset"])
    life = tx.group_by("lifetime_id", maintain_order=True).agg(
        session_id=pl.col("session_id").first(),
        reset_reason=pl.col("stop_reason").filter(pl.col("kind") == "session_reset").first(),
        source=pl.col("source").first(),
        agent=pl.col("source").first().cast(pl.String).str.extract(r"agents/([^/]+)/", 1).fill_null("main"),
        start=pl.coalesce(pl.col("ts").filter(begins).min(), pl.col("ts").min()),
        start_line=pl.col("line").filter(begins).first(),
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
    # A commands.log /new or /reset, or the session-memory file the /new hook wrote, shortly
    # before a start names that lifetime's key.
    commands = events.filter(pl.col("kind").is_in(["command_log", "session_memory"]) & pl.col("session_key").is_not_null())
    if commands.height:
        life = life.sort("start").join_asof(
            commands.select(pl.col("ts").alias("_cmd_ts"), pl.col("session_key").alias("_cmd_key")).sort("_cmd_ts"),
            left_on="start", right_on="_cmd_ts", strategy="backward", tolerance=COMMAND_LOG_TOLERANCE,
        )
    else:
        life = life.with_columns(_cmd_key=pl.lit(None, pl.String), _cmd_ts=pl.lit(None, pl.Datetime("us", "UTC")))
    envelope_channel = pl.col("first_user_text").str.extract(_ENVELOPE_CHANNEL, 1)
    envelope_dm = pl.col("first_user_text").str.extract(_ENVELOPE_DM, 1)
    life = life.with_columns(
        session_key=pl.coalesce(
            pl.col("named_key"),
            pl.col("_cmd_key"),
            pl.when(envelope_channel.is_not_null()).then(
                pl.format("agent:{}:discord:channel:{}", pl.col("agent"), envelope_channel)
            ),
            pl.when(envelope_dm.is_not_null()).then(pl.format("agent:{}:main", pl.col("agent"))),
        ),
        key_how=pl.when(pl.col("named_key").is_not_null()).then(pl.format("named by {}", pl.col("named_by")))
        .when(pl.col("_cmd_key").is_not_null()).then(pl.lit("commands.log or session-memory file just before the start"))
        .when(envelope_channel.is_not_null() | envelope_dm.is_not_null()).then(pl.lit("inferred from the Discord envelope"))
        .otherwise(pl.lit("unknown")),
    ).drop("named_key", "named_by", "_cmd_key", "_cmd_ts")

    life = life.sort("start").with_columns(
        prev_session_id=pl.col("session_id").shift(1).over("session_key"),
        prev_last_activity=pl.col("last_activity").shift(1).over("session_key"),
        prev_source=pl.col("source").shift(1).over("session_key"),
    )
    # With no predecessor in its own key, the nearest earlier lifetime of unknown key is the
    # best candidate (old transcripts leave the store when their key moves on).
    unknown = life.filter(pl.col("session_key").is_null()).select(
        pl.col("start").alias("_u_start"), pl.col("session_id").alias("_u_id"),
        pl.col("last_activity").alias("_u_last"), pl.col("source").alias("_u_source"),
    ).sort("_u_start")
    if unknown.height:
        life = life.sort("start").join_asof(unknown, left_on="start", right_on="_u_start", strategy="backward",
                                            allow_exact_matches=False)
        # Each orphan can have been replaced only once: the earliest claimant gets it.
        claim = pl.col("prev_session_id").is_null() & pl.col("_u_id").is_not_null()
        life = life.with_columns(
            _claim_rank=pl.when(claim).then(pl.col("start")).rank("ordinal").over(pl.when(claim).then(pl.col("_u_id")))
        )
        take = claim & (pl.col("_claim_rank") == 1)
        life = life.with_columns(
            prev_session_id=pl.when(take).then(pl.col("_u_id")).otherwise(pl.col("prev_session_id")),
            prev_last_activity=pl.when(take).then(pl.col("_u_last")).otherwise(pl.col("prev_last_activity")),
            prev_source=pl.when(take).then(pl.col("_u_source")).otherwise(pl.col("prev_source")),
        ).drop("_u_start", "_u_id", "_u_last", "_u_source", "_claim_rank")
    return life.select([pl.col(c).cast(t) for c, t in LIFETIME_SCHEMA.items()])


def attach_keys(events: pl.DataFrame, lifetimes: pl.DataFrame) -> pl.DataFrame:
    """Give transcript rows the session key their lifetime resolved to."""
    if lifetimes.is_empty():
        return events
    # Stable-id stores have several lifetimes per session id, all of one key: one row per id,
    # or the join would repeat every event once per lifetime.
    keys = lifetimes.select("session_id", pl.col("session_key").alias("_key")).unique("session_id", keep="first")
    return (
        events.join(keys, on="session_id", how="left", maintain_order="left")
        .with_columns(session_key=pl.coalesce(pl.col("session_key"), pl.col("_key")))
        .drop("_key")
    )
