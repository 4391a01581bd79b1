"""Log excerpts as people paste them into issues, chats and Markdown files (spec §8.2, §8.4, §9, §10).

A paste is gateway log lines inside whatever the user's tools and editor wrapped around
them. Each line is normalised first, then read with the line forms moltdiag already knows:

- wrappers removed: CRLF and BOM (the shared `decode_lines`), Markdown quotes (`> `,
  `>> `), list bullets (`- `, `* `, `1. `), `grep -n` / `grep -C` / `nl` / `file:line:`
  prefixes (`123:`, `123-`, `  184  `, `gateway.log:123:`, `/tmp/openclaw/x.log:12:`),
  leading/trailing whitespace, non-breaking spaces, ANSI residue (`[31m`). A bullet or a
  prefix is removed only when a timestamp is behind it, so `12:53:14+01:00 …` keeps its
  hour and prose keeps its dashes.
- code fences (```` ``` ````, `~~~`) are kind `other`, counted in the notes.
- user elisions (`[... repeated through 20:09:38 ...]`, `...`, `…`, `(snip)`,
  `[truncated]`, `… 2483 more lines`, grep's `--` group separator) are kind `gap`.
- journalctl lines of every `short*` mode go through journald_text's own per-mode
  extraction (same fields, same `format` names, same time contract); its markers
  (`-- Boot … --`) are kind `other`.
- other stamps, each followed by the message that the shared classifier reads:
  ISO date-times (`2026-01-27T19:05:10.412Z [discord] …` console / launchd `gateway.log`,
  `openclaw logs` plain `… info gateway/channels/discord {…} …`, bracketed
  `[2026-01-27 20:05:10]`, Windows/Python `2026-01-27 20:05:10,123`), dates with month
  names or `M/D/YYYY` and 12- or 24-hour clocks (`Jan 27, 2026 8:05:10 PM`,
  `1/27/2026, 8:05:10 PM`), and time-only stamps (`12:53:14+01:00`, `20:05:10`, `8:05:10 PM`).
- JSON file-log records (`{"0":…,"_meta":…}`, possibly behind a grep prefix) go to the
  file-log parser when it is installed.
- a line without a stamp: indented (or `at …` stack frames) under an event → that event's
  continuation, same time; a recognised gateway message → an event without a time (the
  correlator fills it from neighbours); anything else → `unparsed`, its reason counted.

Time contract (schema.INTERNAL_SCHEMA): a stated zone or offset → `ts` (UTC); no zone →
`wall` (naive) with `wall_has_year` True when the stamp has a year. Journal `short` stamps
have no year: the placeholder year, unless the paste also holds dated wall clocks, whose
nearest one gives the year (noted). A time-only stamp takes its date from the nearest line
of the same paste that has one (± 12 h, so midnight is crossed correctly); with an offset
that gives `ts`, without one `wall`. When no line has a date, the row keeps neither and the
notes say so. A zoned gateway console stamp inside the message wins for `ts`, as in the
journal parsers.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polars as pl

from moltdiag.parsers import journald_text as jt
from moltdiag.parsers.base import HEAD_BYTES, InputError, InputFile, ParsedSource
from moltdiag.parsers.openclaw_messages import classify_log_messages, parse_iso_utc
from moltdiag.schema import NAIVE_US, UTC_US, conform

FORMAT = "pasted"
# Per-row `format` of lines read here (journal lines keep journald_text's names).
ROW_FORMATS = {
    "console": "pasted-console",  # 2026-01-27T19:05:10.412Z … (zoned ISO, T, not bracketed)
    "bracketed": "pasted-bracketed-iso",  # [2026-01-27 20:05:10] …
    "datetime": "pasted-datetime",  # 2026-01-27 20:05:10,123 …
    "dated": "pasted-dated-clock",  # Jan 27, 2026 8:05:10 PM … / 1/27/2026, 8:05:10 PM …
    "tod": "pasted-time-only",  # 12:53:14+01:00 … / 8:05:10 PM …
    "untimed": "pasted-untimed",  # a gateway message with no stamp at all
}

_JOURNAL_MODES = tuple(jt._PARSERS)  # short, iso, full, unix, mono
_STAMPED = (*_JOURNAL_MODES, "dt", "dated", "tod")
_MONTH_ALT = "|".join(jt.MONTH_NUMBER)
_ZONE_ALT = "|".join(sorted({*jt.ZONE_OFFSETS, *jt.AMBIGUOUS_ZONES} - {"Z"}, key=len, reverse=True))
_AMPM = r"[AaPp]\.?[Mm]\.?"

# --- line forms ----------------------------------------------------------------------------

# ISO-ish date and time: console (`T`, zone, ms), launchd gateway.log, bracketed, Windows/Python.
_DT_RE = (
    r"^(?P<open>\[)?(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<hms>\d{2}:\d{2}:\d{2})(?:[.,](?P<frac>\d{1,9}))?"
    r"(?P<off>Z|[+-]\d{2}:?\d{2}| UTC| GMT)?\]?(?:\s+(?P<msg>.*))?$"
)
# A date with a month name or M/D/YYYY, a 12- or 24-hour clock, optional zone.
_DATED_RE = (
    r"^\[?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?"
    r"(?:(?P<mon>" + _MONTH_ALT + r")[a-z]*\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    r"|(?P<nm>\d{1,2})/(?P<nd>\d{1,2})/(?P<ny>\d{4})),?\s+(?:at\s+)?"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<se>\d{2}))?(?:[.,](?P<frac>\d{1,9}))?"
    r"(?:\s?(?P<ampm>" + _AMPM + r"))?"
    r"(?:\s?(?P<tz>Z|[+-]\d{2}:?\d{2}|(?:" + _ZONE_ALT + r")\b))?\]?(?:\s+[-|]\s+|:?\s+)(?P<msg>.*)$"
)
# Time only: pretty console / `openclaw logs` TTY style, 12-hour clocks.
_TOD_RE = (
    r"^\[?(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<se>\d{2})(?:[.,](?P<frac>\d{1,9}))?"
    r"(?:\s?(?P<ampm>" + _AMPM + r"))?(?P<off>Z|[+-]\d{2}:\d{2})?\]?(?:\s+(?P<msg>.*))?$"
)
_JSON_RE = r"^\{\s*\".*\}$"

# `openclaw logs` plain: `<level> <subsystem> {"subsystem":…} <message>`; bracketed `[WARN ]` levels.
_LEVEL_RE = (
    r"^(?:\[(?P<blvl>(?i:trace|debug|info|warn|warning|error|fatal))\s*\]\s+"
    r"|(?P<lvl>(?i:trace|debug|info|warn|warning|error|fatal))\s+(?:(?P<sub>[A-Za-z][\w./:-]*)\s+"
    r"\{\"(?:subsystem|module)\":[^{}]*\}\s+)?)(?P<msg>.*)$"
)
_LEVELS = {"trace": "debug", "silly": "debug", "debug": "debug", "info": "info", "warn": "warn",
           "warning": "warn", "error": "error", "fatal": "fatal"}

# Elisions beyond journald_text.GAP_RE: `… 2483 more lines`, `[37 lines omitted]`, grep's `--`.
_GAP_EXTRA_RE = (
    r"(?i)^(?:--|(?:\.{3}|…)\s*[\[(]?\s*\d+\s+(?:more\s+|similar\s+|identical\s+|other\s+)?"
    r"(?:lines?|entries|messages|times|occurrences)\b.*"
    r"|\[?\s*\d+\s+(?:more\s+)?(?:lines?|entries|messages)\s+(?:omitted|skipped|removed|truncated|elided)\s*\]?"
    r"|[\[(]\s*repeats?\b[^\])]*[\])])$"
)


def _scoped(pattern: str) -> str:
    """`(?i)X` → `(?i:X)`, so the pattern can sit inside an alternation (Python re needs it)."""
    return f"(?i:{pattern[4:]})" if pattern.startswith("(?i)") else f"(?:{pattern})"


_GAP_RE = f"{_scoped(jt.GAP_RE)}|{_scoped(_GAP_EXTRA_RE)}"
_FENCE_RE = r"^(?:`{3,}|~{3,})"

# Wrappers. Removed only where a stamp (or a JSON record) is then at the start of the line.
_QUOTE_RE = r"^\s{0,3}(?:>[ \t]?)+"
_BULLET_RE = r"^(?:[-*+•]|\d{1,3}[.)])\s+"
# Each is tried on its own (the first that leaves a stamp wins): `gateway.log-2026-01-27T…` is the file
# name of `grep` over several files without -n, `gateway.log-124-2026-…` a context line with -n.
_PREFIXES = (
    r"^\d+[:-]\s?",  # grep -n (`123:` match, `123-` context)
    r"^(?:[A-Za-z]:)?[^\s:]*[^\s:\d]:\d+:\s?",  # file:line: (grep -n over several files, editors)
    r"^(?:[A-Za-z]:)?[^\s:]*\.(?:log|txt|out|err|jsonl)(?:\.\d+)?-\d+-\s?",  # file-line- (context line)
    r"^\s*\d+(?:\t|\s{1,8})",  # nl, cat -n, line numbers typed by hand
    r"^(?:[A-Za-z]:)?[^\s:]+\.(?:log|txt|out|err|jsonl)(?:\.\d+)?[:-]",  # grep over several files, no -n
)
_CONSOLE_TAG_RE = r"^\[[\w/:.@-]{1,40}\] \S"
_FRAME_RE = r"^at (?:async )?\S.*(?:\(.*:\d+:\d+\)|:\d+:\d+)$"
_LOG_FILE_DATE_RE = r"^Log file: .*(?:clawdbot|moltbot|openclaw)-(\d{4}-\d{2}-\d{2})\.log\s*$"
_TOOL_HEADER_RE = r"^(?:Log file: \S.*|🦞 (?:OpenClaw|Clawdbot|Moltbot) \S.*)$"

# Unparsed reasons (first match wins; `outside` = a Markdown file's prose outside code blocks).
_REASONS: list[tuple[str, str]] = [
    ("shell command, prompt or comment", r"^(?:\$|%|#|PS [^>]*>|[\w.-]+@[\w.-]+[^\s]*\s*[$#%])\s+\S"),
    ("markdown heading, rule, table or HTML", r"^(?:#{1,6}\s|-{3,}$|\*{3,}$|_{3,}$|\|.*\|$|<[/!]?[A-Za-z][^>]*>)"),
]

_STRIP_NAMES = re.compile(r"\(\?P<\w+>")


def _unnamed(pattern: str) -> str:
    return _STRIP_NAMES.sub("(?:", pattern)


# Any stamped (or JSON) line start, without group names, for the unwrapping test.
_ANY_LINE_RE = "|".join(
    f"(?:{_unnamed(p)})" for p in (*jt._LINE_RE.values(), _DT_RE, _DATED_RE, _TOD_RE, _JSON_RE)
)

# --- helpers ---------------------------------------------------------------------------------


def _g(name: str) -> pl.Expr:
    return pl.col("_g").struct.field(name)


def _frac6(frac: pl.Expr) -> pl.Expr:
    return (frac.fill_null("") + "000000").str.slice(0, 6)


def _off_minutes(off: pl.Expr) -> pl.Expr:
    """`+01:00`/`-0700`/`Z`/` UTC` → minutes east of UTC."""
    o = off.str.strip_chars().str.replace(r"^(?:Z|UTC|GMT)$", "+00:00").str.replace(r"^([+-]\d{2})(\d{2})$", "$1:$2")
    sign = pl.when(o.str.starts_with("-")).then(-1).otherwise(1)
    return sign * (o.str.slice(1, 2).cast(pl.Int64, strict=False) * 60 + o.str.slice(4, 2).cast(pl.Int64, strict=False))


def _norm_off(off: pl.Expr) -> pl.Expr:
    o = off.str.strip_chars().str.replace(r"^(?:Z|UTC|GMT)$", "+00:00")
    return o.str.replace(r"^([+-]\d{2})(\d{2})$", "$1:$2")


def _hour24(h: pl.Expr, ampm: pl.Expr) -> pl.Expr:
    """12-hour clock → 24-hour; an hour the clock cannot show (13 PM, 0 AM) → null."""
    hour = h.cast(pl.Int64, strict=False)
    pm = ampm.str.to_lowercase().str.starts_with("p")
    return (
        pl.when(ampm.is_null()).then(hour)
        .when((hour < 1) | (hour > 12)).then(pl.lit(None, dtype=pl.Int64))
        .when(pm & (hour < 12)).then(hour + 12)
        .when(~pm & (hour == 12)).then(pl.lit(0, dtype=pl.Int64))
        .otherwise(hour)
    )


def _hms(h: pl.Expr, mi: pl.Expr, se: pl.Expr, frac: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        h.cast(pl.String).str.zfill(2), pl.lit(":"), mi, pl.lit(":"), se.fill_null("00"), pl.lit("."), _frac6(frac)
    )


def _to_naive(s: pl.Expr) -> pl.Expr:
    return s.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").cast(NAIVE_US)


_WORK = {
    "line": pl.Int64, "raw": pl.String, "c": pl.String, "cls": pl.String, "indented": pl.Boolean,
    "in_fence": pl.Boolean, "wrap": pl.String, "format": pl.String, "host": pl.String, "ident": pl.String,
    "pid": pl.Int64, "level": pl.String, "subsystem": pl.String, "text": pl.String, "ts": UTC_US,
    "ts_note": pl.String, "_wall_str": pl.String, "wall_has_year": pl.Boolean, "_md": pl.String,
    "_mon": pl.Int32, "_tod": pl.String, "_tod_off": pl.String, "_bad_stamp": pl.Boolean,
}


def _work(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        [(pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t)).alias(c) for c, t in _WORK.items()]
    )


# --- normalisation -----------------------------------------------------------------------------


def _normalise(lines: pl.DataFrame) -> pl.DataFrame:
    """raw → `c` (the line without wrappers), `wrap`, `indented`, `cls` (line form)."""
    s0 = (
        pl.col("raw").str.replace_all(r"[\u00a0\u2007\u202f\t]", " ")
        .str.replace_all(r"[\u200b\u200e\u200f\ufeff]", "")
        .str.replace_all(jt._HEADER_ANSI_RE, "").str.replace_all("\x1b", "")
    )
    df = lines.with_columns(_q=s0.str.contains(_QUOTE_RE), _s1=s0.str.replace(_QUOTE_RE, ""))
    s1 = pl.col("_s1")
    df = df.with_columns(
        indented=s1.str.contains(r"^\s+\S"),
        _s=s1.str.strip_chars(),
    ).filter(pl.col("_s") != "")

    s = pl.col("_s")
    bare = s.str.replace(_BULLET_RE, "")
    cands = [(s, None)] + [(s.str.replace(p, ""), "prefix") for p in _PREFIXES] + [(bare, "bullet")]
    cands += [(bare.str.replace(p, ""), "bullet+prefix") for p in _PREFIXES]

    def usable(e: pl.Expr) -> pl.Expr:
        return e.str.contains(_ANY_LINE_RE) | e.str.contains(_GAP_RE)

    c_expr = wrap_expr = None
    for cand, label in cands:
        cond = usable(cand)
        c_expr = pl.when(cond).then(cand) if c_expr is None else c_expr.when(cond).then(cand)
        lit = pl.lit(label, dtype=pl.String)
        wrap_expr = pl.when(cond).then(lit) if wrap_expr is None else wrap_expr.when(cond).then(lit)
    df = df.with_columns(c=c_expr.otherwise(s), wrap=wrap_expr.otherwise(pl.lit(None, dtype=pl.String)))
    df = df.with_columns(
        wrap=pl.when(pl.col("_q")).then(pl.concat_str(pl.lit("quote"), pl.lit("+") + pl.col("wrap"), ignore_nulls=True))
        .otherwise(pl.col("wrap"))
    )

    c = pl.col("c")
    fence = c.str.contains(_FENCE_RE)
    cls = pl.when(fence).then(pl.lit("fence")).when(c.str.contains(_GAP_RE)).then(pl.lit("gap"))
    cls = cls.when(c.str.contains(jt.MARKER_RE)).then(pl.lit("marker"))
    for mode in _JOURNAL_MODES:
        cls = cls.when(c.str.contains(jt._LINE_RE[mode])).then(pl.lit(mode))
    cls = (
        cls.when(c.str.contains(_DT_RE)).then(pl.lit("dt"))
        .when(c.str.contains(_DATED_RE)).then(pl.lit("dated"))
        .when(c.str.contains(_TOD_RE)).then(pl.lit("tod"))
        .when(c.str.contains(_JSON_RE)).then(pl.lit("json"))
        .otherwise(pl.lit("nostamp"))
    )
    df = df.with_columns(cls=cls, _fence=fence)
    # Inside a fenced block: an odd number of fences above.
    df = df.with_columns(in_fence=(pl.col("_fence").cast(pl.Int64).cum_sum() % 2 == 1) & ~pl.col("_fence"))
    return df.drop("_q", "_s1", "_s", "_fence")


# --- stamp extraction, one form at a time ----------------------------------------------------


def _journal(df: pl.DataFrame, mode: str) -> pl.DataFrame:
    out = jt._PARSERS[mode](df.with_columns(clean=pl.col("c")))
    return _work(out)


def _with_level(df: pl.DataFrame) -> pl.DataFrame:
    """Split `info gateway/channels/discord {"subsystem":…} msg` / `[WARN ] msg` off `text`."""
    parts = pl.col("text").str.extract_groups(_LEVEL_RE)
    df = df.with_columns(_l=parts)
    lvl = pl.coalesce(pl.col("_l").struct.field("blvl"), pl.col("_l").struct.field("lvl")).str.to_lowercase()
    return df.with_columns(
        level=lvl.replace_strict(_LEVELS, default=None, return_dtype=pl.String),
        subsystem=pl.col("_l").struct.field("sub"),
        text=pl.when(lvl.is_not_null()).then(pl.col("_l").struct.field("msg")).otherwise(pl.col("text")),
    ).drop("_l")


def _dt(df: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(_g=pl.col("c").str.extract_groups(_DT_RE))
    off = _g("off")
    stamp = pl.concat_str(_g("date"), pl.lit(" "), _g("hms"), pl.lit("."), _frac6(_g("frac")))
    bracketed = _g("open").is_not_null()
    console = ~bracketed & (_g("sep") == "T") & off.is_not_null()
    zone_note = pl.when(_norm_off(off) == "+00:00").then(pl.lit("(UTC)")).otherwise(
        pl.lit("(offset ") + _norm_off(off) + pl.lit(")"))
    df = df.with_columns(
        format=pl.when(bracketed).then(pl.lit(ROW_FORMATS["bracketed"]))
        .when(console).then(pl.lit(ROW_FORMATS["console"])).otherwise(pl.lit(ROW_FORMATS["datetime"])),
        text=_g("msg").fill_null(""),
        ts=pl.when(off.is_not_null()).then(parse_iso_utc(pl.concat_str(stamp, _norm_off(off)))),
        ts_note=pl.when(off.is_not_null() & console).then(pl.lit("gateway console stamp ") + zone_note)
        .when(off.is_not_null()).then(pl.lit("pasted stamp ") + zone_note)
        .otherwise(pl.lit("pasted stamp without zone; local wall clock, year known")),
        _wall_str=pl.when(off.is_null()).then(stamp),
        wall_has_year=pl.when(off.is_null()).then(pl.lit(True)),
    )
    df = df.with_columns(
        _bad_stamp=pl.when(off.is_not_null()).then(pl.col("ts").is_null()).otherwise(_to_naive(stamp).is_null())
    )
    return _work(_with_level(df.drop("_g")))


def _dated(df: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(_g=pl.col("c").str.extract_groups(_DATED_RE))
    mon_name = _g("mon").replace_strict(jt.MONTH_NUMBER, default=None, return_dtype=pl.Int64)
    nm, nd = _g("nm").cast(pl.Int64, strict=False), _g("nd").cast(pl.Int64, strict=False)
    # M/D/YYYY (US, and every 12-hour locale); D/M/YYYY only when the first number cannot be a month.
    dmy = nm > 12
    month = pl.coalesce(mon_name, pl.when(dmy).then(nd).otherwise(nm))
    day = pl.coalesce(_g("day").cast(pl.Int64, strict=False), pl.when(dmy).then(nm).otherwise(nd))
    year = pl.coalesce(_g("year"), _g("ny"))
    hour = _hour24(_g("h"), _g("ampm"))
    stamp = pl.concat_str(year, pl.lit("-"), month.cast(pl.String).str.zfill(2), pl.lit("-"),
                          day.cast(pl.String).str.zfill(2), pl.lit(" "), _hms(hour, _g("mi"), _g("se"), _g("frac")))
    tz = _g("tz")
    numeric = pl.when(tz.str.contains(r"^(?:Z|[+-]\d)")).then(_norm_off(tz))
    off = pl.coalesce(tz.replace_strict(jt.ZONE_OFFSETS, default=None, return_dtype=pl.String), numeric)
    clock = pl.when(_g("ampm").is_not_null()).then(pl.lit("12-hour clock")).otherwise(pl.lit("24-hour clock"))
    df = df.with_columns(
        format=pl.lit(ROW_FORMATS["dated"]),
        text=_g("msg").fill_null(""),
        ts=pl.when(off.is_not_null()).then(parse_iso_utc(pl.concat_str(stamp, off))),
        ts_note=pl.when(off.is_not_null()).then(pl.concat_str(pl.lit("pasted date with "), clock, pl.lit(", zone "),
                                                               tz, pl.lit(" = "), off))
        .otherwise(pl.concat_str(pl.lit("pasted date with "), clock,
                                 pl.when(tz.is_not_null()).then(pl.lit(", zone ") + tz + pl.lit(" not known"))
                                 .otherwise(pl.lit("")), pl.lit("; local wall clock, year known"))),
        _wall_str=pl.when(off.is_null()).then(stamp),
        wall_has_year=pl.when(off.is_null()).then(pl.lit(True)),
    )
    df = df.with_columns(_bad_stamp=_to_naive(stamp).is_null())
    return _work(_with_level(df.drop("_g")))


def _tod(df: pl.DataFrame) -> pl.DataFrame:
    df = df.with_columns(_g=pl.col("c").str.extract_groups(_TOD_RE))
    hour = _hour24(_g("h"), _g("ampm"))
    tod = _hms(hour, _g("mi"), _g("se"), _g("frac"))
    df = df.with_columns(
        format=pl.lit(ROW_FORMATS["tod"]),
        text=_g("msg").fill_null(""),
        _tod=tod,
        _tod_off=_norm_off(_g("off")),
        _bad_stamp=_to_naive(pl.lit("2000-01-01 ") + tod).is_null(),
    )
    return _work(_with_level(df.drop("_g")))


def _json(df: pl.DataFrame, source: str) -> pl.DataFrame | None:
    """JSON file-log records (grep'ed out of /tmp/openclaw/*.log): the file-log parser reads them."""
    try:
        from moltdiag.parsers import openclaw_file_log
    except ImportError:  # pragma: no cover - the module ships with moltdiag
        return None
    data = "\n".join(df["c"].to_list()).encode()
    parsed = openclaw_file_log.parse(InputFile(name=source, data=data))
    ev = parsed.events.sort("line")
    if ev.height != df.height:
        return None
    return ev.with_columns(line=df["line"].sort())


# --- parse -------------------------------------------------------------------------------------


def _nearest(has: pl.Expr, value: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Value, line and direction (True = before) of the nearest row where `has` holds; before wins a tie."""
    prev_v, prev_l = pl.when(has).then(value).forward_fill(), pl.when(has).then(pl.col("line")).forward_fill()
    next_v, next_l = pl.when(has).then(value).backward_fill(), pl.when(has).then(pl.col("line")).backward_fill()
    use_prev = prev_l.is_not_null() & (next_l.is_null() | (pl.col("line") - prev_l <= next_l - pl.col("line")))
    return (pl.when(use_prev).then(prev_v).otherwise(next_v), pl.when(use_prev).then(prev_l).otherwise(next_l),
            use_prev)


_HALF_DAY = 43_200


def _place(ref: pl.Expr, tod: pl.Expr) -> pl.Expr:
    """The time of day `tod` on the date that puts it within 12 h of the naive datetime `ref`."""
    cand = _to_naive(pl.concat_str(ref.dt.strftime("%Y-%m-%d"), pl.lit(" "), tod))
    half, day = pl.duration(hours=12), pl.duration(days=1)
    return pl.when(cand - ref > half).then(cand - day).when(ref - cand > half).then(cand + day).otherwise(cand)


def _anchored(work: pl.DataFrame, name: str, has: pl.Expr, value: pl.Expr) -> pl.DataFrame:
    """Date every time-only row from its nearest anchor row (`has`), chaining through the run of
    time-only rows between them: `_di` counts the days the clock wrapped since the first one, so the
    row next to the anchor is placed within 12 h of it and the others follow it day by day.
    Adds `{name}` (naive local datetime of the row, or null) and `{name}_line` (the anchor's line)."""
    v, line, before = _nearest(has, value)
    work = work.with_columns(_av=v, **{f"{name}_line": line}, _before=before)
    look = work.select(
        pl.col("line").alias(f"{name}_line"), _adj_di_f=pl.col("_di_f"), _adj_di_b=pl.col("_di_b"),
        _adj_tod_f=pl.col("_tod_f"), _adj_tod_b=pl.col("_tod_b"),
    )
    work = work.join(look, on=f"{name}_line", how="left", maintain_order="left")
    # The time-only row next to the anchor: the first after it, or the last before it.
    adj_di = pl.when(pl.col("_before")).then(pl.col("_adj_di_b")).otherwise(pl.col("_adj_di_f"))
    adj_tod = pl.when(pl.col("_before")).then(pl.col("_adj_tod_b")).otherwise(pl.col("_adj_tod_f"))
    adj = _place(pl.col("_av"), adj_tod) + pl.duration(days=pl.col("_di") - adj_di)
    return work.with_columns(
        **{name: _to_naive(pl.concat_str(adj.dt.strftime("%Y-%m-%d"), pl.lit(" "), pl.col("_tod")))}
    ).drop("_av", "_before", "_adj_di_f", "_adj_di_b", "_adj_tod_f", "_adj_tod_b")


def _date_time_only(work: pl.DataFrame) -> pl.DataFrame:
    """Time-only stamps take the date of the nearest line that has one (see `_anchored`)."""
    is_tod = pl.col("cls") == "tod"
    tod = is_tod & pl.col("ts").is_null()
    if not work.select(tod.any()).item():
        return work
    sec = (pl.col("_tod").str.slice(0, 2).cast(pl.Int64) * 3600 + pl.col("_tod").str.slice(3, 2).cast(pl.Int64) * 60
           + pl.col("_tod").str.slice(6, 2).cast(pl.Int64))
    runs = work.filter(is_tod).select("line", _sec=sec).with_columns(
        _di=pl.when(pl.col("_sec") < pl.col("_sec").shift(1) - _HALF_DAY).then(1)
        .when(pl.col("_sec") > pl.col("_sec").shift(1) + _HALF_DAY).then(-1).otherwise(0).cum_sum()
    )
    work = work.join(runs.select("line", "_di"), on="line", how="left", maintain_order="left").with_columns(
        _di_f=pl.col("_di").forward_fill(), _di_b=pl.col("_di").backward_fill(),
        _tod_f=pl.when(is_tod).then(pl.col("_tod")).forward_fill(),
        _tod_b=pl.when(is_tod).then(pl.col("_tod")).backward_fill(),
        _off=_off_minutes(pl.col("_tod_off")),
    )
    not_tod = ~is_tod
    # Anchors: a UTC instant (in the row's own offset), a dated wall clock, any wall clock; the date in
    # a `Log file: …-YYYY-MM-DD.log` header counts as noon of that day.
    walls = pl.coalesce(pl.col("wall"), pl.col("_hdr_date"))
    year_known = pl.when(pl.col("wall").is_not_null()).then(pl.col("wall_has_year").fill_null(False)) \
        .otherwise(pl.col("_hdr_date").is_not_null())
    utc_naive = pl.col("ts").dt.replace_time_zone(None).cast(NAIVE_US)
    work = _anchored(work, "_by_ts", not_tod & pl.col("ts").is_not_null(),
                     utc_naive + pl.duration(minutes=pl.col("_off").fill_null(0)))
    work = _anchored(work, "_by_year", not_tod & walls.is_not_null() & year_known, walls)
    work = _anchored(work, "_by_wall", not_tod & walls.is_not_null(), walls)
    work = work.with_columns(_wall_year=_nearest(not_tod & walls.is_not_null(), year_known)[0])

    has_off = pl.col("_tod_off").is_not_null()
    to_utc = pl.duration(minutes=pl.col("_off"))
    off_txt = pl.col("_tod_off")
    by_ts, by_year, by_wall = (pl.col(n).is_not_null() for n in ("_by_ts", "_by_year", "_by_wall"))
    work = work.with_columns(
        ts=pl.when(tod & has_off & by_ts).then((pl.col("_by_ts") - to_utc).dt.replace_time_zone("UTC"))
        .when(tod & has_off & by_year).then((pl.col("_by_year") - to_utc).dt.replace_time_zone("UTC"))
        .otherwise(pl.col("ts")).cast(UTC_US),
        wall=pl.when(tod & ~has_off & by_wall).then(pl.col("_by_wall"))
        .when(tod & ~has_off & by_ts).then(pl.col("_by_ts"))
        .otherwise(pl.col("wall")),
        wall_has_year=pl.when(tod & ~has_off & by_wall).then(pl.col("_wall_year"))
        .when(tod & ~has_off & by_ts).then(pl.lit(True))
        .otherwise(pl.col("wall_has_year")),
        ts_note=pl.when(tod & has_off & by_ts)
        .then(pl.format("time-only stamp with offset {}; date from line {}", off_txt, pl.col("_by_ts_line")))
        .when(tod & has_off & by_year)
        .then(pl.format("time-only stamp with offset {}; date from the wall clock of line {}", off_txt,
                        pl.col("_by_year_line")))
        .when(tod & ~has_off & by_wall)
        .then(pl.format("time-only stamp, zone not stated; date from line {}", pl.col("_by_wall_line")))
        .when(tod & ~has_off & by_ts)
        .then(pl.format("time-only stamp, zone not stated; date from line {} (its UTC date)", pl.col("_by_ts_line")))
        .when(tod).then(pl.concat_str(pl.lit("time-only stamp "), pl.col("_tod").str.slice(0, 8), off_txt.fill_null(""),
                                      pl.lit("; no line in the paste has a date")))
        .otherwise(pl.col("ts_note")),
    )
    return work.drop("_di", "_di_f", "_di_b", "_tod_f", "_tod_b", "_off", "_by_ts", "_by_ts_line", "_by_year",
                     "_by_year_line", "_by_wall", "_by_wall_line", "_wall_year")


def _year_from_neighbours(work: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Journal `short` stamps (no year) in a paste that also has dated wall clocks: nearest one's year."""
    short = pl.col("_md").is_not_null() & pl.col("wall").is_not_null() & ~pl.col("wall_has_year").fill_null(False)
    ref_ok = pl.col("wall").is_not_null() & pl.col("wall_has_year").fill_null(False)
    if not work.select(short.any() & ref_ok.any()).item():
        return work, 0
    ref, ref_line, _ = _nearest(ref_ok, pl.col("wall"))
    work = work.with_columns(_ref=ref, _ref_line=ref_line)
    y = pl.col("_ref").dt.year()
    cands = [_to_naive(pl.concat_str((y + k).cast(pl.String), pl.lit("-"), pl.col("_md"))) for k in (-1, 0, 1)]
    far = pl.duration(days=10_000)
    dist = [(c - pl.col("_ref")).abs().fill_null(far) for c in cands]
    best = (pl.when((dist[1] <= dist[0]) & (dist[1] <= dist[2])).then(cands[1])
            .when(dist[0] <= dist[2]).then(cands[0]).otherwise(cands[2]))
    n = int(work.select(short.sum()).item())
    work = work.with_columns(
        wall=pl.when(short).then(best).otherwise(pl.col("wall")),
        ts_note=pl.when(short).then(pl.col("ts_note") + pl.format("; year from line {}", pl.col("_ref_line")))
        .otherwise(pl.col("ts_note")),
        wall_has_year=pl.when(short).then(pl.lit(True)).otherwise(pl.col("wall_has_year")),
    ).drop("_ref", "_ref_line")
    return work, n


def _shown(lines: list[int]) -> str:
    return ", ".join(str(n) for n in lines[:5]) + (", …" if len(lines) > 5 else "")


def parse(source: InputFile) -> ParsedSource:
    if b"\x00" in source.data[:HEAD_BYTES]:
        raise InputError(f"{source.name}: binary data, not a pasted log excerpt")
    lines, n_lines, notes = jt.decode_lines(source.data)
    markdown = Path(source.name).suffix.lower() in (".md", ".markdown")
    df = _normalise(lines)

    parts: list[pl.DataFrame] = []
    present = set(df["cls"].unique().to_list()) if df.height else set()
    for mode in _JOURNAL_MODES:
        if mode in present:
            parts.append(_journal(df.filter(pl.col("cls") == mode), mode))
    for cls, fn in (("dt", _dt), ("dated", _dated), ("tod", _tod)):
        if cls in present:
            parts.append(fn(df.filter(pl.col("cls") == cls)))
    json_events = None
    if "json" in present:
        json_rows = df.filter(pl.col("cls") == "json")
        json_events = _json(json_rows, source.name)
        if json_events is None:  # not readable as a file log: treat as lines without a stamp
            df = df.with_columns(cls=pl.when(pl.col("cls") == "json").then(pl.lit("nostamp")).otherwise(pl.col("cls")))
    rest = df.filter(~pl.col("cls").is_in([*_STAMPED, "json"]))
    parts.append(_work(rest))
    work = pl.concat(parts, how="vertical").sort("line")

    # A stamp that names no real date or time (Feb 30, 13 PM) is unparsed.
    bad = pl.col("_bad_stamp").fill_null(False)
    n_bad = work.filter(bad)["line"].to_list()
    work = work.with_columns(cls=pl.when(bad).then(pl.lit("bad")).otherwise(pl.col("cls")))

    # Journal `short` year placeholders, as journald_text: +1 per Dec → Jan step.
    prev_mon = pl.col("_mon").forward_fill().shift(1)
    rollover = (pl.col("_mon") < prev_mon).fill_null(False)
    year = jt.PLACEHOLDER_YEAR + rollover.cast(pl.Int64).cum_sum()
    work = work.with_columns(
        _wall_str=pl.coalesce(pl.col("_wall_str"), pl.when(pl.col("_md").is_not_null()).then(
            pl.concat_str(year.cast(pl.String), pl.lit("-"), pl.col("_md")))),
        wall_has_year=pl.when(pl.col("_md").is_not_null()).then(pl.lit(False)).otherwise(pl.col("wall_has_year")),
    ).with_columns(wall=_to_naive(pl.col("_wall_str")))
    rollovers = int(work.select(rollover.sum()).item()) if work.height else 0

    # Continuation lines: indented (or stack frames) right under an event, nothing else between.
    klass = pl.col("cls")
    stamped = klass.is_in(list(_STAMPED))
    under = (klass == "nostamp") & (pl.col("indented") | pl.col("c").str.contains(_FRAME_RE))
    work = work.with_columns(_entry=stamped.cast(pl.Int64).cum_sum())
    work = work.with_columns(_broken=(~stamped & ~under).cast(pl.Int64).cum_sum().over("_entry"))
    work = work.with_columns(
        cls=pl.when(under & (pl.col("_entry") > 0) & (pl.col("_broken") == 0)).then(pl.lit("cont")).otherwise(klass)
    )
    # A line without a stamp between two stamped lines is console output without a prefix (`Disconnecting.`).
    line = pl.col("line")
    work = work.with_columns(
        _sandwiched=(klass == "nostamp")
        & (klass.shift(1).is_in([*_STAMPED, "cont"]) & (line.shift(1) == line - 1)).fill_null(False)
        & (klass.shift(-1).is_in(list(_STAMPED)) & (line.shift(-1) == line + 1)).fill_null(False)
    )
    # A bullet before a console-tagged line without a stamp (`- [discord] client initialized …`).
    unbulleted = pl.col("c").str.replace(_BULLET_RE, "")
    tagged = (klass == "nostamp") & unbulleted.str.contains(_CONSOLE_TAG_RE)
    work = work.with_columns(
        text=pl.when(tagged).then(unbulleted).when(klass.is_in(["cont", "nostamp"])).then(pl.col("c"))
        .otherwise(pl.col("text")),
        _tagged=tagged,
        # `Log file: /tmp/openclaw/openclaw-2026-02-01.log` dates time-only stamps below it.
        _hdr_date=_to_naive(pl.col("c").str.extract(_LOG_FILE_DATE_RE, 1) + pl.lit(" 12:00:00")),
    )

    # Every message row through the shared classifier; a zoned console stamp in the message wins.
    is_msg = klass.is_in([*_STAMPED, "cont", "nostamp"])
    msgs = work.filter(is_msg).with_columns(
        channel=pl.lit(None, dtype=pl.String), session_key=pl.lit(None, dtype=pl.String),
        session_id=pl.lit(None, dtype=pl.String),
    )
    msgs = msgs.with_columns(_emb_note=jt._embedded_note(pl.col("text").str.replace_all(jt._HEADER_ANSI_RE, "")))
    msgs = classify_log_messages(msgs)
    emb = pl.col("embedded_ts")
    msgs = msgs.with_columns(
        ts=pl.coalesce(emb, pl.col("ts")),
        ts_note=pl.when(emb.is_not_null()).then(pl.col("_emb_note")).otherwise(pl.col("ts_note")),
    ).drop("embedded_ts", "_emb_note")

    msgs = _date_time_only(msgs)
    msgs, n_year = _year_from_neighbours(msgs)

    # Continuations take their entry's time and header.
    cont = klass == "cont"
    if msgs.select(cont.any()).item():
        inherit = ["format", "host", "ident", "pid", "wall", "wall_has_year", "ts", "ts_note", "level"]
        msgs = msgs.with_columns(
            **{c: pl.when(cont).then(pl.col(c).first().over("_entry")).otherwise(pl.col(c)) for c in inherit}
        )
    # No stamp at all: a gateway message (known kind or console tag) is an event without a time.
    # Not a Markdown file's prose, not a narrative bullet or a sentence quoting code.
    narrative = (
        (pl.lit(markdown) & ~pl.col("in_fence"))
        | pl.col("c").str.contains(r"`|\*\*")
        | (pl.col("c").str.contains(_BULLET_RE) & ~pl.col("_tagged"))
    )
    reasoned = pl.any_horizontal([pl.col("c").str.contains(p) for _, p in _REASONS])
    untimed_event = (klass == "nostamp") & ~narrative & ~reasoned & (
        (pl.col("kind") != "other") | pl.col("_tagged") | pl.col("_sandwiched")
    )
    # A tool's own header (`Log file: …` of `openclaw logs`, the CLI banner): kind other, not an event.
    header = (klass == "nostamp") & pl.col("c").str.contains(_TOOL_HEADER_RE)
    msgs = msgs.with_columns(
        format=pl.when(header).then(pl.lit(FORMAT)).when(untimed_event).then(pl.lit(ROW_FORMATS["untimed"]))
        .otherwise(pl.col("format")),
        ts_note=pl.when(untimed_event & ~header).then(pl.lit("no timestamp on this line")).otherwise(pl.col("ts_note")),
        kind=pl.when(header).then(pl.lit("other")).otherwise(pl.col("kind")),
        text=pl.when(header).then(pl.col("c")).otherwise(pl.col("text")),
        subsystem=pl.when(header).then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("subsystem")),
        cls=pl.when(header).then(pl.lit("header")).when(untimed_event).then(pl.lit("untimed")).otherwise(klass),
    )
    prose = msgs.filter(pl.col("cls") == "nostamp").select(_WORK.keys())
    msgs = msgs.filter(pl.col("cls") != "nostamp")

    # Rows that are not messages: fences and journal markers `other`, elisions `gap`, the rest unparsed.
    others = pl.concat([_work(work.filter(~is_msg)), _work(prose)], how="vertical").sort("line")
    reason = pl.lit(None, dtype=pl.String)
    c = pl.col("c")
    for name, pattern in _REASONS:
        reason = pl.when(reason.is_null() & c.str.contains(pattern)).then(pl.lit(name)).otherwise(reason)
    outside = pl.lit(markdown) & ~pl.col("in_fence")
    reason = (
        pl.when(klass == "bad").then(pl.lit("a timestamp that names no real date or time"))
        .when(reason.is_not_null()).then(reason)
        .when(outside).then(pl.lit("prose outside code blocks"))
        .otherwise(pl.lit("no timestamp and not a gateway message (prose or a cut line)"))
    )
    others = others.with_columns(
        kind=pl.when(klass.is_in(["fence", "marker"])).then(pl.lit("other"))
        .when(klass == "gap").then(pl.lit("gap")).otherwise(pl.lit("unparsed")),
        _reason=pl.when(klass.is_in(["fence", "marker", "gap"])).then(pl.lit(None, dtype=pl.String)).otherwise(reason),
        text=pl.when(klass.is_in(["gap", "marker", "fence"])).then(c).otherwise(pl.col("raw")),
        format=pl.lit(FORMAT),
        host=pl.lit(None, dtype=pl.String), ident=pl.lit(None, dtype=pl.String), pid=pl.lit(None, dtype=pl.Int64),
        level=pl.lit(None, dtype=pl.String), subsystem=pl.lit(None, dtype=pl.String),
        ts=pl.lit(None, dtype=UTC_US), ts_note=pl.lit(None, dtype=pl.String),
        wall=pl.lit(None, dtype=NAIVE_US), wall_has_year=pl.lit(None, dtype=pl.Boolean),
    )

    frames = [conform(msgs), conform(others)]
    if json_events is not None:
        frames.append(conform(json_events))
    events = pl.concat(frames, how="vertical").sort("line", maintain_order=True)
    events = events.with_columns(
        source=pl.lit(source.name, dtype=pl.Categorical()),
        wall_has_year=pl.when(pl.col("wall").is_not_null()).then(pl.col("wall_has_year")),
    )

    # --- notes ---
    wraps = Counter(w for w in work["wrap"].to_list() if w)
    if wraps:
        notes.append("wrappers removed: " + ", ".join(f"{n} {w}" for w, n in sorted(wraps.items())))
    n_fence = others.filter(klass == "fence").height
    if n_fence:
        notes.append(f"{n_fence} code fence line(s) ignored (kind other)")
    gaps = others.filter(klass == "gap")["line"].to_list()
    if gaps:
        notes.append(f"{len(gaps)} elision marker(s) kept as gaps (line {_shown(gaps)})")
    counts = Counter()
    where: dict[str, list[int]] = {}
    for line, why in others.filter(pl.col("_reason").is_not_null()).select("line", "_reason").iter_rows():
        counts[why] += 1
        where.setdefault(why, []).append(line)
    if counts:
        total = sum(counts.values())
        notes.append(f"{total} line(s) unparsed: " + "; ".join(
            f"{n} {why} (line {_shown(where[why])})" for why, n in counts.most_common()))
    if json_events is not None:
        notes.append(f"{json_events.height} JSON file-log record(s) read with the file-log parser")
    untimed = msgs.filter(pl.col("cls") == "untimed")["line"].to_list()
    if untimed:
        notes.append(f"{len(untimed)} gateway message(s) without any timestamp (line {_shown(untimed)}): "
                     "time left to the correlator (neighbouring lines)")
    tods = msgs.filter(pl.col("cls") == "tod")
    if tods.height:
        dated = tods.filter(pl.col("ts").is_not_null() | pl.col("wall").is_not_null()).height
        if dated:
            notes.append(f"{dated} time-only stamp(s) dated from the nearest line with a date (± 12 h)")
        if tods.height - dated:
            notes.append(f"{tods.height - dated} time-only stamp(s) but no line in the paste has a date: "
                         "left untimed for the correlator (neighbouring inputs)")
    if n_year:
        notes.append(f"{n_year} journal `short` stamp(s): year taken from the nearest dated line of the paste")
    elif work.filter(pl.col("_md").is_not_null()).height:
        notes.append(
            "journal `short` stamps carry no year and no zone: local wall clock with placeholder year "
            f"{jt.PLACEHOLDER_YEAR}" + (f", {rollovers} year rollover(s) seen" if rollovers else "")
        )
    n_12 = work.filter(pl.col("ts_note").fill_null("").str.contains("12-hour")).height + work.filter(
        (klass == "tod") & pl.col("c").str.contains(r"(?i)^\[?\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\s?[ap]\.?m")).height
    if n_12:
        notes.append(f"{n_12} stamp(s) with a 12-hour clock converted to 24-hour")
    n_console = work.filter(pl.col("format") == ROW_FORMATS["console"]).height
    if n_console:
        notes.append(f"{n_console} gateway console line(s) (launchd gateway.log, journalctl -o cat, terminal): "
                     "times from their own stamps")
    if n_bad:
        notes.append(f"{len(n_bad)} stamp(s) name no real date or time (line {_shown(n_bad)})")

    return ParsedSource(source=source.name, format=FORMAT, events=events, lines=n_lines, notes=notes,
                        mtime=source.mtime())


# --- sniffing ----------------------------------------------------------------------------------

_PY = {name: re.compile(p) for name, p in {
    "quote": _QUOTE_RE, "bullet": _BULLET_RE, "fence": _FENCE_RE, "gap": _GAP_RE,
    "any": _ANY_LINE_RE, "dt": _DT_RE, "dated": _DATED_RE, "tod": _TOD_RE, "json": _JSON_RE,
    "ansi": jt._HEADER_ANSI_RE, "marker": jt.MARKER_RE,
}.items()}
_PY_JOURNAL = [re.compile(p) for p in jt._LINE_RE.values()]
_PY_PREFIXES = [re.compile(p) for p in _PREFIXES]
_PY_GATEWAY_MSG = re.compile(
    _CONSOLE_TAG_RE + r"|^(?:discord|telegram|whatsapp|slack|signal|imessage|gateway)(?: gateway)?(?: error)?: \S"
)


def _sniff_line(line: str) -> tuple[str | None, bool]:
    """(family, wrapped) of one head line; family None when no stamp is found."""
    s = _PY["ansi"].sub("", line)
    wrapped = bool(_PY["quote"].match(s))
    s = _PY["quote"].sub("", s, count=1).strip()
    bare = _PY["bullet"].sub("", s, count=1)
    cands = [(s, False)] + [(p.sub("", s, count=1), True) for p in _PY_PREFIXES] + [(bare, True)]
    cands += [(p.sub("", bare, count=1), True) for p in _PY_PREFIXES]
    for cand, stripped in cands:
        if not _PY["any"].match(cand):
            continue
        if any(r.match(cand) for r in _PY_JOURNAL):
            fam = "journal"
        elif _PY["dt"].match(cand):
            fam = "console" if re.match(r"^\d{4}-\d{2}-\d{2}T\S+(?:Z|[+-]\d{2}:?\d{2}) ", cand) else "other"
        elif _PY["json"].match(cand):
            fam = "json"
        else:
            fam = "other"
        return fam, wrapped or stripped
    return None, wrapped


def sniff(path: Path, head: bytes) -> float:
    if not head or b"\x00" in head:
        return 0.0
    lines = jt.head_lines(head, limit=400)
    if not lines:
        return 0.0
    fam: Counter[str] = Counter()
    wrapped = fences = in_fence_logs = json_bare = 0
    inside = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("{") or stripped.startswith("["):
            json_bare += stripped.startswith("{")
        if _PY["fence"].match(_PY["quote"].sub("", stripped, count=1).strip()):
            fences += 1
            inside = not inside
            continue
        family, was_wrapped = _sniff_line(line)
        if family is None:
            if inside and _PY_GATEWAY_MSG.match(_PY["bullet"].sub("", stripped, count=1)):
                in_fence_logs += 1  # a gateway message without a stamp inside a code block
            continue
        fam[family] += 1
        wrapped += was_wrapped
        in_fence_logs += inside
    logs = sum(fam.values())
    if json_bare * 2 >= len(lines) or (logs == 0 and in_fence_logs == 0):
        return 0.0  # JSON documents (transcripts, file logs, journal json) and plain prose
    if logs and fam["json"] == logs and not wrapped:
        return 0.0  # a file log: the file-log parser's
    if path.suffix.lower() in (".md", ".markdown"):
        return 0.97 if in_fence_logs >= 2 or (in_fence_logs and logs == in_fence_logs) else 0.0
    if wrapped or (fences and in_fence_logs):
        return 0.97
    share = logs / len(lines)
    journal_only = fam["journal"] == logs
    if journal_only:
        return 0.5  # journald_text scores a clean export 0.6 … 0.95
    if fam["journal"] and fam["journal"] < logs:
        return 0.96  # journal and console lines mixed: journald_text would leave the latter unparsed
    if fam["other"] and share >= 0.3:
        return 0.8  # bracketed, Windows, 12-hour or time-only stamps
    if fam["console"] and share >= 0.5:
        return 0.5  # console lines (launchd gateway.log, -o cat); journald_text reads them at 0.3
    return round(0.5 * share, 3)
