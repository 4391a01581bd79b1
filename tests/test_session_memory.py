"""Session-memory hook files: the real clawdbot 2026.1.24 run + synthetic samples (spec §5.3)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from moltdiag.correlate.timeline import timeline_from_parsed
from moltdiag.parsers import session_memory
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA

from _realrun import RUN  # noqa: E402
MEMORY = RUN / "workspace" / "memory"
needs_run = pytest.mark.skipif(not MEMORY.is_dir(), reason=f"real-run corpus not available at {RUN}")

S1 = "2dd2d3d0-20f1-4000-a951-4d4c52c06bea"
S3 = "3d078cfd-51f5-46f3-a402-f50259f22fcf"
S4 = "54a50ba7-de83-4a0b-b2f3-ffa871933561"

# RUN.md: the /new at 08:41:51 saved S1, the /new at 08:47:42 saved S3, the /new at 08:48:11 saved S4
# (slugs come from a fixed rotation of the fake model and say nothing about the event).
REAL = {
    "2026-11-25-let-me-check-the-date.md": (S1, datetime(2026, 11, 25, 8, 41, 51, tzinfo=timezone.utc), 18),
    "2026-11-25-restart-check.md": (S3, datetime(2026, 11, 25, 8, 47, 42, tzinfo=timezone.utc), 20),
    "2026-11-25-reset-test.md": (S4, datetime(2026, 11, 25, 8, 48, 11, tzinfo=timezone.utc), 14),
}

SPEC = """# Session: 2026-01-27 19:05:10 UTC

- **Session Key**: agent:main:discord:channel:1460000000000000001
- **Session ID**: 7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33
- **Source**: discord

## Conversation Summary

user: please keep this secret: hunter2
assistant: noted
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse_text(text: str, name: str = "ws/memory/2026-01-27-log-review.md"):
    return session_memory.parse(InputFile(name=name, data=text.encode()))


def only_event(res) -> dict:
    ev = res.events.filter(pl.col("kind") == "session_memory")
    assert ev.height == 1
    return ev.row(0, named=True)


# ---------------------------------------------------------------------------------------
# Real run
# ---------------------------------------------------------------------------------------


@needs_run
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_name_the_session_each_new_left(name):
    path = MEMORY / name
    res = session_memory.parse(InputFile(name=str(path), data=path.read_bytes(), path=path))
    sid, ts, lines = REAL[name]
    assert res.format == "session-memory"
    assert res.events.schema == pl.Schema(FULL_SCHEMA)
    assert res.events.height == 1 and res.unparsed == 0 and res.event_count == 1
    assert res.lines == lines and res.notes == []
    ev = only_event(res)
    assert ev["session_id"] == sid
    assert ev["session_key"] == "agent:main:main"
    assert ev["channel"] == "webchat"
    assert ev["ts"] == ts and ev["ts_note"] == "session-memory header time (UTC)"
    assert ev["line"] == 4  # the **Session ID** line
    slug = name[len("2026-11-25-"):-3]
    assert ev["text"] == f"session saved by the session-memory hook (slug {slug})"
    # The conversation summary is user chat: none of it may reach an event.
    assert "message_id" not in ev["text"] and "Fake reply" not in ev["text"]
    assert ev["message_id"] is None and ev["role"] is None
    assert session_memory.sniff(path, path.read_bytes()) >= 0.9


@needs_run
def test_real_files_sniff_through_the_dispatcher_when_registered():
    from moltdiag.parsers import PARSER_MODULES, read_input, sniff

    if "session_memory" not in PARSER_MODULES:
        pytest.skip("session_memory not yet registered in moltdiag.parsers.PARSER_MODULES")
    for name in REAL:
        module, score = sniff(read_input(str(MEMORY / name)))
        assert module is session_memory and score >= 0.9


