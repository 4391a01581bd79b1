"""The OpenClaw message classifier, shared by every log source.

Input: a frame whose `text` column holds one gateway message as a log sink wrote it —
console/journald form `2026-01-27T19:05:10.412Z [discord] gateway: X` (timestamp and tag
optional) or file-log form `discord gateway: X`. Output: the same frame with the console
prefix split off (`subsystem`, an embedded UTC time when the prefix carried a zone) and
the diagnostic fields filled (`kind`, `channel`, `code`, `backoff_ms`, …).

Everything is a Polars expression, no Python per line. Most lines are noise, so the costly
expressions (the per-kind chain, the typed-field extracts, the channel regexes, the spec's
console-prefix regex) run only on the rows that one cheap scan for every literal they need
(or an anchored check) selects, and their results are scattered back by row position; each
such prefilter is a superset of the rows the expressions can change. Large frames are
classified in row blocks on every core (`in_row_blocks`).
The strings come from ../shared/spec/openclaw-events.md §1 (Discord eras A/B/C, Telegram,
WhatsApp, Slack, Signal, iMessage, gateway lifecycle) and §5.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

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


# --- row subsets ---------------------------------------------------------------------------
#
# Most log lines are noise (`[ws] ⇄ res ✓ chat.history 63ms …`, `[heartbeat] started`). The
# expensive expressions (regex captures, the per-kind chain, the typed-field extracts) run
# only on the rows that one cheap whole-column scan selects, and their results are scattered
# back by row position. Every prefilter below is a superset of the rows its expressions can
# change, so the result is the one the expressions give when run on every row.

# Superset of ANSI_RE and _BARE_RESET_RE: an escape + `[`, or `[` before a digit or `m`.
_ANSI_ANY_RE = r"\x1b\[|\[(?:\d|m)"

# The gateway console stamp services write (`2026-01-27T19:05:10.412Z `), ASCII digits only;
# any other prefix starting with a digit takes the full regex.
_FAST_STAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z "
# A `[tag]` of printable ASCII (no `]`, no whitespace): its byte offsets are its char offsets.
# `[` right after the (absent or common) stamp
_FAST_STAMP_BRACKET_RE = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z )?\["
_FAST_TAG_ANY_RE = (r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z )?"
                    r"\[[\x21-\x5c\x5e-\x7e]{1,40}\]")


def _kind_prefilter_literals() -> list[str]:
    """Literals, one of which (ASCII case-insensitively) every line a kind or a typed field
    can come from contains."""
    lits = [lit for _, literals in _KIND_LITERALS for lit in literals]
    lits += [
        "-gateway",  # `Stopping|Stopped|Started …-gateway` (systemd)
        " timed out after",  # `Listener X timed out after`
        "retrying in",  # `(?i)… network error: …; retrying in ` (no non-ASCII folds to these letters)
        "reconnect scheduled in ",  # Carbon's scheduler line, reclassified from `other`
    ]
    return sorted(set(lits))


_KIND_PREFILTER = _kind_prefilter_literals()
# Preset kinds whose typed fields the classifier fills (`other` only via the scheduler line,
# which the prefilter catches).
_TYPED_KINDS = ["ws_close", "gateway_error", "gateway_stop", "channel_reconnect", "channel_conflict",
                "resume_attempt", "reconnect_attempt", "slow_listener", "listener_timeout", "session_reset_log",
                "gateway_start"]
_DISCORD_LITERALS = ("InteractionEventListener", "DiscordMessageListener", "[EventQueue]", "INTERACTION_CREATE",
                     "MESSAGE_CREATE", "no HELLO received", "WebSocket connection closed with code",
                     "Attempting resume with backoff", "Reconnecting with backoff")
_SLACK_LITERAL = "socket-mode:"
# Channel names (and `eventqueue`) in a subsystem, ASCII case-insensitively; `to_lowercase`
# also turns the Kelvin sign into `k`, hence the extra spelling of "slack".
_SUB_PREFILTER = [*CHANNELS, "eventqueue", "slac\u212a"]
_ALL_LITERALS = sorted({*_KIND_PREFILTER, *_DISCORD_LITERALS, _SLACK_LITERAL})
# A channel name at the start of the text; `(?i)` folds at least what `to_lowercase` does.
_TEXT_CHANNEL_PREFILTER_RE = r"(?i)^\[?(?:" + "|".join(CHANNELS) + ")"


def _mask(s: pl.Series) -> pl.Series:
    return s.fill_null(False)


def _scatter(base: pl.Series, idx: pl.Series, values: pl.Series) -> pl.Series:
    """`base` (cast to the dtype of `values`) with rows `idx` set to `values`. Only rows
    whose value changes are written; when none does, `base` itself is returned."""
    if base.dtype != values.dtype:
        base = base.cast(values.dtype)
    if idx.len():
        changed = ~base.gather(idx).eq_missing(values)
        if not changed.all():
            idx, values = idx.filter(changed), values.filter(changed)
    if not idx.len():
        return base
    return base.clone().scatter(idx, values)


def _nulls(name: str, dtype: pl.DataType, n: int) -> pl.Series:
    return pl.Series(name, [], dtype=dtype).extend_constant(None, n)


def strip_ansi_frame(df: pl.DataFrame, column: str = "text", maybe: pl.Series | None = None) -> pl.DataFrame:
    """`strip_ansi` on a frame's column, evaluated only where a colour code can be (`maybe`:
    a known superset of those rows, else found with one scan)."""
    s = df[column]
    mask = _mask(s.str.contains(_ANSI_ANY_RE)) if maybe is None else maybe
    if not mask.any():
        return df
    fixed = df.filter(mask).select(strip_ansi(pl.col(column)).alias(column)).to_series()
    out = _scatter(s, mask.arg_true(), fixed)
    return df if out is s else df.with_columns(out)


# --- console prefix ------------------------------------------------------------------------


def _split_console_prefix_rows(df: pl.DataFrame) -> pl.DataFrame:
    """The spec's regex on every row of `df` (stamp, subsystem, text)."""
    parts = pl.col("text").str.extract_groups(_CONSOLE_PREFIX_RE)
    df = df.with_columns(_parts=parts)
    tag = pl.col("_parts").struct.field("tag")
    return df.with_columns(
        stamp=pl.col("_parts").struct.field("stamp"),
        subsystem=pl.coalesce(pl.col("subsystem"), tag) if "subsystem" in df.columns else tag,
        text=pl.coalesce(pl.col("_parts").struct.field("msg"), pl.col("text")),
    ).drop("_parts")


