"""The OpenClaw message classifier, shared by every log source.

Input: a frame whose `text` column holds one gateway message as a log sink wrote it —
console/journald form `2026-01-27T19:05:10.412Z [discord] gateway: X` (timestamp and tag
optional) or file-log form `discord gateway: X`. Output: the same frame with the console
prefix split off (`subsystem`, an embedded UTC time when the prefix carried a zone) and
the diagnostic fields filled (`kind`, `channel`, `code`, `backoff_ms`, …).

Everything is a Polars expression: a line costs a few vectorised string scans, no Python.
The strings come from ../shared/spec/openclaw-events.md §1 (Discord eras A/B/C, Telegram,
WhatsApp, Slack, Signal, iMessage, gateway lifecycle) and §5.
"""

from __future__ import annotations

import polars as pl

from moltdiag.schema import UTC_US

CHANNELS = ("discord", "telegram", "whatsapp", "slack", "signal", "imessage", "googlechat", "webchat", "line")

# ANSI colour sequences, with or without their escape byte (pastes often lose the ESC).
# A bare "[m" counts only before whitespace, a bracket or the end, so "[memory]" survives.
ANSI_RE = r"\x1b\[[0-9;?]*[A-Za-z]|\[\d{1,3}(?:;\d{1,3})*m"
# Polars' regex engine has no look-ahead: the character after a bare "[m" is captured and put back.
_BARE_RESET_RE = r"\[m(\s|\[|$)"

# Optional console time prefix, then optional [tag]; the spec's §8.3.3 regex.
_CONSOLE_PREFIX_RE = (
    r"(?s)^(?:(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})"
    r"|\d{1,2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2})?) )?"
    r"(?:\[(?P<tag>[^\]\s]{1,40})\] ?)?(?P<msg>.*)$"
)

# (kind, literal substrings that select the line). Order matters: the first match wins,
# so specific strings come before generic ones.
_KIND_LITERALS: list[tuple[str, tuple[str, ...]]] = [
    ("ws_close", ("WebSocket connection closed with code", "Gateway websocket closed:")),
    ("resume_attempt", ("Attempting resume with backoff:",)),
    ("reconnect_attempt", ("Reconnecting with backoff:", "forcing fresh IDENTIFY")),
    ("connection_stalled", ("connection stalled: no HELLO", "did not reach READY within", "READY wait timed out",
                            # Telegram polling watchdog (§1.4, later eras): stall, bounded stop, diag summary.
                            "Polling stall detected", "Polling runner stop timed out after",
                            "reason=polling stall detected")),
    ("slow_listener", ("Slow listener detected", '"type":"slow-listener"')),
    ("listener_timeout", ('"type":"listener-timeout"',)),
    ("interaction_expired", ("Unknown interaction", "already been acknowledged", "interaction expired", "(10062)", "(40060)")),
    ("health_restart", ("health-monitor: restarting",)),
    ("provider_exit", ("channel exited:",)),
    ("provider_start", ("starting provider", "logged in to discord", "client initialized as",
                        "Listening for personal WhatsApp inbound")),
    ("channel_conflict", ("getUpdates conflict",)),
    ("channel_reconnect", ("Web connection closed (status", "web reconnect: connection closed", "A pong wasn't received",
                           "A ping wasn't received", "SSE connection lost", "No messages received in",
                           "Message timeout detected - forcing reconnect", "Now connected to Slack",
                           # WhatsApp close while the socket opens (PR #75773); Telegram polling restarts (§1.4).
                           "Web connection closed during setup (status", "polling runner stopped (",
                           "polling cycle error reason=network error")),
    ("session_reset_log", ("Restarting session",)),
    ("command_refused", ("from unauthorized sender", "not authorized to reset this session")),
    ("gateway_restart", ("received SIGUSR1", "signal SIGUSR1 received", "Scheduled restart job")),
    ("gateway_stop", ("signal SIGTERM received", "signal SIGINT received", "; shutting down", "Main process exited",
                      "Failed with result", "shutdown timed out", "Uncaught exception", "FATAL unhandled rejection",
                      "Unhandled promise rejection")),
    ("gateway_start", (" (PID ", "Gateway failed to start")),
    ("gateway_error", ("gateway error:", "Fatal Gateway error", "Fatal gateway close code", "Max reconnect attempts",
                       "Gateway heartbeat ACK timeout", "closed with code 4014")),
]

# systemd's own lines about the gateway unit (any brand, any profile suffix).
_KIND_REGEXES: list[tuple[str, str]] = [
    ("gateway_stop", r"^(?:Stopping|Stopped) \S*(?:clawdbot|moltbot|openclaw|clawdis)-gateway"),
    ("gateway_start", r"^Started \S*(?:clawdbot|moltbot|openclaw|clawdis)-gateway"),
    ("listener_timeout", r"Listener \w+ timed out after"),
    # Telegram polling restart after a network failure (§1.4): file form `Telegram network error: …;
    # retrying in 5s.`, console form (prefix stripped) `network error: …; retrying in 5s.`.
    ("channel_reconnect", r"(?i)^(?:telegram )?(?:setup )?network error: .*; retrying in "),
]

