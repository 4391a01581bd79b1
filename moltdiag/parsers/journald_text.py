"""journalctl text output, every mode users paste: short, short-precise, short-iso,
short-iso-precise, short-full, short-unix, short-monotonic and cat (spec §8.3.3).

The mode is detected per line, so a paste that mixes modes still reads. Everything runs
as Polars expressions over the whole file: one anchored stamp regex per mode selects the
lines, one `str.extract_groups` per mode splits them, the shared OpenClaw classifier
fills the diagnostic fields. journalctl's own lines (`-- Boot … --`, `-- No entries --`)
are kind `other`, a user's elision (`[... repeated ...]`) kind `gap`, an indented line
under an entry is that entry's continuation, anything else unreadable is `unparsed`
with the raw line kept. A file with (almost) no journal stamps is read as `-o cat`.

Time contract (see schema.INTERNAL_SCHEMA):

- zone stated (short-iso*, short-unix, short-full with a known zone) → `ts` (UTC).
- zone not stated (short, short-precise, short-full with an unknown or ambiguous zone)
  → `wall` (naive local time) and `ts` null. `short` has no year either: the placeholder
  year is 2000 (a leap year), plus one for every Dec → Jan rollover inside the file, and
  `wall_has_year` is False.
- a zoned gateway console stamp inside the message (`2026-01-27T19:05:10.412Z [discord] …`)
  wins for `ts` (process clock, ms precision, the same in every mode); `wall` is kept so
  the correlator can measure the host's offset from rows that have both.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from moltdiag.parsers.base import HEAD_BYTES, InputError, InputFile, ParsedSource
from moltdiag.parsers.openclaw_messages import classify_log_messages, parse_iso_utc
from moltdiag.schema import NAIVE_US, UTC_US, conform

FORMAT = "journald-short"
FORMATS = (
    "journald-short",
    "journald-short-precise",
    "journald-short-iso",
    "journald-short-iso-precise",
    "journald-short-full",
    "journald-short-unix",
    "journald-short-monotonic",
    "journald-cat",
)

PLACEHOLDER_YEAR = 2000  # leap year, so `Feb 29` parses; +1 per rollover

# --- patterns ----------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NUMBER = {name: i + 1 for i, name in enumerate(_MONTHS)}

# `host ident[pid]: message`; host optional (--no-hostname), pid optional (`kernel:`).
# Neither host nor ident may hold `[`, `]` or `:`, which keeps `node[1]: x: y` unambiguous.
_HEAD = r"(?:(?P<host>[^\s\[\]:]+) )?(?P<ident>[^\s\[\]:]+)(?:\[(?P<pid>\d+)\])?:(?: (?P<msg>.*))?$"

_SHORT_STAMP = (
    r"(?P<mon>" + "|".join(_MONTHS) + r") {1,2}(?P<day>\d{1,2}) "
    r"(?P<hms>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
)
# Journal ISO stamps have no fraction or exactly six digits; the gateway's own console
# stamps (`….412Z`) have three, so a `-o cat` line never passes for short-iso.
_ISO_STAMP = (
    r"(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(?P<frac>\d{6}))?"
    r"(?P<off>Z|[+-]\d{2}:?\d{2}))"
)
_FULL_STAMP = (
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<date>\d{4}-\d{2}-\d{2}) (?P<hms>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<frac>\d{1,9}))? (?P<tz>[A-Za-z][A-Za-z0-9]{0,5}|[+-]\d{2}(?::?\d{2})?)"
)
_UNIX_STAMP = r"(?P<sec>\d{9,11})(?:\.(?P<frac>\d{1,9}))?"
_MONO_STAMP = r"\[\s*(?P<mono>\d+\.\d+)(?: <\s*\d+\.\d+>)?\]"

# mode → stamp regex (anchored, followed by one space). Order = detection priority.
_STAMPS: dict[str, str] = {
    "short": _SHORT_STAMP,
    "iso": _ISO_STAMP,
    "full": _FULL_STAMP,
    "unix": _UNIX_STAMP,
    "mono": _MONO_STAMP,
}
_LINE_RE = {mode: "^" + stamp + " " + _HEAD for mode, stamp in _STAMPS.items()}
_STAMP_ONLY_RE = {mode: "^" + stamp + " " for mode, stamp in _STAMPS.items()}

# journalctl's own lines: `-- Boot <id> --`, `-- No entries --`, `-- Logs begin at … --`,
# `-- Journal begins at … --`, `-- Reboot --`, `-- cursor: …`, `-x` catalog text
# (`-- Subject: …` old style, `░░ …` new style) and the notices it prints on a terminal.
MARKER_RE = (
    r"^(?:--(?: .*)?|░░.*|Hint: You are currently not seeing messages.*|\s+Users in groups '.*"
    r"|\s+Pass -q to turn off this notice.*|Warning: Journal has been rotated since unit was started.*"
    r"|No journal files were (?:found|opened).*)$"
)
# A user's elision inside a paste: `[... repeated through 20:09:38 ...]`, `...`, `<snip>` …
GAP_RE = (
    r"(?i)^\s*(?:[\[(<]\s*(?:\.{2,}|…|snip|cut|\d+ (?:more |similar )?(?:lines?|entries|messages)|"
    r"(?:lines? )?(?:omitted|removed|skipped|truncated|elided)|repeated|more)[^\])>]*[\])>]"
    r"|\.{3,}|…|-{2,} ?(?:snip|cut)\w* ?-*|(?:\.{3}|…) ?(?:snip|repeated|omitted|truncated|more)\b.*)\s*$"
)
# ANSI sequences that may sit in a journal header (escape byte, or residue with a digit).
_HEADER_ANSI_RE = r"\x1b\[[0-9;?]*[A-Za-z]|\[\d{1,3}(?:;\d{1,3})*m"
# Gateway console line, for sniffing `-o cat` output.
_CONSOLE_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}) "

# --- time zones --------------------------------------------------------------------------

# Abbreviations that name one offset in current tzdata (checked against zoneinfo, 2026).
ZONE_OFFSETS: dict[str, str] = {
    "UTC": "+00:00", "UT": "+00:00", "GMT": "+00:00", "Z": "+00:00", "WET": "+00:00", "WEST": "+01:00",
    "BST": "+01:00", "CET": "+01:00", "CEST": "+02:00", "MET": "+01:00", "MEST": "+02:00",
    "EET": "+02:00", "EEST": "+03:00", "MSK": "+03:00", "IDT": "+03:00",
    "WAT": "+01:00", "CAT": "+02:00", "SAST": "+02:00", "EAT": "+03:00",
    "PKT": "+05:00", "WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00", "HKT": "+08:00",
    "AWST": "+08:00", "JST": "+09:00", "KST": "+09:00", "ACST": "+09:30", "ACDT": "+10:30",
    "AEST": "+10:00", "AEDT": "+11:00", "ChST": "+10:00", "NZST": "+12:00", "NZDT": "+13:00",
    "EST": "-05:00", "EDT": "-04:00", "CDT": "-05:00", "MST": "-07:00", "MDT": "-06:00",
    "PST": "-08:00", "PDT": "-07:00", "AKST": "-09:00", "AKDT": "-08:00", "HST": "-10:00",
    "HDT": "-09:00", "AST": "-04:00", "ADT": "-03:00", "NST": "-03:30", "NDT": "-02:30", "SST": "-11:00",
}
# Mapped, but another zone uses the same letters: the note says which reading was taken.
ZONE_CAVEATS: dict[str, str] = {
    "PST": "taken as US Pacific -08:00 (Asia/Manila also writes PST, +08:00)",
    "CDT": "taken as US Central -05:00 (America/Havana also writes CDT, -04:00)",
}
# Not mapped at all: the readings are hours apart and all common.
AMBIGUOUS_ZONES: dict[str, str] = {
    "CST": "US Central -06:00, China +08:00 or Cuba -05:00",
    "IST": "India +05:30, Ireland +01:00 or Israel +02:00",
}

# --- reading -----------------------------------------------------------------------------


def decode_lines(data: bytes) -> tuple[pl.DataFrame, int, list[str]]:
    """Bytes → frame (`line` 1-based, `raw` without CR/BOM), physical line count, notes."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    notes: list[str] = []
    try:
        text = data.decode("utf-8")
        invalid = False
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        invalid = True
    if not text:
        return pl.DataFrame(schema={"line": pl.Int64, "raw": pl.String}), 0, notes
    raw = pl.Series("raw", [text]).str.split("\n").explode()
    if text.endswith("\n"):
        raw = raw.head(raw.len() - 1)
    n = raw.len()
    df = pl.DataFrame({"line": pl.int_range(1, n + 1, dtype=pl.Int64, eager=True), "raw": raw})
    df = df.with_columns(pl.col("raw").str.strip_suffix("\r"))
    if invalid:
        bad = int(df["raw"].str.contains("\ufffd", literal=True).sum())
        notes.append(f"{bad} line(s) held invalid UTF-8 bytes, shown as U+FFFD")
    return df, n, notes