def console_flags(text: pl.Series) -> pl.DataFrame:
    """`fast` (the text starts with the common `….mmmZ ` stamp) and `digit` (with a digit)."""
    t = pl.col("text")
    return pl.DataFrame({"text": text}).select(
        fast=t.str.contains(_FAST_STAMP_RE).fill_null(False), digit=t.str.contains(r"^\d").fill_null(False),
    )


def _console_parts(text: pl.Series, flags: pl.DataFrame | None = None
                   ) -> tuple[pl.Series, pl.Series, pl.Series, pl.Series]:
    """(`stamp`, `tag`, `msg`, `fast`) of `_CONSOLE_PREFIX_RE` for every row. `fast` marks the
    rows whose stamp is the common `….mmmZ` form (parsed by `_fast_console_ts`); `flags`, if
    given, is `console_flags(text)`.

    The common shapes (`….mmmZ [tag] msg`, `[tag] msg`, bare text) are cut by offsets; a
    stamp of another form, or a tag with non-ASCII characters, takes the spec's regex."""
    name = text.name
    t = pl.col("t")
    if flags is None:
        flags = console_flags(text)
    frame = pl.DataFrame({"t": text, "fast": flags["fast"], "digit": flags["digit"]}).with_columns(
        # first `]`: the tag's end (a fast stamp holds none)
        close=t.str.find("]", literal=True),
        close_sp=t.str.find("] ", literal=True),
        tagf=t.str.contains(_FAST_TAG_ANY_RE).fill_null(False),
    )
    fast, tagf, close = pl.col("fast"), pl.col("tagf"), pl.col("close").cast(pl.Int64)
    start = pl.when(fast).then(pl.lit(25, dtype=pl.Int64)).otherwise(pl.lit(0, dtype=pl.Int64))
    space = (pl.col("close_sp") == pl.col("close")).fill_null(False).cast(pl.Int64)
    out = frame.select(
        stamp=pl.when(fast).then(t.str.head(24)),
        tag=pl.when(tagf).then(t.str.slice(start + 1, close - start - 1)),
        msg=t.str.slice(pl.when(tagf).then(close + 1 + space).otherwise(start)),
        # a digit that is not the common stamp: the spec's regex on the whole text
        slow=pl.col("digit") & ~fast,
        # `[` after the (absent or fast) stamp, but not an ASCII tag: the tag part of the regex
        tag_slow=~tagf & ~(pl.col("digit") & ~fast) & t.str.contains(_FAST_STAMP_BRACKET_RE).fill_null(False),
    )
    stamp, tag, msg = out["stamp"], out["tag"], out["msg"]
    tag_slow = out["tag_slow"]
    if tag_slow.any():
        parts = (pl.DataFrame({"r": msg}).filter(tag_slow)
                 .select(pl.col("r").str.extract_groups(r"(?s)^(?:\[(?P<tag>[^\]\s]{1,40})\] ?)?(?P<msg>.*)$"))
                 .unnest("r"))
        idx = tag_slow.arg_true()
        tag = _scatter(tag, idx, parts["tag"])
        msg = _scatter(msg, idx, parts["msg"])
    slow = out["slow"]
    if slow.any():
        parts = (pl.DataFrame({"t": text}).filter(slow)
                 .select(pl.col("t").str.extract_groups(_CONSOLE_PREFIX_RE)).unnest("t"))
        idx = slow.arg_true()
        stamp = _scatter(stamp, idx, parts["stamp"])
        tag = _scatter(tag, idx, parts["tag"])
        msg = _scatter(msg, idx, parts["msg"])
    return stamp.alias("stamp"), tag.alias("tag"), msg.alias(name), frame["fast"]


