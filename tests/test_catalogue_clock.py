"""clock_integrity's frame paths: one source (sorted by line alone, source attached afterwards)
and several (sorted by source and line, steps across a source boundary dropped), lines that
borrowed their time, elision markers per source, the label-column prefix test, and the same
findings whether the label columns are String or Categorical."""

from __future__ import annotations

import json

import polars as pl
import pytest

from moltdiag.rules.checks import clock_integrity
from moltdiag.rules.model import Sample
from moltdiag.rules.selftest import sample_timeline

LABELS = ("ts_note", "source", "format", "kind")
STAMP = "gateway console stamp (UTC)"
BEFORE = "no stamp on this line; time of the line before"


def _ev(source: str, line: int, ts: str | None, kind: str = "other", fmt: str = "journald-short",
        note: str | None = STAMP) -> dict:
    row = {"source": source, "line": line, "kind": kind, "format": fmt, "text": f"{source}:{line}"}
    if ts is not None:
        row["ts"], row["ts_note"] = f"2026-03-07T{ts}Z", note
    return row


def _timeline(events: list[dict]):
    return sample_timeline(Sample(name="clock", events=events))


def _run(events: list[dict], **params):
    return clock_integrity.run(_timeline(events), None, params)


def _as_categorical(tl):
    tl.events = tl.events.with_columns(pl.col(c).cast(pl.Categorical) for c in LABELS)
    return tl


def _jumps(findings) -> list[tuple[str, str, list]]:
    return [(f.facts["type"], f.facts["source"], f.facts["lines"]) for f in findings]


def test_a_later_source_stamped_earlier_is_not_a_step_back():
    # b.txt starts before a.txt ends: in (source, line) order its first line follows a.txt's last.
    events = [_ev("a.txt", i, f"10:0{i}:00") for i in range(1, 5)]
    events += [_ev("b.txt", i, f"09:0{i}:00") for i in range(1, 4)]
    assert _run(events) == []
    # A step back inside b.txt is found and named after b.txt, with b.txt's lines.
    events.append(_ev("b.txt", 4, "09:01:30"))
    assert _jumps(_run(events)) == [("out_of_order", "b.txt", [[3, 4]])]


def test_one_source_step_back_and_gap_keep_the_source_name():
    events = [_ev("j.txt", 1, "10:00:00"), _ev("j.txt", 2, "10:00:40"), _ev("j.txt", 3, "10:00:05"),
              _ev("j.txt", 4, "18:00:00")]
    findings = _run(events)
    assert _jumps(findings) == [("out_of_order", "j.txt", [[2, 3]]), ("gap", "j.txt", [[3, 4]])]
    assert [e["line"] for e in findings[0].evidence] == [2, 3]
    assert findings[0].anchor == ("j.txt", 3)


def test_lines_that_borrowed_their_time_are_skipped_both_ways():
    # Line 2 has no stamp; it borrows line 1's time. The step is measured from line 1 to line 3.
    events = [_ev("j.txt", 1, "10:00:30"), _ev("j.txt", 2, None), _ev("j.txt", 3, "10:00:00")]
    assert _jumps(_run(events)) == [("out_of_order", "j.txt", [[1, 3]])]
    # A line that says it borrowed a later time is not a step back, though its time is earlier.
    events = [_ev("j.txt", 1, "10:00:30"), _ev("j.txt", 2, "10:00:00", note=BEFORE),
              _ev("j.txt", 3, "10:00:31")]
    assert _run(events) == []


def test_an_elision_marker_explains_a_gap_only_in_its_own_source():
    events = [_ev("a.txt", 1, "01:00:00"), _ev("a.txt", 2, None, kind="gap"), _ev("a.txt", 3, "11:00:00")]
    events += [_ev("b.txt", 1, "01:00:00"), _ev("b.txt", 2, "11:00:00")]
    assert _jumps(_run(events)) == [("gap", "b.txt", [[1, 2]])]


def test_only_the_chosen_formats_are_read():
    events = [_ev("s.jsonl", 1, "10:05:00", fmt="transcript"), _ev("s.jsonl", 2, "10:00:00", fmt="transcript"),
              _ev("j.txt", 1, "10:00:00"), _ev("j.txt", 2, "10:00:30", fmt="console")]
    assert _run(events) == []
    assert _jumps(_run(events, sources=["transcript"])) == [("out_of_order", "s.jsonl", [[1, 2]])]


@pytest.mark.parametrize("events", [
    [_ev("j.txt", 1, "10:00:30"), _ev("j.txt", 2, None), _ev("j.txt", 3, "10:00:00"), _ev("j.txt", 4, "20:00:00")],
    [_ev("a.txt", 1, "10:00:30"), _ev("a.txt", 2, "10:00:00"), _ev("b.txt", 1, "09:00:00"),
     _ev("b.txt", 2, None, kind="gap"), _ev("b.txt", 3, "19:00:00"), _ev("s.jsonl", 1, "08:00:00", fmt="transcript")],
])
def test_categorical_label_columns_give_the_same_findings(events):
    def dump(findings):
        return json.dumps([f.to_dict() for f in findings], sort_keys=True, default=str)

    plain = clock_integrity.run(_timeline(events), None, {})
    assert plain
    assert dump(clock_integrity.run(_as_categorical(_timeline(events)), None, {})) == dump(plain)


@pytest.mark.parametrize("dtype", [pl.String, pl.Categorical])
def test_prefix_mask_on_label_columns(dtype):
    def mask(values, prefixes):
        got = clock_integrity._prefix_mask(pl.Series(values, dtype=dtype), prefixes)
        return [got] * len(values) if isinstance(got, bool) else got.to_list()

    formats = ["journald-short", "transcript", None, "journald-short"]
    assert mask(formats, ("journald", "console")) == [True, False, False, True]
    assert mask(formats, ("",)) == [True] * 4  # a null reads as "", which every string starts with
    assert mask(formats, ("sqlite",)) == [False] * 4
    assert mask(formats, ("transcript",)) == [False, True, False, False]
    assert mask(["console"] * 3, ("journald", "console")) == [True] * 3
    assert mask([STAMP, BEFORE, None, BEFORE], ("no stamp",)) == [False, True, False, True]