def _frac6(frac: pl.Expr) -> pl.Expr:
    """Fraction digits → exactly six (µs), `""` when absent."""
    return (frac.fill_null("") + "000000").str.slice(0, 6)


def _norm_offset(off: pl.Expr) -> pl.Expr:
    """`Z`/`+0100`/`+01:00`/`+01` → `+00:00`/`+01:00`."""
    return (
        off.str.replace(r"^Z$", "+00:00")
        .str.replace(r"^([+-]\d{2})$", "${1}:00")
        .str.replace(r"^([+-]\d{2})(\d{2})$", "$1:$2")
    )


def _g(name: str) -> pl.Expr:
    return pl.col("_g").struct.field(name)


def _head_fields(df: pl.DataFrame, mode: str) -> pl.DataFrame:
    """Extract the mode's groups from `clean`; keep the common header columns."""
    return df.with_columns(_g=pl.col("clean").str.extract_groups(_LINE_RE[mode])).with_columns(
        host=_g("host"),
        ident=_g("ident"),
        pid=_g("pid").cast(pl.Int64, strict=False),
        text=_g("msg").fill_null(""),
        ok=_g("ident").is_not_null(),
    )


def _parse_short(df: pl.DataFrame) -> pl.DataFrame:
    df = _head_fields(df, "short")
    mon = _g("mon").replace_strict(MONTH_NUMBER, default=None, return_dtype=pl.Int32)
    return df.with_columns(
        format=pl.when(_g("frac").is_null()).then(pl.lit("journald-short")).otherwise(pl.lit("journald-short-precise")),
        _mon=mon,
        # month-day time, the year is added once rollovers are known
        _md=pl.concat_str(
            mon.cast(pl.String).str.zfill(2), pl.lit("-"), _g("day").str.zfill(2), pl.lit(" "), _g("hms"),
            pl.lit("."), _frac6(_g("frac")),
        ),
        ts_note=pl.lit("journal wall clock; zone and year not stated"),
        wall_has_year=pl.lit(False),
    )