def split_console_prefix(df: pl.DataFrame) -> pl.DataFrame:
    """Split `2026-…Z [tag] message` into `stamp`, `subsystem` (tag) and `text` (message)."""
    if not df.height:
        return _split_console_prefix_rows(df)
    stamp, tag, msg, _ = _console_parts(df["text"])
    return _with_console_parts(df, stamp, tag, msg)


_LEVEL_TAGS = ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL")
_PIPED_RE = r"(?s)^([\w./:@-]{1,60}) \| (.*)$"


def _with_console_parts(df: pl.DataFrame, stamp: pl.Series, tag: pl.Series, msg: pl.Series) -> pl.DataFrame:
    level = None
    is_level = tag.str.to_uppercase().is_in(_LEVEL_TAGS).fill_null(False)
    # A parser that already took the level off (`[INFO] ` before the stamp or tag) leaves the
    # `subsystem | message` form behind: split that too.
    if "level" in df.columns:
        is_level = is_level | (tag.is_null() & df["level"].is_not_null())
    if is_level.any():
        # `[LEVEL] subsystem | message key=value` (spec §8.2 pretty/plain variants): the tag is a
        # level, the subsystem stands before the pipe. Split on those rows only (few, usually).
        whole = df["text"] if "text" in df.columns else msg
        full_msg = msg.fill_null(whole) if msg is not None else whole
        idx = is_level.arg_true()
        parts = pl.DataFrame({"tag": tag.gather(idx), "msg": full_msg.gather(idx)}).with_columns(
            piped=pl.col("msg").str.extract_groups(_PIPED_RE)
        ).select(
            level=pl.when(pl.col("tag").str.to_uppercase().is_in(_LEVEL_TAGS))
            .then(pl.col("tag").str.to_lowercase().str.replace("warning", "warn")),
            tag=pl.col("piped").struct.field("1"),
            msg=pl.coalesce(pl.col("piped").struct.field("2"), pl.col("msg")),
        )
        level = _scatter(pl.Series("level", [None] * len(tag), dtype=pl.String), idx, parts["level"])
        tag = _scatter(tag, idx, parts["tag"])
        msg = _scatter(full_msg, idx, parts["msg"])
    sub = pl.coalesce(pl.col("subsystem"), pl.lit(tag)) if "subsystem" in df.columns else pl.lit(tag)
    columns = {"stamp": stamp, "subsystem": sub, "text": pl.coalesce(pl.lit(msg), pl.col("text"))}
    if level is not None:
        columns["level"] = pl.coalesce(pl.col("level"), pl.lit(level)) if "level" in df.columns else pl.lit(level)
    return df.with_columns(**columns)


