"""Put host-local wall clocks on UTC: find each naive source's year and zone, and say how.

journald `short` lines carry neither year nor zone; transcripts carry full UTC times.
For every source whose rows have a `wall` clock but no `ts`, in this order of trust:

year   --year  >  the gateway's own UTC stamps inside the lines  >  zoned events of other
       inputs  >  the file's mtime  >  the current year (said loudly)
offset --tz    >  the gateway's own UTC stamps inside the lines (wall − stamp)  >
       the offset that best aligns the source with zoned inputs  >  UTC (said loudly)

Alignment tries every whole and half hour from −12:00 to +14:00 and scores how many zoned
events fall inside the naive source's span, then how close the closest anchor pair lands
(a connection event or slow INTERACTION_CREATE listener against a session start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import polars as pl

from moltdiag.schema import UTC_US

PLACEHOLDER_YEAR = 2000  # parsers put year-less stamps in 2000 (a leap year), rolling over to 2001 …
CANDIDATE_OFFSETS = list(range(-12 * 60, 14 * 60 + 1, 30))  # minutes east of UTC
ALIGN_SLACK = timedelta(minutes=2)
ANCHOR_KINDS = ("ws_close", "resume_attempt", "reconnect_attempt", "slow_listener", "gateway_start", "provider_start")
ZONED_ANCHOR_KINDS = ("session_start", "reset_prompt", "reset_notice", "command_log")


@dataclass
class SourceClock:
    source: str
    year_shift: int = 0  # years to add to the parser's wall clock
    year_how: str | None = None
    offset_minutes: int | None = None  # fixed offset east of UTC, when not a named zone
    zone: str | None = None  # IANA zone from --tz
    offset_how: str = ""
    runner_up: str | None = None


@dataclass
class ClockReport:
    """What the correlator decided about time, for every output to state."""

    display_offset_minutes: int | None = None
    display_zone: str | None = None
    how: str = "all inputs carry UTC or explicit offsets"
    sources: list[SourceClock] = field(default_factory=list)

    def localize(self, ts: datetime | None, *, utc: bool = False) -> datetime | None:
        """A UTC instant in the display zone (the host's, unless `utc`)."""
        if ts is None:
            return None
        if utc:
            return ts.astimezone(timezone.utc)
        if self.display_zone:
            from zoneinfo import ZoneInfo

            return ts.astimezone(ZoneInfo(self.display_zone))
        return ts.astimezone(timezone(timedelta(minutes=self.display_offset_minutes or 0)))

    def local_label(self, ts: datetime | None, fmt: str = "%H:%M:%S") -> str:
        local = self.localize(ts)
        return "?" if local is None else local.strftime(fmt) + " " + self.offset_label

    @property
    def offset_label(self) -> str:
        if self.display_zone:
            return self.display_zone
        return format_offset(self.display_offset_minutes or 0)


def format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_offset(text: str) -> int | None:
    """'+01:00', '-0600', 'UTC-6', '+5:30' → minutes; None when not an offset."""
    import re

    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", text.strip(), re.IGNORECASE)
    if not m:
        return 0 if text.strip().upper() in ("UTC", "Z", "GMT") else None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return minutes if m.group(1) == "+" else -minutes


def _shift_years(wall: pl.Expr, years: int) -> pl.Expr:
    return wall if years == 0 else wall.dt.offset_by(f"{years}y")


def _wall_to_utc(wall: pl.Expr, clock: SourceClock) -> pl.Expr:
    wall = _shift_years(wall, clock.year_shift)
    if clock.zone:
        return wall.dt.replace_time_zone(clock.zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return (wall - pl.duration(minutes=clock.offset_minutes or 0)).dt.replace_time_zone("UTC")


def _measured_offset(rows: pl.DataFrame) -> tuple[int, int] | None:
    """From rows with both a wall clock and the gateway's UTC stamp: (year_shift, offset)."""
    both = rows.filter(pl.col("wall").is_not_null() & pl.col("ts").is_not_null())
    if both.is_empty():
        return None
    wall = both["wall"][0]
    utc = both["ts"][0].replace(tzinfo=None)
    shift = utc.year - wall.year
    best = None
    for s in (shift - 1, shift, shift + 1):
        try:
            shifted = wall.replace(year=wall.year + s)
        except ValueError:  # Feb 29 in a non-leap year
            continue
        delta = shifted - utc
        if abs(delta) <= timedelta(hours=15) and (best is None or abs(delta) < abs(best[1])):
            best = (s, delta)
    if best is None:
        return None
    shift, _ = best
    # The median over all pairs resists a few lines delayed in the journal.
    diffs = both.select(
        ((_shift_years(pl.col("wall"), shift) - pl.col("ts").dt.replace_time_zone(None)).dt.total_seconds() / 60.0)
        .alias("d")
    )["d"]
    offset = int(round(float(diffs.median()) / 15.0) * 15)
    return shift, offset


def _year_from_zoned(naive: pl.DataFrame, zoned: pl.DataFrame) -> tuple[int, str] | None:
    """Choose the year that puts the naive span nearest the zoned events (before any offset)."""
    if zoned.is_empty():
        return None
    zmin, zmax = zoned["ts"].min().replace(tzinfo=None), zoned["ts"].max().replace(tzinfo=None)
    wall_min, wall_max = naive["wall"].min(), naive["wall"].max()
    best = None
    for year in range(zmin.year - 1, zmax.year + 2):
        shift = year - PLACEHOLDER_YEAR
        try:
            lo, hi = wall_min.replace(year=wall_min.year + shift), wall_max.replace(year=wall_max.year + shift)
        except ValueError:
            continue
        gap = max(timedelta(0), zmin - hi, lo - zmax)
        if best is None or gap < best[1]:
            best = (shift, gap, year)
    shift, gap, year = best
    how = f"year {year} inferred from the other inputs' UTC times"
    if gap > timedelta(days=2):
        how += f" (nearest fit still {gap.days} days apart: check --year)"
    return shift, how


def _year_from_mtime(naive: pl.DataFrame, mtime: float | None) -> tuple[int, str] | None:
    if mtime is None:
        return None
    stamp = datetime.fromtimestamp(mtime, tz=timezone.utc).replace(tzinfo=None)
    last = naive["wall"].max()
    shift = stamp.year - last.year
    try:
        if last.replace(year=last.year + shift) > stamp + timedelta(days=1):
            shift -= 1
    except ValueError:
        shift -= 1
    return shift, f"year {last.year + shift} inferred from the file's modification time"


def _align(naive: pl.DataFrame, zoned: pl.DataFrame, year_shift: int) -> tuple[int, str, str | None] | None:
    """Score every candidate offset; return (offset, how, runner-up description)."""
    if zoned.is_empty():
        return None
    wall = naive.select(
        _shift_years(pl.col("wall"), year_shift).alias("wall"),
        # A slow listener started `duration` before it was logged.
        pl.when(pl.col("kind") == "slow_listener")
        .then(_shift_years(pl.col("wall"), year_shift) - pl.duration(milliseconds=pl.col("duration_ms").fill_null(0)))
        .otherwise(_shift_years(pl.col("wall"), year_shift)).alias("anchor_wall"),
        pl.col("kind"),
    )
    lo, hi = wall["wall"].min(), wall["wall"].max()
    zoned_ts = zoned["ts"].dt.replace_time_zone(None)
    anchors = wall.filter(pl.col("kind").is_in(ANCHOR_KINDS))["anchor_wall"]
    zoned_anchor = zoned.filter(pl.col("kind").is_in(ZONED_ANCHOR_KINDS))["ts"].dt.replace_time_zone(None)
    scored = []
    for off in CANDIDATE_OFFSETS:
        delta = timedelta(minutes=off)
        inside = int(((zoned_ts >= lo - delta - ALIGN_SLACK) & (zoned_ts <= hi - delta + ALIGN_SLACK)).sum())
        nearest = None
        if len(anchors) and len(zoned_anchor):
            a = (anchors - delta).sort()
            z = pl.DataFrame({"z": zoned_anchor.sort()})
            joined = z.join_asof(pl.DataFrame({"a": a}), left_on="z", right_on="a", strategy="nearest")
            gaps = (joined["z"] - joined["a"]).dt.total_milliseconds().abs()
            nearest = gaps.min() if gaps.len() else None
        scored.append((inside, -(nearest if nearest is not None else 10**15), -abs(off), off, nearest))
    scored.sort(reverse=True)
    best, second = scored[0], scored[1]
    if best[0] == 0:
        return None
    off, nearest = best[3], best[4]
    how = (f"offset {format_offset(off)} inferred by alignment: {best[0]} of {len(zoned_ts)} zoned events "
           f"fall inside this log's span")
    if nearest is not None:
        how += f", closest anchor pair {nearest / 1000:.1f} s apart"
    runner = f"next best {format_offset(second[3])} fits {second[0]} zoned events"
    return off, how, runner


# `[Discord alice user id:301… +17m 2026-01-26 21:58 CST] text`: the envelope's local minute.
_ENVELOPE_TIME = r"^(?:System:[^\n]*\n)*\s*\[(?:Discord|Telegram|WhatsApp|Slack|Signal|iMessage|WebChat|Google Chat|LINE)[^\]\n]*? (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) (?:[A-Z]{2,5}|GMT[+-]\d{1,2}(?::\d{2})?)\]"


def _offset_from_envelopes(events: pl.DataFrame) -> tuple[int, int] | None:
    """The host offset from transcript envelopes (local minute) against the entries' UTC time."""
    if not events.height:
        return None
    rows = events.filter(pl.col("kind").is_in(["user_message", "reset_prompt"]) & pl.col("ts").is_not_null()).select(
        local=pl.col("text").str.extract(_ENVELOPE_TIME, 1).str.to_datetime("%Y-%m-%d %H:%M", strict=False),
        utc=pl.col("ts").dt.replace_time_zone(None),
    ).drop_nulls()
    if rows.is_empty():
        return None
    minutes = rows.select((((pl.col("local") - pl.col("utc")).dt.total_seconds() / 60.0 / 15.0).round() * 15)
                          .cast(pl.Int64).alias("m"))["m"]
    offset = int(minutes.mode().sort()[0])
    if abs(offset) > 14 * 60:
        return None
    return offset, int((minutes == offset).sum())


def resolve_clocks(
    events: pl.DataFrame,
    mtimes: dict[str, float | None],
    *,
    tz: str | None = None,
    year: int | None = None,
) -> tuple[pl.DataFrame, ClockReport]:
    """Fill `ts` for rows that only have a wall clock; return the frame and what was decided."""
    report = ClockReport()
    fixed_tz_offset = parse_offset(tz) if tz else None
    zoned = events.select("source", "ts", "wall", "kind", "duration_ms").filter(pl.col("ts").is_not_null() & pl.col("wall").is_null())
    naive_sources = (
        events.select("source", "wall").filter(pl.col("wall").is_not_null()).select("source").unique(maintain_order=True)["source"].to_list()
    )
    fills = []
    # the clock reading needs these columns only (not the message: a 1 GB journal's rows)
    narrow = events.select("source", "ts", "wall", "wall_has_year", "kind", "duration_ms")
    for source in naive_sources:
        naive = narrow.filter((pl.col("source") == source) & pl.col("wall").is_not_null())
        clock = SourceClock(source=source)
        has_year = bool(naive["wall_has_year"].fill_null(True).all())
        measured = _measured_offset(naive)

        # Year.
        if has_year:
            clock.year_shift = 0
        elif year is not None:
            clock.year_shift = year - PLACEHOLDER_YEAR
            clock.year_how = f"year {year} from --year"
        elif measured is not None:
            clock.year_shift = measured[0]
            clock.year_how = f"year {PLACEHOLDER_YEAR + measured[0]} from the gateway's own UTC stamps in the lines"
        elif (found := _year_from_zoned(naive, zoned)) is not None:
            clock.year_shift, clock.year_how = found
        elif (found := _year_from_mtime(naive, mtimes.get(source))) is not None:
            clock.year_shift, clock.year_how = found
        else:
            now = datetime.now(timezone.utc).year
            clock.year_shift = now - PLACEHOLDER_YEAR
            clock.year_how = f"year {now} ASSUMED (no other evidence; pass --year)"

        # Offset.
        if tz and fixed_tz_offset is None:
            clock.zone = tz
            clock.offset_how = f"zone {tz} from --tz"
        elif tz:
            clock.offset_minutes = fixed_tz_offset
            clock.offset_how = f"offset {format_offset(fixed_tz_offset)} from --tz"
        elif measured is not None:
            clock.offset_minutes = measured[1]
            n = naive.filter(pl.col("ts").is_not_null()).height
            clock.offset_how = (f"offset {format_offset(measured[1])} measured from the gateway's own UTC stamps "
                                f"on {n} line(s)")
        elif (aligned := _align(naive, zoned, clock.year_shift)) is not None:
            clock.offset_minutes, clock.offset_how, clock.runner_up = aligned
        else:
            clock.offset_minutes = 0
            clock.offset_how = "offset +00:00 ASSUMED (no zoned evidence to align with; pass --tz)"

        note = "host-local stamp; " + clock.offset_how + (f"; {clock.year_how}" if clock.year_how else "")
        fills.append((source, clock, note))
        report.sources.append(clock)
    del narrow

    # Every source's wall clocks in one pass over the frame, in place of filtering it per source
    # and concatenating (which held a second copy of every row, text included).
    out = events
    if fills:
        ts, ts_note = pl.col("ts"), pl.col("ts_note")
        untimed = pl.col("ts").is_null() & pl.col("wall").is_not_null()
        for source, clock, note in fills:
            mine = untimed & (pl.col("source") == source)
            ts = pl.when(mine).then(_wall_to_utc(pl.col("wall"), clock).cast(UTC_US)).otherwise(ts)
            ts_note = pl.when(mine).then(pl.lit(note, dtype=pl.Categorical())).otherwise(ts_note)
        out = events.with_columns(ts=ts, ts_note=ts_note.cast(pl.Categorical()))

    # Display zone: --tz, else the first naive source's zone, else an offset a journal stated.
    if tz:
        report.display_zone = tz if fixed_tz_offset is None else None
        report.display_offset_minutes = fixed_tz_offset
        report.how = f"times shown in {tz} (from --tz)"
    elif report.sources:
        first = report.sources[0]
        report.display_offset_minutes = first.offset_minutes
        report.how = first.offset_how + (f"; {first.year_how}" if first.year_how else "")
        if first.runner_up:
            report.how += f" ({first.runner_up})"
    else:
        stated = (
            events.select(pl.col("ts_note").cast(pl.String).str.extract(r"offset ([+-]\d{2}:\d{2})", 1).drop_nulls().first())
            .item()
            if events.height else None
        )
        envelope = _offset_from_envelopes(events) if not stated else None
        if stated:
            report.display_offset_minutes = parse_offset(stated)
            report.how = f"host offset {stated} as stated in the journal's own stamps"
        elif envelope is not None:
            offset, count = envelope
            report.display_offset_minutes = offset
            report.how = (f"host offset {format_offset(offset)} measured from the local time in the channel envelope "
                          f"of {count} user message(s) (OpenClaw stamps envelopes in the gateway's zone)")
        else:
            report.display_offset_minutes = 0
            report.how = "all inputs carry UTC; host zone unknown (pass --tz to show local times)"
    return out, report
