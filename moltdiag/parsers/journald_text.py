"""journalctl text output, every mode users paste: short, short-precise, short-iso,
short-iso-precise, short-full, short-unix, short-monotonic and cat (spec §8.3.3).

The mode is detected per line, so a paste that mixes modes still reads. Everything runs
as Polars expressions over the whole file. Canonical `short`/`short-precise` lines
(`Jan 27 20:05:10 host ident[pid]: …` with an ASCII header: nearly every line journalctl
writes) take a fast path: one anchored regex selects them, fixed offsets cut them, chrono
reads the stamp and host/ident/pid are read once per distinct header. Every other line
takes the general path: one anchored stamp regex per mode selects the lines, one
`str.extract_groups` per mode splits them. Both give the same columns; the shared
OpenClaw classifier then fills the diagnostic fields, in row blocks on every core. journalctl's own lines (`-- Boot … --`, `-- No entries --`)
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

import codecs
import re
from pathlib import Path

import polars as pl

from moltdiag.parsers.base import HEAD_BYTES, InputError, InputFile, ParsedSource
from moltdiag.parsers.streaming import Piece, parse_in_pieces
from moltdiag.parsers.openclaw_messages import (
    _ANSI_ANY_RE,  # a superset of _HEADER_ANSI_RE too
    _classify_log_messages,
    _mask,
    console_flags,
    _scatter,
    classify_log_messages,
    in_row_blocks,
    parse_iso_utc,
)
from moltdiag.schema import FULL_SCHEMA, NAIVE_US, UTC_US, conform

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
    """Bytes → frame (`line` 1-based, `raw` without CR/BOM), physical line count, notes.

    Polars' native line reader splits the bytes (no Python string of the whole file);
    invalid UTF-8 is replaced by U+FFFD first, and if the reader is unavailable the
    file is split as one Python string."""
    df, bad = decode_lines_counted(data)
    notes = [invalid_utf8_note(bad)] if bad else []
    return df, df.height, notes


def invalid_utf8_note(bad: int) -> str:
    return f"{bad} line(s) held invalid UTF-8 bytes, shown as U+FFFD"


def decode_lines_counted(data: bytes) -> tuple[pl.DataFrame, int]:
    """`decode_lines` returning the number of lines that held invalid UTF-8 instead of notes."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        return pl.DataFrame(schema={"line": pl.Int64, "raw": pl.String}), 0
    invalid = False
    try:
        df = _read_lines(data)
    except Exception:  # invalid UTF-8 (or an unstable API gone): replace what is not UTF-8
        fixed = _utf8_replaced(data)
        invalid = fixed != data
        try:
            df = _read_lines(fixed)
        except Exception:
            df = _split_lines(fixed.decode("utf-8"))
        del fixed
    bad = int(df["raw"].str.contains("\ufffd", literal=True).sum()) if invalid else 0
    return df, bad


_DECODE_CHUNK = 1 << 24