def _parse_iso(df: pl.DataFrame) -> pl.DataFrame:
    df = _head_fields(df, "iso")
    off = _norm_offset(_g("off"))
    return df.with_columns(
        format=pl.when(_g("frac").is_null()).then(pl.lit("journald-short-iso"))
        .otherwise(pl.lit("journald-short-iso-precise")),
        ts=parse_iso_utc(_g("iso")),
        ts_note=pl.when(_g("off") == "Z").then(pl.lit("journal stamp in UTC"))
        .otherwise(pl.lit("journal stamp with offset ") + off),
    )


def _parse_full(df: pl.DataFrame) -> pl.DataFrame:
    df = _head_fields(df, "full")
    tz = _g("tz")
    numeric = pl.when(tz.str.contains(r"^[+-]\d")).then(_norm_offset(tz.str.replace(":", "", literal=True)))
    off = pl.coalesce(tz.replace_strict(ZONE_OFFSETS, default=None, return_dtype=pl.String), numeric)
    stamp = pl.concat_str(_g("date"), pl.lit(" "), _g("hms"), pl.lit("."), _frac6(_g("frac")))
    caveat = tz.replace_strict(ZONE_CAVEATS, default=None, return_dtype=pl.String)
    ambiguous = tz.replace_strict(AMBIGUOUS_ZONES, default=None, return_dtype=pl.String)
    known_note = pl.concat_str(pl.lit("journal stamp zone "), tz, pl.lit(" "),
                               pl.coalesce(caveat, pl.lit("= ") + off))
    unknown_note = pl.concat_str(
        pl.lit("journal stamp zone "), tz,
        pl.coalesce(pl.lit(" is ambiguous (") + ambiguous + pl.lit(")"), pl.lit(" is not known")),
        pl.lit("; local wall clock, year known"),
    )
    return df.with_columns(
        format=pl.lit("journald-short-full"),
        ts=parse_iso_utc(pl.concat_str(stamp, off)),
        ts_note=pl.when(off.is_not_null()).then(known_note).otherwise(unknown_note),
        _wall_str=pl.when(off.is_null()).then(stamp),
        wall_has_year=pl.when(off.is_null()).then(pl.lit(True)),
    )