# Regexes for the typed fields; each applies only to rows of its kind.
_CLOSE_RE = r"(?:closed with code|websocket closed:)\s*(\d+)"
_BACKOFF_RE = r"backoff:\s*(\d+)\s*ms"
_AFTER_RE = r"after (?:close )?code (\d+)"
_SCHEDULED_RE = r"reconnect scheduled in (\d+)ms \(([\w-]+), resume=(true|false)\)"
_SLOW_RE = r"Slow listener detected:?\s*(\w+) took ([\d.]+)\s*(ms|s|sec|secs|seconds?)\b(?: for event (\w+))?"
_SLOW_JSON_RE = r'"listener":"(\w+)".*?"event(?:Type)?":"(\w+)".*?"durationMs":([\d.]+)'
_TIMEOUT_RE = r"Listener (\w+) timed out after (\d+)ms for event (\w+)"
_FATAL_RE = r"(?:Fatal Gateway error|Fatal gateway close code):?\s*(\d+)|closed with code (\d+)"
_STATUS_RE = r"\(status (\d+)\)|\"?status\"?[=:](\d+)|\((\d{3}): Conflict"
_PID_RE = r"\(PID (\d+)\)"
_RESTART_SESSION_RE = r"Restarting session (\S+) -> ([0-9A-Za-z-]+)"


def _first_match_kind(text: pl.Expr) -> pl.Expr:
    expr: pl.Expr | None = None
    for kind, pattern in _KIND_REGEXES:
        cond = text.str.contains(pattern)
        expr = pl.when(cond).then(pl.lit(kind)) if expr is None else expr.when(cond).then(pl.lit(kind))
    for kind, literals in _KIND_LITERALS:
        cond = text.str.contains_any(list(literals))
        expr = pl.when(cond).then(pl.lit(kind)) if expr is None else expr.when(cond).then(pl.lit(kind))
    return expr.otherwise(pl.lit("other"))