@needs_run
def test_other_files_of_the_run_are_not_claimed():
    for path in (RUN / "RUN.md", RUN / "state-dir/logs/commands.log",
                 RUN / "state-dir/agents/main/sessions/sessions.json",
                 RUN / "file-log/clawdbot-2026-11-25.log", RUN / f"state-dir/agents/main/sessions/{S1}.jsonl"):
        assert session_memory.sniff(path, path.read_bytes()[:65536]) == 0.0, path


# ---------------------------------------------------------------------------------------
# Synthetic: the spec's shape and the variants later builds write
# ---------------------------------------------------------------------------------------


def test_spec_example():
    res = parse_text(SPEC)
    ev = only_event(res)
    assert (ev["ts"], ev["session_id"], ev["session_key"], ev["channel"], ev["line"]) == (
        utc(2026, 1, 27, 19, 5, 10), "7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33",
        "agent:main:discord:channel:1460000000000000001", "discord", 4)
    assert ev["text"] == "session saved by the session-memory hook (slug log-review)"
    assert res.lines == 10 and res.notes == []
    # nothing of the summary anywhere in the frame
    assert not res.events.select(pl.col("text").str.contains("hunter2").any()).item()


def test_no_summary_and_fallback_hhmm_slug():
    text = "# Session: 2026-01-27 19:05:10 UTC\n\n- **Session Key**: agent:main:main\n" \
           "- **Session ID**: 11111111-2222-4333-8444-555555555555\n- **Source**: telegram\n"
    ev = only_event(parse_text(text, "memory/2026-01-27-1905.md"))
    assert ev["text"] == "session saved by the session-memory hook (slug 1905)"
    assert ev["channel"] == "telegram"


def test_later_builds_local_zone_and_reason():
    # ≥ 2026-03: wall clock of agents.defaults.userTimezone plus its IANA name; automatic
    # rollovers write **Reason** instead of **Source**; the file name may get a -2 suffix.
    text = ("# Session: 2026-03-05 20:05:10 Europe/Berlin\n\n- **Session Key**: agent:main:main\n"
            "- **Session ID**: 11111111-2222-4333-8444-555555555555\n- **Reason**: daily\n\n"
            "## Conversation Summary\n\nuser: hi\n")
    res = parse_text(text, "memory/2026-03-05-2005-2.md")
    ev = only_event(res)
    assert ev["ts"] == utc(2026, 3, 5, 19, 5, 10)
    assert ev["ts_note"] == "session-memory header time (zone Europe/Berlin given)"
    assert ev["stop_reason"] == "daily" and ev["channel"] is None
    assert ev["text"] == "session saved by the session-memory hook on an automatic reset (reason daily) (slug 2005-2)"
    assert res.notes == []


def test_offset_zone():
    ev = only_event(parse_text(SPEC.replace("19:05:10 UTC", "19:05:10 +05:30")))
    assert ev["ts"] == utc(2026, 1, 27, 13, 35, 10)


def test_zone_unknown_is_left_to_the_correlator_as_a_wall_clock():
    res = parse_text(SPEC.replace("19:05:10 UTC", "19:05:10 Mars/Olympus"))
    ev = only_event(res)
    assert ev["ts"] is None and ev["wall"] == datetime(2026, 1, 27, 19, 5, 10) and ev["wall_has_year"] is True
    assert "Mars/Olympus" in ev["ts_note"]
    tl = timeline_from_parsed([res], tz="-06:00")
    row = tl.events.filter(pl.col("kind") == "session_memory").row(0, named=True)
    assert row["ts"] == utc(2026, 1, 28, 1, 5, 10)


def test_unknown_session_id_is_noted_and_left_null():
    res = parse_text(SPEC.replace("7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33", "unknown"))
    ev = only_event(res)
    assert ev["session_id"] is None and ev["session_key"] == "agent:main:discord:channel:1460000000000000001"
    assert any("no session id" in n for n in res.notes)


def test_crlf_and_bom():
    res = session_memory.parse(InputFile(name="memory/2026-01-27-x.md",
                                         data=b"\xef\xbb\xbf" + SPEC.replace("\n", "\r\n").encode()))
    ev = only_event(res)
    assert ev["session_id"] == "7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33" and ev["channel"] == "discord"