def _parse_unix(df: pl.DataFrame) -> pl.DataFrame:
    df = _head_fields(df, "unix")
    us = _g("sec").cast(pl.Int64, strict=False) * 1_000_000 + _frac6(_g("frac")).cast(pl.Int64, strict=False)
    return df.with_columns(
        format=pl.lit("journald-short-unix"),
        ts=pl.from_epoch(us, time_unit="us").dt.replace_time_zone("UTC"),
        ts_note=pl.lit("journal stamp, Unix time (UTC)"),
    )


def _parse_mono(df: pl.DataFrame) -> pl.DataFrame:
    df = _head_fields(df, "mono")
    return df.with_columns(
        format=pl.lit("journald-short-monotonic"),
        ts_note=pl.lit("journal monotonic stamp (seconds since boot); no wall clock"),
    )


_PARSERS = {"short": _parse_short, "iso": _parse_iso, "full": _parse_full, "unix": _parse_unix, "mono": _parse_mono}

_WORK_SCHEMA = {
    "line": pl.Int64, "raw": pl.String, "format": pl.String, "host": pl.String, "ident": pl.String,
    "pid": pl.Int64, "text": pl.String, "ts": UTC_US, "ts_note": pl.String, "wall_has_year": pl.Boolean,
    "_mon": pl.Int32, "_md": pl.String, "_wall_str": pl.String, "_class": pl.String,
}


def _work(df: pl.DataFrame) -> pl.DataFrame:
    """Bring a partial frame to the working schema (missing columns as typed nulls)."""
    return df.select(
        [(pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t)).alias(c) for c, t in _WORK_SCHEMA.items()]
    )


def _embedded_note(msg: pl.Expr) -> pl.Expr:
    off = msg.str.extract(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:?\d{2}) ", 1)
    return pl.when(off == "Z").then(pl.lit("gateway console stamp (UTC)")).otherwise(
        pl.lit("gateway console stamp (offset ") + _norm_offset(off) + pl.lit(")")
    )


