"""Clock resolution: year and zone of host-local journal stamps, and how each was decided."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from moltdiag import schema
from moltdiag.correlate.timezone import format_offset, parse_offset, resolve_clocks


def _frame(rows: list[dict]) -> pl.DataFrame:
    return schema.conform(pl.DataFrame(rows, infer_schema_length=None))


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _naive_journal(walls: list[datetime], kinds: list[str], *, has_year=False, source="journal.txt") -> list[dict]:
    return [
        {"source": source, "line": i + 1, "format": "journald-short", "kind": k, "wall": w, "wall_has_year": has_year,
         "text": k}
        for i, (w, k) in enumerate(zip(walls, kinds))
    ]


def _transcript(ts_list: list[datetime], kinds: list[str]) -> list[dict]:
    return [
        {"source": "s.jsonl", "line": i + 1, "format": "transcript", "kind": k, "ts": t, "ts_note": "transcript (UTC)",
         "session_id": "abc", "text": k}
        for i, (t, k) in enumerate(zip(ts_list, kinds))
    ]


def test_offset_and_year_inferred_by_alignment_with_transcripts():
    # Journal in host-local time without a year (placeholder 2000), transcript in UTC: −06:00.
    walls = [datetime(2000, 1, 27, 20, 5, 10), datetime(2000, 1, 27, 20, 7, 41), datetime(2000, 1, 27, 20, 9, 38)]
    journal = _naive_journal(walls, ["resume_attempt", "ws_close", "ws_close"])
    tx = _transcript([_utc(2026, 1, 28, 2, 5, 54), _utc(2026, 1, 28, 2, 7, 41, 357000)], ["user_message", "session_start"])
    events, report = resolve_clocks(_frame(journal + tx), {})
    close = events.filter((pl.col("source") == "journal.txt") & (pl.col("line") == 2)).row(0, named=True)
    assert close["ts"] == _utc(2026, 1, 28, 2, 7, 41)
    assert report.offset_label == "-06:00"
    assert "alignment" in report.how and "2026" in report.how
    assert "-06:00" in close["ts_note"] and "year 2026" in close["ts_note"]


def test_offset_measured_from_embedded_gateway_stamps_beats_alignment():
    row = {"source": "j.txt", "line": 1, "format": "journald-short", "kind": "resume_attempt",
           "wall": datetime(2000, 1, 27, 20, 5, 10), "wall_has_year": False, "ts": _utc(2026, 1, 27, 19, 5, 10, 412000)}
    other = {"source": "j.txt", "line": 2, "format": "journald-short", "kind": "other",
             "wall": datetime(2000, 1, 27, 20, 6, 0), "wall_has_year": False}
    events, report = resolve_clocks(_frame([row, other]), {})
    assert report.offset_label == "+01:00"
    assert "measured" in report.how
    assert events.filter(pl.col("line") == 2)["ts"][0] == _utc(2026, 1, 27, 19, 6, 0)


def test_dec_to_jan_rollover_keeps_order_across_new_year():
    walls = [datetime(2000, 12, 31, 23, 59, 50), datetime(2001, 1, 1, 0, 0, 5)]
    journal = _naive_journal(walls, ["ws_close", "ws_close"])
    events, _ = resolve_clocks(_frame(journal), {}, year=2025, tz="UTC")
    assert events["ts"].to_list() == [_utc(2025, 12, 31, 23, 59, 50), _utc(2026, 1, 1, 0, 0, 5)]


def test_tz_option_with_iana_zone_applies_dst():
    walls = [datetime(2026, 7, 1, 12, 0, 0)]
    journal = _naive_journal(walls, ["other"], has_year=True)
    events, report = resolve_clocks(_frame(journal), {}, tz="Europe/Berlin")
    assert events["ts"][0] == _utc(2026, 7, 1, 10, 0, 0)  # CEST, +02:00 in July
    assert "--tz" in report.how


def test_no_evidence_falls_back_to_utc_and_says_so():
    walls = [datetime(2026, 3, 1, 12, 0, 0)]
    events, report = resolve_clocks(_frame(_naive_journal(walls, ["other"], has_year=True)), {})
    assert events["ts"][0] == _utc(2026, 3, 1, 12, 0, 0)
    assert "ASSUMED" in report.how


def test_year_from_mtime_when_nothing_else():
    walls = [datetime(2000, 11, 20, 10, 0, 0)]
    mtime = _utc(2026, 11, 21, 0, 0, 0).timestamp()
    events, report = resolve_clocks(_frame(_naive_journal(walls, ["other"])), {"journal.txt": mtime}, tz="UTC")
    assert events["ts"][0] == _utc(2026, 11, 20, 10, 0, 0)
    assert "modification time" in report.sources[0].year_how


def test_year_from_mtime_steps_back_when_stamp_would_be_in_the_future():
    walls = [datetime(2000, 12, 30, 10, 0, 0)]
    mtime = _utc(2027, 1, 2, 0, 0, 0).timestamp()
    events, _ = resolve_clocks(_frame(_naive_journal(walls, ["other"])), {"journal.txt": mtime}, tz="UTC")
    assert events["ts"][0] == _utc(2026, 12, 30, 10, 0, 0)


@pytest.mark.parametrize("text,minutes", [("+01:00", 60), ("-0600", -360), ("UTC", 0), ("+5:30", 330), ("UTC-6", -360)])
def test_parse_offset(text, minutes):
    assert parse_offset(text) == minutes
    assert parse_offset(format_offset(minutes)) == minutes


def test_parse_offset_rejects_zone_names():
    assert parse_offset("America/Chicago") is None
