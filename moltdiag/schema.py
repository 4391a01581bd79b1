"""The canonical event schema: every parser produces it, every later stage consumes it.

Dtypes are fixed here and never inferred, so frames from different parsers concatenate
without surprises and an empty input still yields a well-typed frame.
"""

from __future__ import annotations

import polars as pl

UTC_US = pl.Datetime("us", "UTC")
NAIVE_US = pl.Datetime("us")

# Public columns, in output order.
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "ts": UTC_US,  # the instant, UTC, microseconds (null only while a wall clock awaits its zone)
    "ts_note": pl.String,  # how ts was derived: "utc given", "offset +01:00 given", "zone inferred …", "year inferred …"
    "source": pl.String,  # input file as given on the command line (or inside a container)
    "line": pl.Int64,  # 1-based line number in that file (row number for SQLite)
    "format": pl.String,  # parser that read it, e.g. "journald-short", "transcript"
    "host": pl.String,
    "ident": pl.String,  # syslog identifier (node, systemd, openclaw …)
    "pid": pl.Int64,
    "channel": pl.String,  # discord, telegram, whatsapp, slack, signal, imessage, webchat …
    "subsystem": pl.String,  # console tag or file-log subsystem
    "level": pl.String,  # debug/info/warn/error/fatal when known
    "kind": pl.String,  # see KINDS
    "code": pl.Int64,  # close code / status code
    "backoff_ms": pl.Int64,
    "after_code": pl.Int64,  # "… after code N" on resume/reconnect lines
    "duration_ms": pl.Float64,
    "listener": pl.String,
    "event_name": pl.String,  # Discord dispatch name, e.g. INTERACTION_CREATE
    "session_id": pl.String,
    "session_key": pl.String,
    "message_id": pl.String,  # channel message / interaction id (snowflake for Discord)
    "role": pl.String,  # user / assistant / toolResult for transcript messages
    "stop_reason": pl.String,
    "text": pl.String,  # the message, ANSI stripped; raw line for unparsed rows
}

# Internal columns that travel from parsers to the correlator and are dropped from output.
INTERNAL_SCHEMA: dict[str, pl.DataType] = {
    "wall": NAIVE_US,  # host-local wall clock of a line whose zone is not stated
    "wall_has_year": pl.Boolean,  # False when the stamp had no year (journald `short`)
}

# Columns with few distinct values (a file name, a parser name, one of a few dozen kinds or
# notes) are Categorical inside: 4 bytes a row instead of a 16-byte string view, which is most
# of the memory a 150-byte journal line costs and half of the time a sort takes. Outputs see
# strings (`public`); code that needs string functions on them casts first.
COMPACT_COLUMNS = ("ts_note", "source", "format", "host", "ident", "channel", "subsystem", "level", "kind",
                   "listener", "event_name", "role", "stop_reason")
# Codes and backoffs are small numbers, and null on almost every row: 32 bits inside.
NARROW_INT_COLUMNS = ("code", "backoff_ms", "after_code")
FULL_SCHEMA: dict[str, pl.DataType] = {
    **{name: (pl.Categorical() if name in COMPACT_COLUMNS else pl.Int32 if name in NARROW_INT_COLUMNS else dtype)
       for name, dtype in EVENT_SCHEMA.items()},
    **INTERNAL_SCHEMA,
}

# Event kinds. Parsers may only emit these; `other` is a recognised line with no
# diagnostic meaning, `unparsed` a line we could not read (kept, counted, shown).
KINDS: dict[str, str] = {
    "ws_close": "WebSocket closed (code: RFC 6455 / Discord close code)",
    "resume_attempt": "gateway resume scheduled (backoff_ms, after_code)",
    "reconnect_attempt": "fresh IDENTIFY scheduled (session not resumable)",
    "connection_stalled": "no HELLO / READY within the watchdog time",
    "gateway_error": "channel gateway error (fatal close, max reconnect attempts, network)",
    "slow_listener": "event listener took long (listener, event_name, duration_ms)",
    "listener_timeout": "event listener timed out",
    "interaction_expired": "Discord interaction expired / unknown / already acknowledged",
    "gateway_start": "gateway process listening (PID)",
    "gateway_stop": "gateway received a stop signal or exited",
    "gateway_restart": "gateway in-process restart (SIGUSR1) or systemd restart",
    "provider_start": "channel provider (re)started",
    "provider_exit": "channel provider task ended",
    "health_restart": "channel health monitor restarted a channel",
    "channel_conflict": "channel conflict (Telegram 409)",
    "channel_reconnect": "non-Discord channel reconnect (WhatsApp, Slack, Signal …)",
    "session_reset_log": "log line stating an automatic session reset",
    "command_refused": "a /new or /reset refused for an unauthorised sender",
    "session_start": "transcript header: a session id begins",
    "session_archive": "transcript archived (.reset. / .deleted. / .bak.)",
    "session_reset": "reset event inside a stable-id transcript (reason new/reset/idle/daily)",
    "session_store_entry": "sessions.json entry: key -> current session id",
    "reset_prompt": "the bare-reset prompt: /new or /reset was executed",
    "reset_notice": "✅ New session started notice mirrored into the transcript",
    "user_message": "user message in a transcript",
    "assistant_message": "assistant message (stop_reason; delivery-mirror is not model output)",
    "tool_result": "tool result in a transcript",
    "compaction": "context compaction entry",
    "model_change": "model change / snapshot entry",
    "transcript_entry": "other transcript entry (custom, labels …)",
    "command_log": "commands.log line (/new, /reset … with sender)",
    "session_memory": "session-memory hook file: the session saved when /new ran (key, old id)",
    "other": "recognised line without diagnostic meaning",
    "gap": "user elision marker in a pasted excerpt",
    "unparsed": "line that could not be read (raw text kept)",
}


def empty_frame(*, internal: bool = True) -> pl.DataFrame:
    return pl.DataFrame(schema=FULL_SCHEMA if internal else EVENT_SCHEMA)


def conform(df: pl.DataFrame | pl.LazyFrame, *, internal: bool = True):
    """Add missing columns as typed nulls, cast present ones, order as the schema.

    Works on eager and lazy frames alike; unknown columns are dropped.
    """
    schema = FULL_SCHEMA if internal else EVENT_SCHEMA
    have = set(df.collect_schema().names()) if isinstance(df, pl.LazyFrame) else set(df.columns)
    exprs = [
        (pl.col(name).cast(dtype, strict=False) if name in have else pl.lit(None, dtype=dtype)).alias(name)
        for name, dtype in schema.items()
    ]
    return df.select(exprs)


def public(df: pl.DataFrame) -> pl.DataFrame:
    """Drop internal columns before output; compact columns back to strings."""
    return df.select(pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items())