def test_fields_in_the_summary_are_not_read():
    # A pasted memory file inside the chat must not override the real header block.
    text = SPEC + "user: # Session: 2020-01-01 00:00:00 UTC\n- **Session ID**: 99999999-0000-4000-8000-000000000000\n"
    res = parse_text(text)
    ev = only_event(res)
    assert ev["session_id"] == "7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33"
    text2 = SPEC + "# Session: 2020-01-01 00:00:00 UTC\n"
    res2 = parse_text(text2)
    assert only_event(res2)["ts"] == utc(2026, 1, 27, 19, 5, 10)
    assert any("further '# Session:'" in n for n in res2.notes)
    assert "2020-01-01" not in " ".join(res2.notes)


# ---------------------------------------------------------------------------------------
# Malformed
# ---------------------------------------------------------------------------------------


def test_unreadable_header_time_is_an_unparsed_row_and_a_note():
    res = parse_text(SPEC.replace("2026-01-27 19:05:10 UTC", "yesterday evening"))
    assert res.unparsed == 1
    bad = res.events.filter(pl.col("kind") == "unparsed").row(0, named=True)
    assert bad["line"] == 1 and bad["text"] == "# Session: yesterday evening"
    ev = only_event(res)
    assert ev["ts"] is None and ev["session_id"] == "7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33"
    assert any("unreadable time" in n and "line 1" in n for n in res.notes)


def test_impossible_date_is_unparsed():
    res = parse_text(SPEC.replace("2026-01-27 19:05:10", "2026-02-30 19:05:10"))
    assert res.unparsed == 1 and any("impossible" in n for n in res.notes)


def test_header_without_fields_is_unparsed_not_an_event():
    res = parse_text("# Session: 2026-01-27 19:05:10 UTC\n\n## Conversation Summary\n\nuser: hi\n")
    assert res.event_count == 0 and res.unparsed == 1
    row = res.events.row(0, named=True)
    assert row["text"] == "# Session: 2026-01-27 19:05:10 UTC" and row["line"] == 1
    assert any("without '- **Session ID**:'" in n for n in res.notes)
    assert res.lines == 5


def test_nothing_recognisable_is_an_input_error():
    with pytest.raises(InputError, match="not a session-memory file"):
        parse_text("# Daily notes\n\n- bought milk\n", "memory/2026-01-27.md")
    with pytest.raises(InputError, match="NUL"):
        session_memory.parse(InputFile(name="memory/2026-01-27-x.md", data=b"# Session:\x00"))


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "low", "high"), [
    ("ws/memory/2026-01-27-log-review.md", 0.95, 0.95),
    ("memory/2026-01-27-1905.md.gz", 0.95, 0.95),  # name as the dispatcher passes it: suffix stripped already
    ("elsewhere/2026-01-27-log-review.md", 0.9, 0.9),
    ("bundle.zip!clawd/memory/2026-01-27-log-review.md", 0.95, 0.95),
    ("copied-from-issue.md", 0.6, 0.6),
])
def test_sniff_positive(path, low, high):
    assert low <= session_memory.sniff(Path(path), SPEC.encode()) <= high


@pytest.mark.parametrize("head", [
    b"# README\n\nSome docs.\n",
    b"# Session notes\n\n- **Session ID**: x\n",  # not a '# Session:' header
    b"# Session: 2026-01-27 19:05:10 UTC\n\nuser: hi\n",  # header without fields
    b"2026-01-27\n\n- went for a walk\n",  # memory-flush daily note
    b'{"type":"session","id":"x"}\n',
    b"",
    b"# Session: 2026-01-27\x00",
])
def test_sniff_negative(head):
    assert session_memory.sniff(Path("ws/memory/2026-01-27-log-review.md"), head) == 0.0


def test_sniff_ignores_the_markers_deep_in_a_file():
    head = b"# Notes\n\n" + b"line\n" * 20 + SPEC.encode()
    assert session_memory.sniff(Path("memory/2026-01-27.md"), head) == 0.0