def parse(source: InputFile) -> ParsedSource:
    data = source.data
    if b"\x00" in data[:HEAD_BYTES]:
        raise InputError(f"{source.name}: binary data, not a journald text export")
    lines, n_lines, notes = decode_lines(data)

    df = lines.filter(pl.col("raw").str.strip_chars() != "").with_columns(
        clean=pl.col("raw").str.replace_all(_HEADER_ANSI_RE, "")
    )
    clean = pl.col("clean")
    guess = pl.when(clean.str.contains(GAP_RE)).then(pl.lit("gap")).when(clean.str.contains(MARKER_RE)).then(pl.lit("marker"))
    for mode, stamp_re in _STAMP_ONLY_RE.items():
        guess = guess.when(clean.str.contains(stamp_re)).then(pl.lit(mode))
    guess = guess.when(clean.str.contains(r"^\s")).then(pl.lit("indent")).otherwise(pl.lit("plain"))
    df = df.with_columns(_class=guess)

    # One extract per mode present, on that mode's lines only.
    parts: list[pl.DataFrame] = []
    present = set(df["_class"].unique().to_list()) if df.height else set()
    for mode, fn in _PARSERS.items():
        if mode in present:
            sub = fn(df.filter(pl.col("_class") == mode))
            parts.append(_work(sub.filter("ok").with_columns(_class=pl.lit("stamped"))))
            # stamp read but header not: kept as raw text (unparsed, or a `cat` message)
            parts.append(_work(sub.filter(~pl.col("ok")).select("line", "raw", _class=pl.lit("bad"))))
    rest = df.filter(~pl.col("_class").is_in(list(_PARSERS)))
    parts.append(_work(rest))
    work = pl.concat(parts, how="vertical").sort("line")

    counts = dict(work.group_by("_class").len().iter_rows()) if work.height else {}
    n_stamped = counts.get("stamped", 0)
    n_other = counts.get("plain", 0) + counts.get("bad", 0) + counts.get("indent", 0)
    stamped_file = n_stamped > 0 and n_stamped * 2 >= n_stamped + n_other

    klass = pl.col("_class")
    if stamped_file:
        # A journal entry's continuation lines are indented under its message.
        entry = (klass == "stamped").cast(pl.Int64).cum_sum()
        work = work.with_columns(_entry=entry).with_columns(
            _class=pl.when((klass == "indent") & (pl.col("_entry") > 0)).then(pl.lit("cont"))
            .when(klass.is_in(["plain", "bad", "indent"])).then(pl.lit("unparsed"))
            .otherwise(klass)
        )
    else:
        work = work.with_columns(
            _entry=pl.lit(0, dtype=pl.Int64),
            _class=pl.when(klass.is_in(["plain", "bad", "indent"])).then(pl.lit("cat")).otherwise(klass),
        )
    work = work.with_columns(
        text=pl.when(klass == "cat").then(pl.col("raw"))
        .when(klass == "cont").then(pl.col("raw").str.strip_chars_start())
        .otherwise(pl.col("text")),
        format=pl.when(klass == "cat").then(pl.lit("journald-cat")).otherwise(pl.col("format")),
    )

    # Year placeholders for `short`: one more per backwards month step (Dec → Jan).
    prev_mon = pl.col("_mon").forward_fill().shift(1)
    rollover = (pl.col("_mon") < prev_mon).fill_null(False)
    year = PLACEHOLDER_YEAR + rollover.cast(pl.Int64).cum_sum()
    work = work.with_columns(
        _wall_str=pl.coalesce(
            pl.col("_wall_str"),
            pl.when(pl.col("_md").is_not_null()).then(pl.concat_str(year.cast(pl.String), pl.lit("-"), pl.col("_md"))),
        ),
    ).with_columns(
        wall=pl.col("_wall_str").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").cast(NAIVE_US),
    )
    rollovers = int(work.select(rollover.sum()).item()) if work.height else 0

    # Dominant mode names the source; journal markers, gaps and unparsed rows take it too.
    fmt_counts = (
        work.filter(klass.is_in(["stamped", "cat"])).group_by("format").len()
        .sort(["len", "format"], descending=[True, False])
    )
    dominant = fmt_counts["format"][0] if fmt_counts.height else FORMAT

    is_msg = klass.is_in(["stamped", "cat", "cont"])
    msgs = work.filter(is_msg).with_columns(
        subsystem=pl.lit(None, dtype=pl.String), channel=pl.lit(None, dtype=pl.String),
        session_key=pl.lit(None, dtype=pl.String), session_id=pl.lit(None, dtype=pl.String),
    )
    emb_note = _embedded_note(pl.col("text"))  # evaluated before the classifier splits the stamp
    msgs = msgs.with_columns(_emb_note=emb_note)
    msgs = classify_log_messages(msgs)
    emb = pl.col("embedded_ts")
    msgs = msgs.with_columns(
        ts=pl.coalesce(emb, pl.col("ts")),
        ts_note=pl.when(emb.is_not_null()).then(pl.col("_emb_note")).otherwise(pl.col("ts_note")),
        _own_ts=emb.is_not_null(),
    ).drop("embedded_ts", "_emb_note")
    # Continuation lines belong to the entry above: same stamp, host, ident, pid.
    if stamped_file and msgs.height and (msgs["_class"] == "cont").any():
        cont = klass == "cont"
        inherit = ["format", "host", "ident", "pid", "wall", "wall_has_year"]
        own = cont & pl.col("_own_ts")
        msgs = msgs.with_columns(
            **{c: pl.when(cont).then(pl.col(c).first().over("_entry")).otherwise(pl.col(c)) for c in inherit},
            **{c: pl.when(cont & ~own).then(pl.col(c).first().over("_entry")).otherwise(pl.col(c))
               for c in ("ts", "ts_note")},
        )

    others = work.filter(~is_msg).with_columns(
        kind=pl.when(klass == "marker").then(pl.lit("other")).when(klass == "gap").then(pl.lit("gap"))
        .otherwise(pl.lit("unparsed")),
        text=pl.col("raw"),
        format=pl.lit(dominant),
        host=pl.lit(None, dtype=pl.String), ident=pl.lit(None, dtype=pl.String), pid=pl.lit(None, dtype=pl.Int64),
        ts=pl.lit(None, dtype=UTC_US), ts_note=pl.lit(None, dtype=pl.String),
        wall=pl.lit(None, dtype=NAIVE_US), wall_has_year=pl.lit(None, dtype=pl.Boolean),
    )
    events = pl.concat([conform(msgs), conform(others)], how="vertical").sort("line", maintain_order=True)
    events = events.with_columns(source=pl.lit(source.name), wall_has_year=pl.when(pl.col("wall").is_not_null())
                                 .then(pl.col("wall_has_year")))

    if work.filter((klass == "stamped") & pl.col("_md").is_not_null()).height:
        notes.append(
            "journal `short` stamps carry no year and no zone: local wall clock with placeholder year "
            f"{PLACEHOLDER_YEAR}" + (f", {rollovers} year rollover(s) seen" if rollovers else "")
        )
    if n_stamped == 0 and work.filter(klass == "cat").height:
        notes.append("no journal stamps (journalctl -o cat): times only from gateway console stamps")
    bad_wall = work.filter((klass == "stamped") & pl.col("_wall_str").is_not_null() & pl.col("wall").is_null()).height
    if bad_wall:
        notes.append(f"{bad_wall} journal stamp(s) name a date that does not exist (e.g. Feb 29 in a non-leap year)")

    return ParsedSource(source=source.name, format=dominant, events=events, lines=n_lines, notes=notes,
                        mtime=source.mtime())