def _fast_console_ts(stamp: pl.Series, fast: pl.Series) -> pl.Series:
    """`parse_iso_utc(stamp)` as UTC µs; the `….mmmZ` rows through Polars' fixed-format path."""
    frame = pl.DataFrame({"s": stamp, "fast": fast})
    s = pl.col("s")
    ts = frame.select(
        pl.when("fast").then(
            (s.str.head(19).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
             + pl.duration(milliseconds=s.str.slice(20, 3).cast(pl.Int64, strict=False)))
            .dt.replace_time_zone("UTC")
        )
    ).to_series().cast(UTC_US)
    other = stamp.is_not_null() & ~fast
    if other.any():
        rest = frame.filter(other).select(parse_iso_utc(s).cast(UTC_US)).to_series()
        ts = _scatter(ts, other.arg_true(), rest)
    return ts.alias("embedded_ts")


# --- kinds and typed fields ----------------------------------------------------------------


def _classify_rows_all(df: pl.DataFrame) -> pl.DataFrame:
    """Kind and typed fields for every row of `df` (no channel), every extract on every row."""
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
    return df


def _classify_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Kind and typed fields for every row of `df` (no channel): `_classify_rows_all`, with
    each extract run only on the rows of the kinds that read it."""
    if not df.height:
        return _classify_rows_all(df)
    text = pl.col("text").fill_null("")
    kind = _first_match_kind(text)
    if "kind" in df.columns:
        kind = pl.coalesce(pl.col("kind"), kind)
    df = df.with_columns(kind=kind)
    n = df.height
    cols: dict[str, pl.Series] = {name: _nulls(name, dtype, n) for name, dtype in _TYPED_FIELDS.items()}
    kinds = df["kind"]

    def part(selected: list[str], **exprs: pl.Expr) -> None:
        mask = _mask(kinds.is_in(selected))
        if not mask.any():
            return
        idx = mask.arg_true()
        values = df.filter(mask).select(**exprs)
        for name in exprs:
            cols[name] = _scatter(cols[name], idx, values[name])

    fatal = text.str.extract_groups(_FATAL_RE)
    status = text.str.extract_groups(_STATUS_RE)
    part(["ws_close"], code=_int(text.str.extract(_CLOSE_RE, 1)))
    part(["gateway_error"], code=_int(pl.coalesce(fatal.struct.field("1"), fatal.struct.field("2"),
                                                 text.str.extract(_AFTER_RE, 1))))
    part(["gateway_stop"], code=pl.when(fatal.struct.field("1").is_not_null()).then(_int(fatal.struct.field("1"))))
    part(["channel_reconnect", "channel_conflict"],
         code=_int(pl.coalesce(status.struct.field("1"), status.struct.field("2"), status.struct.field("3"))))
    scheduled = text.str.extract_groups(_SCHEDULED_RE)
    part(["resume_attempt", "reconnect_attempt"],
         backoff_ms=_int(pl.coalesce(text.str.extract(_BACKOFF_RE, 1), scheduled.struct.field("1"))),
         after_code=_int(text.str.extract(_AFTER_RE, 1)))
    slow = text.str.extract_groups(_SLOW_RE)
    slow_json = text.str.extract_groups(_SLOW_JSON_RE)
    slow_value = slow.struct.field("2").cast(pl.Float64, strict=False)
    slow_ms = pl.when(slow.struct.field("3") == "ms").then(slow_value).otherwise(slow_value * 1000.0)
    part(["slow_listener"],
         duration_ms=pl.coalesce(slow_ms, slow_json.struct.field("3").cast(pl.Float64, strict=False)),
         listener=pl.coalesce(slow.struct.field("1"), slow_json.struct.field("1")),
         event_name=pl.coalesce(slow.struct.field("4"), slow_json.struct.field("2")))
    timeout = text.str.extract_groups(_TIMEOUT_RE)
    part(["listener_timeout"],
         duration_ms=timeout.struct.field("2").cast(pl.Float64, strict=False),
         listener=timeout.struct.field("1"), event_name=timeout.struct.field("3"))
    # Carbon's newer scheduler line states resume=true/false itself.
    other = _mask(kinds == "other")
    if other.any():
        idx = other.arg_true()
        sched = df.filter(other).select(
            kind=pl.when(scheduled.struct.field("3") == "true").then(pl.lit("resume_attempt"))
            .when(scheduled.struct.field("3") == "false").then(pl.lit("reconnect_attempt"))
            .otherwise(pl.lit("other")),
            backoff_ms=_int(scheduled.struct.field("1")),
        )
        moved = sched["kind"] != "other"
        if moved.any():
            kinds = _scatter(kinds, idx.filter(moved), sched["kind"].filter(moved))
            cols["backoff_ms"] = _scatter(cols["backoff_ms"], idx.filter(moved), sched["backoff_ms"].filter(moved))
    out = {"kind": kinds, **cols}
    if "session_key" in df.columns:
        reset = _mask(kinds == "session_reset_log")
        for name, group in (("session_key", "1"), ("session_id", "2")):
            col = df[name]
            if reset.any():
                values = df.filter(reset).select(
                    pl.coalesce(pl.col(name), text.str.extract_groups(_RESTART_SESSION_RE).struct.field(group))
                ).to_series()
                col = _scatter(col, reset.arg_true(), values)
            out[name] = col
    if "pid" in df.columns:
        start = _mask(kinds == "gateway_start")
        col = df["pid"]
        if start.any():
            values = df.filter(start).select(pl.coalesce(pl.col("pid"), _int(text.str.extract(_PID_RE, 1)))).to_series()
            col = _scatter(col, start.arg_true(), values)
        out["pid"] = col
    return df.with_columns(**{name: s.alias(name) for name, s in out.items()})


_TYPED_FIELDS: dict[str, pl.DataType] = {
    "code": pl.Int64, "backoff_ms": pl.Int64, "after_code": pl.Int64, "duration_ms": pl.Float64,
    "listener": pl.String, "event_name": pl.String,
}


def classify(df: pl.DataFrame) -> pl.DataFrame:
    """Fill kind and typed fields from `text` (and `subsystem` when present).

    Rows that already have a kind (e.g. `unparsed`) keep it.
    """
    df = as_strings(df)
    if df.height == 0:
        return _classify(df)
    return in_row_blocks(_classify, df)


def _classify(df: pl.DataFrame) -> pl.DataFrame:
    n = df.height
    if n == 0:
        return _classify_rows(df).with_columns(channel=_channel_expr(df))
    # One scan over every literal either the kind chain or the channel needs.
    lit_hit = _mask(df["text"].fill_null("").str.contains_any(_ALL_LITERALS, ascii_case_insensitive=True))
    hit = lit_hit
    preset = df["kind"] if "kind" in df.columns else None
    if preset is not None:
        hit = hit | _mask(preset.is_in(_TYPED_KINDS))
    idx = hit.arg_true()
    sub = _classify_rows(df.filter(hit))

    # Rows outside the subset: kind stays (preset or `other`), typed fields null.
    base_kind = (preset.cast(pl.String).fill_null("other") if preset is not None
                 else pl.Series("kind", ["other"], dtype=pl.String).extend_constant("other", n - 1))
    out: dict[str, pl.Series] = {"kind": _scatter(base_kind, idx, sub["kind"]).alias("kind")}
    for name, dtype in _TYPED_FIELDS.items():
        out[name] = _scatter(_nulls(name, dtype, n), idx, sub[name]).alias(name)
    for name in ("session_key", "session_id", "pid"):
        if name in df.columns and name in sub.columns:
            out[name] = _scatter(df[name], idx, sub[name]).alias(name)
    df = df.with_columns(**out)
    return df.with_columns(_channel(df, lit_hit))


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
    discordish = pl.when(text.str.contains_any(list(_DISCORD_LITERALS)) | (sub == "eventqueue")).then(pl.lit("discord"))
    slackish = pl.when(text.str.contains(_SLACK_LITERAL, literal=True)).then(pl.lit("slack"))
    existing = [pl.col("channel")] if "channel" in df.columns else []
    return pl.coalesce(*existing, from_sub, from_text, discordish, slackish)


_SUB_CHANNEL_RE = r"(?:^|/)(" + "|".join(CHANNELS) + r")(?:[/:]|$)"
_TEXT_CHANNEL_RE = r"^\[?(" + "|".join(c for c in CHANNELS if c != "signal") + r")\b"
_TEXT_SIGNAL_RE = r"^\[?(signal)(?: sse|-cli)"


def _channel(df: pl.DataFrame, lit_hit: pl.Series) -> pl.Series:
    """`_channel_expr`, each part evaluated only on the rows that can give it (`lit_hit`:
    rows holding one of `_ALL_LITERALS`)."""
    n = df.height
    has_sub = "subsystem" in df.columns
    flags = df.select(
        pre=pl.col("text").str.contains(_TEXT_CHANNEL_PREFILTER_RE).fill_null(False),
        sub=(pl.col("subsystem").str.contains_any(_SUB_PREFILTER, ascii_case_insensitive=True).fill_null(False)
             if has_sub else pl.lit(False)),
    )
    base = df["channel"].cast(pl.String) if "channel" in df.columns else _nulls("channel", pl.String, n)
    union = flags["pre"] | flags["sub"] | lit_hit
    if not union.any():
        return base.alias("channel")
    cols = ["text", *(["subsystem"] if has_sub else [])]
    sub = df.select(cols).with_columns(_pre=flags["pre"], _sub=flags["sub"], _lit=lit_hit, _base=base).filter(union)
    m = sub.height
    text = pl.col("text").fill_null("")
    lowered_sub = pl.col("subsystem").fill_null("").str.to_lowercase()

    def on(mask: str, expr: pl.Expr, dtype: pl.DataType) -> pl.Series:
        rows = sub[mask]
        if not rows.any():
            return _nulls("x", dtype, m)
        return _scatter(_nulls("x", dtype, m), rows.arg_true(), sub.filter(rows).select(expr).to_series())

    from_sub = on("_sub", lowered_sub.str.extract(_SUB_CHANNEL_RE, 1), pl.String)
    eventq = on("_sub", lowered_sub == "eventqueue", pl.Boolean).fill_null(False)
    # The regexes look at most 12 characters in: `[googlechat` and the `\b` after it.
    head = text.str.head(12).str.to_lowercase()
    from_text = on("_pre", pl.coalesce(head.str.extract(_TEXT_CHANNEL_RE, 1), head.str.extract(_TEXT_SIGNAL_RE, 1)),
                   pl.String)
    discord = on("_lit", text.str.contains_any(list(_DISCORD_LITERALS)), pl.Boolean).fill_null(False) | eventq
    slack = on("_lit", text.str.contains(_SLACK_LITERAL, literal=True), pl.Boolean).fill_null(False)
    values = pl.select(pl.coalesce(
        pl.lit(sub["_base"]), pl.lit(from_sub), pl.lit(from_text),
        pl.when(pl.lit(discord)).then(pl.lit("discord")), pl.when(pl.lit(slack)).then(pl.lit("slack")),
    )).to_series()
    return _scatter(base, union.arg_true(), values).alias("channel")


def as_strings(df: pl.DataFrame) -> pl.DataFrame:
    """Categorical columns (a frame already in the canonical schema) as strings: the classifier
    works on strings; `conform` makes them compact again."""
    cats = [c for c, t in df.schema.items() if isinstance(t, pl.Categorical)]
    return df.with_columns(pl.col(c).cast(pl.String) for c in cats) if cats else df


def classify_log_messages(df: pl.DataFrame) -> pl.DataFrame:
    """Full treatment for a log line's message: strip ANSI, split console prefix, classify.

    Where the console prefix carried a zoned stamp (`…Z`, `…+01:00`) it is returned as
    `embedded_ts` (UTC); callers decide whether it beats their own stamp.
    """
    df = as_strings(df)
    if not df.height:
        df = df.with_columns(text=strip_ansi(pl.col("text")))
        df = _split_console_prefix_rows(df)
        df = df.with_columns(embedded_ts=parse_iso_utc(pl.col("stamp")).cast(UTC_US)).drop("stamp")
        return classify(df)
    return in_row_blocks(_classify_log_messages, df)


def _classify_log_messages(df: pl.DataFrame, maybe_ansi: pl.Series | None = None,
                           flags: pl.DataFrame | None = None) -> pl.DataFrame:
    """`classify_log_messages` in one piece. `maybe_ansi`: a superset of the rows that hold a
    colour code; `flags`: `console_flags` of the text as given (used if no colour code changed it)."""
    stripped = strip_ansi_frame(df, maybe=maybe_ansi)
    if stripped is not df:
        flags = None
    df = stripped
    stamp, tag, msg, fast = _console_parts(df["text"], flags)
    df = _with_console_parts(df, stamp, tag, msg).drop("stamp")
    df = df.with_columns(_fast_console_ts(stamp, fast))
    return _classify(df)


# --- both cores ------------------------------------------------------------------------------

BLOCK_ROWS = 250_000  # below this a frame is processed in one piece
MAX_BLOCK_ROWS = 500_000  # and above it in blocks of at most this many rows


def in_row_blocks(fn: Callable[[pl.DataFrame], pl.DataFrame], df: pl.DataFrame,
                  min_rows: int | None = None) -> pl.DataFrame:
    """`fn(df)` for a row-wise `fn`, on contiguous row blocks in parallel threads, results
    concatenated in order. Most Polars string kernels run on one core per expression; the
    blocks keep every core busy (Polars releases the GIL while it computes), and bounded
    blocks bound the memory the intermediate columns take."""
    workers = min(pl.thread_pool_size(), 8)
    n = df.height
    if workers < 2 or n < (BLOCK_ROWS if min_rows is None else min_rows):
        return fn(df)
    size = min(MAX_BLOCK_ROWS, -(-n // workers))
    blocks = [df.slice(offset, size) for offset in range(0, n, size)]
    with ThreadPoolExecutor(max_workers=min(workers, len(blocks))) as pool:
        results = list(pool.map(fn, blocks))
    # a block may add a column the others have no rows for (e.g. `level` from `[INFO]` lines)
    same = all(r.columns == results[0].columns for r in results)
    return pl.concat(results, how="vertical" if same else "diagonal", rechunk=False)