def strip_ansi(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(ANSI_RE, "").str.replace_all(_BARE_RESET_RE, "$1")


def split_console_prefix(df: pl.DataFrame) -> pl.DataFrame:
    """Split `2026-…Z [tag] message` into `stamp`, `subsystem` (tag) and `text` (message)."""
    parts = pl.col("text").str.extract_groups(_CONSOLE_PREFIX_RE)
    df = df.with_columns(_parts=parts)
    tag = pl.col("_parts").struct.field("tag")
    return df.with_columns(
        stamp=pl.col("_parts").struct.field("stamp"),
        subsystem=pl.coalesce(pl.col("subsystem"), tag) if "subsystem" in df.columns else tag,
        text=pl.coalesce(pl.col("_parts").struct.field("msg"), pl.col("text")),
    ).drop("_parts")


def parse_iso_utc(expr: pl.Expr) -> pl.Expr:
    """ISO-8601 with `Z` or an offset → UTC µs; anything else → null."""
    norm = (
        expr.str.replace(r"Z$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "$1:$2")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    )
    # Pad fractions to microseconds so one format string fits all precisions.
    norm = norm.str.replace(r"T(\d{2}:\d{2}:\d{2})([+-])", "T$1.000000$2")
    norm = norm.str.replace(r"\.(\d{1,6})\d*([+-])", ".${1}000000$2")
    norm = norm.str.replace(r"\.(\d{6})0*([+-])", ".$1$2")
    return norm.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us").dt.convert_time_zone("UTC")


def _int(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int64, strict=False)


def classify(df: pl.DataFrame) -> pl.DataFrame:
    """Fill kind and typed fields from `text` (and `subsystem` when present).

    Rows that already have a kind (e.g. `unparsed`) keep it.
    """
    text = pl.col("text").fill_null("")
    kind = _first_match_kind(text)
    if "kind" in df.columns:
        kind = pl.coalesce(pl.col("kind"), kind)
    df = df.with_columns(kind=kind)

    k = pl.col("kind")
    slow = text.str.extract_groups(_SLOW_RE)
    slow_json = text.str.extract_groups(_SLOW_JSON_RE)
    timeout = text.str.extract_groups(_TIMEOUT_RE)
    scheduled = text.str.extract_groups(_SCHEDULED_RE)
    status = text.str.extract_groups(_STATUS_RE)
    fatal = text.str.extract_groups(_FATAL_RE)
    restart = text.str.extract_groups(_RESTART_SESSION_RE)

    slow_value = slow.struct.field("2").cast(pl.Float64, strict=False)
    slow_unit = slow.struct.field("3")
    slow_ms = pl.when(slow_unit == "ms").then(slow_value).otherwise(slow_value * 1000.0)

    df = df.with_columns(
        code=pl.when(k == "ws_close").then(_int(text.str.extract(_CLOSE_RE, 1)))
        .when(k == "gateway_error").then(_int(pl.coalesce(fatal.struct.field("1"), fatal.struct.field("2"),
                                                          text.str.extract(_AFTER_RE, 1))))
        .when((k == "gateway_stop") & fatal.struct.field("1").is_not_null()).then(_int(fatal.struct.field("1")))
        .when(k.is_in(["channel_reconnect", "channel_conflict"])).then(
            _int(pl.coalesce(status.struct.field("1"), status.struct.field("2"), status.struct.field("3")))
        ),
        backoff_ms=pl.when(k.is_in(["resume_attempt", "reconnect_attempt"])).then(
            _int(pl.coalesce(text.str.extract(_BACKOFF_RE, 1), scheduled.struct.field("1")))
        ),
        after_code=pl.when(k.is_in(["resume_attempt", "reconnect_attempt"])).then(_int(text.str.extract(_AFTER_RE, 1))),
        duration_ms=pl.when(k == "slow_listener").then(
            pl.coalesce(slow_ms, slow_json.struct.field("3").cast(pl.Float64, strict=False))
        ).when(k == "listener_timeout").then(timeout.struct.field("2").cast(pl.Float64, strict=False)),
        listener=pl.when(k == "slow_listener").then(pl.coalesce(slow.struct.field("1"), slow_json.struct.field("1")))
        .when(k == "listener_timeout").then(timeout.struct.field("1")),
        event_name=pl.when(k == "slow_listener").then(pl.coalesce(slow.struct.field("4"), slow_json.struct.field("2")))
        .when(k == "listener_timeout").then(timeout.struct.field("3")),
    )
    # Carbon's newer scheduler line states resume=true/false itself.
    df = df.with_columns(
        kind=pl.when((k == "other") & (scheduled.struct.field("3") == "true")).then(pl.lit("resume_attempt"))
        .when((k == "other") & (scheduled.struct.field("3") == "false")).then(pl.lit("reconnect_attempt"))
        .otherwise(k),
    )
    df = df.with_columns(
        backoff_ms=pl.when(pl.col("backoff_ms").is_null() & k.is_in(["resume_attempt", "reconnect_attempt"]))
        .then(_int(scheduled.struct.field("1"))).otherwise(pl.col("backoff_ms")),
    )
    if "session_key" in df.columns:
        df = df.with_columns(
            session_key=pl.coalesce(pl.col("session_key"), pl.when(k == "session_reset_log").then(restart.struct.field("1"))),
            session_id=pl.coalesce(pl.col("session_id"), pl.when(k == "session_reset_log").then(restart.struct.field("2"))),
        )
    if "pid" in df.columns:
        df = df.with_columns(
            pid=pl.coalesce(pl.col("pid"), pl.when(k == "gateway_start").then(_int(text.str.extract(_PID_RE, 1))))
        )
    return df.with_columns(channel=_channel_expr(df))


def _channel_expr(df: pl.DataFrame) -> pl.Expr:
    text = pl.col("text").fill_null("")
    sub = pl.col("subsystem").fill_null("").str.to_lowercase() if "subsystem" in df.columns else pl.lit("")
    from_sub = sub.str.extract(r"(?:^|/)(" + "|".join(CHANNELS) + r")(?:[/:]|$)", 1)
    # "signal" alone is too common a word ("signal SIGTERM received") to name a channel.
    lowered = text.str.to_lowercase()
    from_text = pl.coalesce(
        lowered.str.extract(r"^\[?(" + "|".join(c for c in CHANNELS if c != "signal") + r")\b", 1),
        lowered.str.extract(r"^\[?(signal)(?: sse|-cli)", 1),
    )
    discordish = pl.when(
        pl.any_horizontal(
            [text.str.contains(s, literal=True) for s in
             ("InteractionEventListener", "DiscordMessageListener", "[EventQueue]", "INTERACTION_CREATE", "MESSAGE_CREATE",
              "no HELLO received",
              "WebSocket connection closed with code", "Attempting resume with backoff", "Reconnecting with backoff")]
        ) | (sub == "eventqueue")
    ).then(pl.lit("discord"))
    slackish = pl.when(text.str.contains("socket-mode:", literal=True)).then(pl.lit("slack"))
    existing = [pl.col("channel")] if "channel" in df.columns else []
    return pl.coalesce(*existing, from_sub, from_text, discordish, slackish)


def classify_log_messages(df: pl.DataFrame) -> pl.DataFrame:
    """Full treatment for a log line's message: strip ANSI, split console prefix, classify.

    Where the console prefix carried a zoned stamp (`…Z`, `…+01:00`) it is returned as
    `embedded_ts` (UTC); callers decide whether it beats their own stamp.
    """
    df = df.with_columns(text=strip_ansi(pl.col("text")))
    df = split_console_prefix(df)
    df = df.with_columns(embedded_ts=parse_iso_utc(pl.col("stamp")).cast(UTC_US)).drop("stamp")
    return classify(df)