# --- sniffing ----------------------------------------------------------------------------

_PY_LINE_RES = [re.compile(p) for p in _LINE_RE.values()]
_PY_MARKER = re.compile(MARKER_RE)
_PY_GAP = re.compile(GAP_RE)
_PY_CONSOLE = re.compile(_CONSOLE_RE)
_PY_HEADER_ANSI = re.compile(_HEADER_ANSI_RE)


def head_lines(head: bytes, limit: int = 50) -> list[str]:
    """First `limit` non-empty lines of a head, BOM/CR stripped; a cut last line dropped."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.decode("utf-8", errors="replace")
    parts = text.split("\n")
    if len(head) >= HEAD_BYTES and len(parts) > 1:
        parts = parts[:-1]
    out = [p.rstrip("\r") for p in parts if p.strip()]
    return out[:limit]


def sniff(path: Path, head: bytes) -> float:
    if not head or b"\x00" in head:
        return 0.0
    lines = head_lines(head)
    if not lines:
        return 0.0
    stamped = console = 0
    for line in lines:
        clean = _PY_HEADER_ANSI.sub("", line)
        if _PY_MARKER.match(clean) or _PY_GAP.match(clean):
            continue
        if any(r.match(clean) for r in _PY_LINE_RES):
            stamped += 1
        elif _PY_CONSOLE.match(clean):
            console += 1
    counted = sum(1 for line in lines if not (_PY_MARKER.match(line) or _PY_GAP.match(line)))
    if counted == 0:
        # only journal markers (`-- No entries --`): still a journal export
        return 0.6 if any(line.startswith("-- ") for line in lines) else 0.0
    share = stamped / counted
    if share >= 0.5:
        return round(0.6 + 0.35 * share, 3)
    if console / counted >= 0.5:
        return 0.3  # `-o cat` looks like any console capture; other parsers may know better
    return round(0.4 * share, 3)