def _utf8_replaced(data: bytes) -> bytes:
    """`data.decode("utf-8", errors="replace").encode()`, chunk by chunk: no Python string
    of the whole file (up to four bytes a character) is ever built."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    view = memoryview(data)
    out = [decoder.decode(view[i:i + _DECODE_CHUNK]).encode("utf-8") for i in range(0, len(data), _DECODE_CHUNK)]
    out.append(decoder.decode(b"", final=True).encode("utf-8"))
    return b"".join(out)


_READ_LINES_KEEPS_CR: bool | None = None


def _read_lines(data: bytes) -> pl.DataFrame:
    """`pl.read_lines` with `decode_lines` semantics: one trailing CR stripped per line."""
    global _READ_LINES_KEEPS_CR
    if _READ_LINES_KEEPS_CR is None:
        _READ_LINES_KEEPS_CR = pl.read_lines(b"a\r\n", name="raw")["raw"].to_list() != ["a"]
    df = pl.read_lines(data, name="raw", row_index_name="line", row_index_offset=1)
    df = df.select(pl.col("line").cast(pl.Int64), pl.col("raw").cast(pl.String))
    if _READ_LINES_KEEPS_CR:
        df = df.with_columns(pl.col("raw").str.strip_suffix("\r"))
    return df


def _split_lines(text: str) -> pl.DataFrame:
    """The whole text as one string, split (slow: the fallback of `_read_lines`)."""
    if not text:
        return pl.DataFrame(schema={"line": pl.Int64, "raw": pl.String})
    raw = pl.Series("raw", [text]).str.split("\n").explode()
    if text.endswith("\n"):
        raw = raw.head(raw.len() - 1)
    n = raw.len()
    df = pl.DataFrame({"line": pl.int_range(1, n + 1, dtype=pl.Int64, eager=True), "raw": raw})
    return df.with_columns(pl.col("raw").str.strip_suffix("\r"))


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
    "wall": NAIVE_US,  # fast path (see _fast_rows): already parsed
    "_msg_at": pl.Int64,  # fast path: where the message starts in `raw` (`text` is null until then)
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


# --- fast path: canonical `short` / `short-precise` lines ----------------------------------
#
# `Jan 27 20:05:10[.123456] host ident[pid]: message` with a printable-ASCII header is what
# journalctl writes for almost every line. Those lines are cut by fixed offsets (the header
# is ASCII, so byte offsets are char offsets), the stamp is turned into µs with integer
# arithmetic, and host/ident/pid are read once per distinct header. Every other line takes
# the per-mode regexes below; both give the same columns.

# `[^\s\[\]:]` restricted to printable ASCII
_HDR_CHAR = r"[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]"
_FAST_RE = (
    r"^(?:" + "|".join(_MONTHS) + r") (?:0[1-9]|[12][0-9]|3[01]| [1-9]) "
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{6})? "
    r"(?:" + _HDR_CHAR + r"+ )?" + _HDR_CHAR + r"+\[[0-9]+\]: "
)
_MONTH_ENUM = pl.Enum(list(_MONTHS))
_Y1_TO_2000_US = 730_119 * 86_400_000_000  # 0001-01-01 → 2000-01-01
_PY_HDR = re.compile(r"(?:([^\s\[\]:]+) )?([^\s\[\]:]+)\[(\d+)\]")
_INT64_MAX = 2**63 - 1


def _fast_rows(df: pl.DataFrame, precise: bool) -> pl.DataFrame:
    """Working columns of canonical lines (`df` holds only such lines, all of one width)."""
    r = pl.col("raw")
    start = 24 if precise else 17  # past `Jan 27 20:05:10[.123456] `
    end = r.str.find("]: ", literal=True).cast(pl.Int64)  # the pid's `]` (no `]` before it)
    out = df.select(
        "line", "raw",
        _hdr=r.str.slice(start - 1, end - start + 2),
        # the message is cut out per block, just before the classifier (see _classify_messages):
        # a cut with per-row offsets copies the bytes, so it is done where it is used
        _msg_at=end + 3,
        _mon=(r.str.head(3).cast(_MONTH_ENUM).to_physical().cast(pl.Int32) + 1),
        # chrono reads the stamp in year 1; lines after a Dec → Jan rollover are redone in `parse`
        _y1=r.str.head(start - 2).str.to_datetime(
            "%b %d %H:%M:%S%.f" if precise else "%b %d %H:%M:%S", strict=False, time_unit="us").cast(pl.Int64),
    )
    # year 1 → the placeholder year 2000 (a leap year: one day more from March on)
    out = out.with_columns(
        wall=(pl.col("_y1") + _Y1_TO_2000_US + pl.when(pl.col("_mon") >= 3).then(86_400_000_000).otherwise(0))
        .cast(NAIVE_US)
    )
    # chrono reads no space-padded day (`Jan  5`, syslog style): zero-pad it and read again
    missing = out["_y1"].is_null() & out.select(r.str.slice(4, 1) == " ").to_series()
    if missing.any():
        pad = out.filter(missing).select(
            _y1=pl.concat_str(r.str.head(4), pl.lit("0"), r.str.slice(5, start - 7)).str.to_datetime(
                "%b %d %H:%M:%S%.f" if precise else "%b %d %H:%M:%S", strict=False, time_unit="us").cast(pl.Int64),
            _mon=pl.col("_mon"),
        ).select((pl.col("_y1") + _Y1_TO_2000_US + pl.when(pl.col("_mon") >= 3).then(86_400_000_000).otherwise(0))
                 .cast(NAIVE_US)).to_series()
        out = out.with_columns(wall=_scatter(out["wall"], missing.arg_true(), pad))
    # what year 1 cannot hold (Feb 29) or is no date at all (Apr 31): the arithmetic
    missing = out["wall"].is_null()
    if missing.any():
        redo = out.filter(missing).select(_fast_wall(pl.lit(PLACEHOLDER_YEAR, dtype=pl.Int64), pl.lit(precise)))
        out = out.with_columns(wall=_scatter(out["wall"], missing.arg_true(), redo.to_series()))
    out = out.drop("_y1")
    # host / ident / pid: once per distinct header
    uniq = out["_hdr"].unique().sort().to_list()
    hosts, idents, pids = [], [], []
    for h in uniq:
        m = _PY_HDR.fullmatch(h)
        pid = int(m.group(3))
        hosts.append(m.group(1))
        idents.append(m.group(2))
        pids.append(pid if pid <= _INT64_MAX else None)
    codes = out["_hdr"].cast(pl.Enum(uniq)).to_physical()
    return out.drop("_hdr").with_columns(
        host=pl.Series(hosts, dtype=pl.String).gather(codes),
        ident=pl.Series(idents, dtype=pl.String).gather(codes),
        pid=pl.Series(pids, dtype=pl.Int64).gather(codes),
        format=pl.lit("journald-short-precise" if precise else "journald-short"),
        ts=pl.lit(None, dtype=UTC_US),
        ts_note=pl.lit("journal wall clock; zone and year not stated"),
        wall_has_year=pl.lit(False),
        _class=pl.lit("stamped"),
    )


def _fast_wall(year: pl.Expr, precise: pl.Expr) -> pl.Expr:
    """Naive µs of a canonical line's stamp (`raw`) in `year`; null for a day the month lacks."""
    r = pl.col("raw")

    def num(offset: int, length: int = 2) -> pl.Expr:
        return r.str.slice(offset, length).cast(pl.Int64, strict=False)

    m = r.str.head(3).cast(_MONTH_ENUM).to_physical().cast(pl.Int64) + 1
    d = r.str.slice(4, 2).str.replace(" ", "0", literal=True).cast(pl.Int64, strict=False)
    sec = num(7) * 3600 + num(10) * 60 + num(13)
    frac = pl.when(precise).then(num(16, 6)).otherwise(pl.lit(0, dtype=pl.Int64))
    leap = ((year % 4) == 0) & (((year % 100) != 0) | ((year % 400) == 0))
    mlen = pl.when(m == 2).then(28 + leap.cast(pl.Int64)).otherwise(30 + ((m + m // 8) % 2))
    # days from 1970-01-01 (H. Hinnant's days_from_civil)
    y = year - (m <= 2).cast(pl.Int64)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    us = days * 86_400_000_000 + sec * 1_000_000 + frac
    return pl.when(d <= mlen).then(us).cast(NAIVE_US)


# --- slow path: every mode, every oddity ------------------------------------------------------


def _slow_parts(lines: pl.DataFrame) -> list[pl.DataFrame]:
    """Working frames (stamped, unread stamps, everything else) of lines off the fast path."""
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
    return parts


def _emb_note(text: pl.Series, flags: pl.DataFrame) -> pl.Series:
    """`_embedded_note(text)`, the regex only on rows that start with a digit but not with
    the common `….mmmZ ` console stamp (`flags`: `console_flags(text)`)."""
    note = flags.select(pl.when("fast").then(pl.lit("gateway console stamp (UTC)"))).to_series()
    other = flags["digit"] & ~flags["fast"]
    if other.any():
        frame = pl.DataFrame({"text": text}).filter(other)
        note = _scatter(note, other.arg_true(), frame.select(_embedded_note(pl.col("text"))).to_series())
    return note.alias("_emb_note")




def _message_text(msgs: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series | None]:
    """`text` of the canonical lines: `raw` after the header (`_msg_at`), with what the
    slow path's `clean` removes (colour codes) removed; then `raw` and `_msg_at` go. Also
    returns the rows that may still hold a colour code (None: not looked at)."""
    at = msgs["_msg_at"]
    if at.null_count() == at.len():
        return msgs.drop("raw", "_msg_at"), None
    cut = pl.col("raw").str.slice(pl.col("_msg_at"))
    text = msgs.select(cut if at.null_count() == 0 else pl.coalesce(pl.col("text"), cut)).to_series()
    # no colour code straddles `]: ` and the ASCII header holds none, so the message alone is cleaned
    maybe = _mask(text.str.contains(_ANSI_ANY_RE))
    ansi = maybe & at.is_not_null()
    if ansi.any():
        fixed = pl.DataFrame({"text": text}).filter(ansi).select(
            pl.col("text").str.replace_all(_HEADER_ANSI_RE, "")).to_series()
        text = _scatter(text, ansi.arg_true(), fixed)
    return msgs.with_columns(text=text.alias("text")).drop("raw", "_msg_at"), maybe


def _classify_messages(msgs: pl.DataFrame) -> pl.DataFrame:
    """The shared classifier on message rows; a zoned console stamp in the message wins `ts`."""
    msgs, maybe_ansi = _message_text(msgs)
    if msgs.height:
        # the note reads the stamp before the classifier splits it (and strips colour codes)
        flags = console_flags(msgs["text"])
        msgs = msgs.with_columns(_emb_note(msgs["text"], flags))
        msgs = _classify_log_messages(msgs, maybe_ansi, flags)
    else:
        msgs = classify_log_messages(msgs.with_columns(_emb_note=_embedded_note(pl.col("text"))))
    emb = pl.col("embedded_ts")
    return msgs.with_columns(
        ts=pl.coalesce(emb, pl.col("ts")),
        ts_note=pl.when(emb.is_not_null()).then(pl.col("_emb_note")).otherwise(pl.col("ts_note")),
        _own_ts=emb.is_not_null(),
    ).drop("embedded_ts", "_emb_note")


def parse(source: InputFile) -> ParsedSource:
    if b"\x00" in source.head:
        raise InputError(f"{source.name}: binary data, not a journald text export")
    # pieces never end before an indented line: an entry keeps its continuation lines
    stamped_file = _stamped_file(source)
    streamed = parse_in_pieces(source, lambda data: _parse_piece(data, source.name, stamped_file),
                               glue_indented=True)
    pieces = streamed.pieces
    events, no_date, rollovers = _roll_years_across_pieces(streamed.events, pieces)

    def total(key: str) -> int:
        return sum(p[key] for p in pieces)

    fmt: dict[str, int] = {}
    for p in pieces:
        for f, c in p["formats"].items():
            fmt[f] = fmt.get(f, 0) + c
    dominant = min(fmt.items(), key=lambda fc: (-fc[1], fc[0]))[0] if fmt else FORMAT
    if total("n_others"):
        fmt_col = pl.col("format")
        events = events.with_columns(format=pl.when(fmt_col == _DOMINANT).then(pl.lit(dominant)).otherwise(fmt_col))
    notes = [invalid_utf8_note(total("bad_utf8"))] if total("bad_utf8") else []
    if total("n_short"):
        notes.append(
            "journal `short` stamps carry no year and no zone: local wall clock with placeholder year "
            f"{PLACEHOLDER_YEAR}" + (f", {rollovers} year rollover(s) seen" if rollovers else "")
        )
    if total("n_stamped") == 0 and total("n_plain"):
        notes.append("no journal stamps (journalctl -o cat): times only from gateway console stamps")
    if total("n_bad_wall") + no_date:
        notes.append(f"{total('n_bad_wall') + no_date} journal stamp(s) name a date that does not exist "
                     "(e.g. Feb 29 in a non-leap year)")
    return ParsedSource(source=source.name, format=dominant, events=events, lines=streamed.lines, notes=notes,
                        mtime=source.mtime(), routine_dropped=streamed.routine_dropped)


_DOMINANT = "\x00dominant"


def _stamped_file(source: InputFile) -> bool:
    """Is this a journal with stamps (lines without are damage or continuations) or `-o cat`?
    Decided once, on the first 64 KiB (the whole file when smaller), like a format lock-on,
    so where the pieces are cut cannot change the reading."""
    head = source.head
    if len(head) >= HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head
    return _parse_piece(head, source.name, None).counters["stamped_file"]


def _roll_years_across_pieces(events: pl.DataFrame, pieces: list[dict]) -> tuple[pl.DataFrame, int, int]:
    """Each piece numbered its placeholder years from 2000; a piece after a rollover in an
    earlier piece (or between two pieces) moves its `short` stamps on by that many years.
    Returns the events, the stamps that became no date (Feb 29 moved to a non-leap year) and
    the rollovers of the whole file."""
    shifts, k, last, start = [], 0, None, 0
    for p in pieces:
        if last is not None and p["first_mon"] is not None and p["first_mon"] < last:
            k += 1  # Dec → Jan between two pieces
        shifts.append((start, k))
        k += p["rollovers"]
        if p["last_mon"] is not None:
            last = p["last_mon"]
        start += p["lines"]
    if not any(shift for _, shift in shifts) or not events.height:
        return events, 0, k
    starts = pl.Series([s for s, _ in shifts], dtype=pl.Int64)
    years = pl.Series([y for _, y in shifts], dtype=pl.Int64)
    piece = starts.search_sorted(events["line"] - 1, side="right") - 1
    shift = years.gather(piece)
    wall = pl.col("wall")
    moved = wall.dt.offset_by(pl.format("{}y", pl.lit(shift)))
    before = events["wall"].null_count()
    events = events.with_columns(
        wall=pl.when((pl.lit(shift) > 0) & (pl.col("wall_has_year") == False))  # noqa: E712
        # Feb 29 in a year that has none is no date (offset_by would say Feb 28)
        .then(pl.when(moved.dt.day() == wall.dt.day()).then(moved))
        .otherwise(wall)
    )
    no_date = events["wall"].null_count() - before
    if no_date:
        events = events.with_columns(wall_has_year=pl.when(wall.is_not_null()).then(pl.col("wall_has_year")))
    return events, no_date, k


def _parse_piece(data: bytes, name: str, stamped_file: bool | None) -> Piece:
    """One piece of whole lines → events numbered from 1, with the counters `parse` sums.
    `stamped_file`: what `_stamped_file` decided for the file (None: decide on these lines)."""
    lines, bad_utf8 = decode_lines_counted(data)
    n_lines = lines.height

    both = in_row_blocks(lambda b: b.select(
        fast=pl.col("raw").str.contains(_FAST_RE).fill_null(False),
        precise=(pl.col("raw").str.slice(15, 1) == ".").fill_null(False),
    ), lines)
    flags = both["fast"]
    n_fast = int(flags.sum())
    precise = flags & both["precise"]
    del both
    parts: list[pl.DataFrame] = []
    fmt_fast: dict[str, int] = {}
    if n_fast:
        n_precise = int(precise.sum())
        if n_fast - n_precise:
            plain = lines if n_fast == lines.height and not n_precise else lines.filter(flags & ~precise)
            parts.append(in_row_blocks(lambda b: _work(_fast_rows(b, precise=False)), plain))
            fmt_fast["journald-short"] = n_fast - n_precise
        if n_precise:
            parts.append(in_row_blocks(lambda b: _work(_fast_rows(b, precise=True)), lines.filter(precise)))
            fmt_fast["journald-short-precise"] = n_precise
    counts: dict[str, int] = {"stamped": n_fast} if n_fast else {}
    slow_fmt: dict[str, int] = {}
    if n_fast < lines.height:
        slow = [p for p in _slow_parts(lines.filter(~flags) if n_fast else lines) if p.height]
        for p in slow:
            for c, v in p.group_by("_class").len().iter_rows():
                counts[c] = counts.get(c, 0) + v
            for f, v in p.filter(pl.col("_class") == "stamped").group_by("format").len().iter_rows():
                slow_fmt[f] = slow_fmt.get(f, 0) + v
        parts.extend(slow)
    del lines
    parts = [p for p in parts if p.height] or [_work(pl.DataFrame(schema={"line": pl.Int64, "raw": pl.String}))]
    work = parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical").sort("line")
    del parts

    n_stamped = counts.get("stamped", 0)
    n_other = counts.get("plain", 0) + counts.get("bad", 0) + counts.get("indent", 0)
    # A journal with stamps (unread lines are damage) or `-o cat` (no stamps): decided once for
    # the file on its head (`_stamped_file`), so a short last piece cannot read as the other kind.
    if stamped_file is None:
        # indented lines are neutral: continuations in a journal, stack traces in `-o cat`
        unstamped = counts.get("plain", 0) + counts.get("bad", 0)
        stamped_file = n_stamped > 0 and n_stamped * 2 >= n_stamped + unstamped

    klass = pl.col("_class")
    has_cont = False
    if stamped_file:
        # A journal entry's continuation lines are indented under its message.
        if n_other:
            entry = (klass == "stamped").cast(pl.Int64).cum_sum()
            work = work.with_columns(_entry=entry).with_columns(
                _class=pl.when((klass == "indent") & (pl.col("_entry") > 0)).then(pl.lit("cont"))
                .when(klass.is_in(["plain", "bad", "indent"])).then(pl.lit("unparsed"))
                .otherwise(klass)
            )
            has_cont = bool((work["_class"] == "cont").any())
    elif n_other:
        work = work.with_columns(
            _class=pl.when(klass.is_in(["plain", "bad", "indent"])).then(pl.lit("cat")).otherwise(klass),
        )
    if has_cont or (not stamped_file and n_other):
        work = work.with_columns(
            text=pl.when(klass == "cat").then(pl.col("raw"))
            .when(klass == "cont").then(pl.col("raw").str.strip_chars_start())
            .otherwise(pl.col("text")),
            format=pl.when(klass == "cat").then(pl.lit("journald-cat")).otherwise(pl.col("format")),
        )

    # Year placeholders for `short`: one more per backwards month step (Dec → Jan).
    months = work["_mon"].drop_nulls()
    first_mon = months[0] if months.len() else None
    last_mon = months[-1] if months.len() else None
    del months
    prev_mon = pl.col("_mon").forward_fill().shift(1)
    rollover = (pl.col("_mon") < prev_mon).fill_null(False)
    k = work.select(rollover.cast(pl.Int64).cum_sum()).to_series() if work.height else pl.Series([], dtype=pl.Int64)
    rollovers = int(k[-1]) if k.len() else 0
    year = pl.lit(PLACEHOLDER_YEAR, dtype=pl.Int64) + (pl.lit(k) if rollovers else pl.lit(0, dtype=pl.Int64))
    wall = work["wall"]
    fast_row = pl.col("_mon").is_not_null() & pl.col("_md").is_null()
    if rollovers and n_fast:  # canonical lines after a rollover: their own year
        redo = work.select(fast_row & (pl.lit(k) > 0)).to_series()
        if redo.any():
            again = work.with_columns(_year=year).filter(redo).select(
                _fast_wall(pl.col("_year"), pl.col("format") == "journald-short-precise")).to_series()
            wall = _scatter(wall, redo.arg_true(), again)
    n_bad_wall = int(work.select(fast_row & wall.is_null()).to_series().sum()) if n_fast else 0
    # Lines off the fast path: the stamp as a string, then parsed.
    slow_wall = (pl.col("_wall_str").is_not_null() | pl.col("_md").is_not_null()).fill_null(False)
    slow_rows = work.select(slow_wall).to_series() if n_fast < work.height else None
    n_short = n_fast
    if slow_rows is not None and slow_rows.any():
        sub = work.with_columns(_year=year).filter(slow_rows).select(
            "_class", "_md",
            _wall_str=pl.coalesce(
                pl.col("_wall_str"),
                pl.when(pl.col("_md").is_not_null()).then(
                    pl.concat_str(pl.col("_year").cast(pl.String), pl.lit("-"), pl.col("_md"))),
            ),
        ).with_columns(
            wall=pl.col("_wall_str").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").cast(NAIVE_US),
        )
        wall = _scatter(wall, slow_rows.arg_true(), sub["wall"])
        n_bad_wall += sub.filter((klass == "stamped") & pl.col("wall").is_null()).height
        n_short += sub.filter((klass == "stamped") & pl.col("_md").is_not_null()).height
    if wall is not work["wall"]:
        work = work.with_columns(wall=wall)

    # Dominant mode names the source; journal markers, gaps and unparsed rows take it too.
    fmt = dict(fmt_fast)
    for f, c in slow_fmt.items():
        fmt[f] = fmt.get(f, 0) + c
    if not stamped_file and n_other:
        fmt["journald-cat"] = fmt.get("journald-cat", 0) + n_other
    dominant = min(fmt.items(), key=lambda fc: (-fc[1], fc[0]))[0] if fmt else FORMAT

    is_msg = klass.is_in(["stamped", "cat", "cont"])
    # markers, gaps and (in a stamped file) unread lines are not messages
    all_msg = counts.get("marker", 0) + counts.get("gap", 0) == 0 and (not stamped_file or n_other == 0)
    others = None
    if not all_msg:
        others = work.filter(~is_msg).with_columns(
            kind=pl.when(klass == "marker").then(pl.lit("other")).when(klass == "gap").then(pl.lit("gap"))
            .otherwise(pl.lit("unparsed")),
            text=pl.col("raw"),
            format=pl.lit(_DOMINANT),  # the file's dominant mode, known once every piece is read
            host=pl.lit(None, dtype=pl.String), ident=pl.lit(None, dtype=pl.String), pid=pl.lit(None, dtype=pl.Int64),
            ts=pl.lit(None, dtype=UTC_US), ts_note=pl.lit(None, dtype=pl.String),
            wall=pl.lit(None, dtype=NAIVE_US), wall_has_year=pl.lit(None, dtype=pl.Boolean),
        )
        others = conform(others) if others.height else None
    # only what the events keep (and the continuation logic needs) goes on
    keep = [c for c in work.columns if c in FULL_SCHEMA or c in ("_class", "_entry", "raw", "_msg_at")]
    msgs = (work if all_msg else work.filter(is_msg)).select(keep).with_columns(
        subsystem=pl.lit(None, dtype=pl.String), channel=pl.lit(None, dtype=pl.String),
        session_key=pl.lit(None, dtype=pl.String), session_id=pl.lit(None, dtype=pl.String),
    )
    del work
    msgs = in_row_blocks(_classify_messages, msgs) if msgs.height else _classify_messages(msgs)
    # Continuation lines belong to the entry above: same stamp, host, ident, pid.
    if stamped_file and has_cont:
        cont = klass == "cont"
        inherit = ["format", "host", "ident", "pid", "wall", "wall_has_year"]
        own = cont & pl.col("_own_ts")
        msgs = msgs.with_columns(
            **{c: pl.when(cont).then(pl.col(c).first().over("_entry")).otherwise(pl.col(c)) for c in inherit},
            **{c: pl.when(cont & ~own).then(pl.col(c).first().over("_entry")).otherwise(pl.col(c))
               for c in ("ts", "ts_note")},
        )

    events = conform(msgs)
    del msgs
    if others is not None:
        events = pl.concat([events, others], how="vertical").sort("line", maintain_order=True)
    events = events.with_columns(source=pl.lit(name, dtype=pl.Categorical()), wall_has_year=pl.when(pl.col("wall").is_not_null())
                                 .then(pl.col("wall_has_year")))
    counters = {
        "lines": n_lines, "stamped_file": stamped_file, "bad_utf8": bad_utf8, "n_short": n_short, "rollovers": rollovers,
        "n_bad_wall": n_bad_wall, "n_stamped": n_stamped, "formats": fmt,
        "n_plain": counts.get("plain", 0) + counts.get("bad", 0) + counts.get("indent", 0),
        "first_mon": first_mon, "last_mon": last_mon, "n_others": others.height if others is not None else 0,
    }
    return Piece(events=events, lines=n_lines, counters=counters)


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
