"""journalctl text modes (spec §8.3.2–8.3.3): every mode, the time contract, damaged pastes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from moltdiag.parsers import journald_text
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse(text: str | bytes, name: str = "journal.txt"):
    data = text.encode() if isinstance(text, str) else text
    result = journald_text.parse(InputFile(name=name, data=data))
    assert result.events.schema == pl.Schema(FULL_SCHEMA)
    return result


def rows(result) -> list[dict]:
    return result.events.to_dicts()


# The seed paste of issue #3106: `-o short --no-hostname`, with a user's elision line.
SEED = """\
Jan 27 20:05:10 node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms
Jan 27 20:05:10 node[43079]: [discord] gateway: WebSocket connection closed with code 1005
Jan 27 20:05:47 node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms
Jan 27 20:05:47 node[43079]: [discord] gateway: WebSocket connection closed with code 1005
[... repeated through 20:09:38 ...]
Jan 27 20:07:41 node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms
Jan 27 20:07:41 node[43079]: [discord] gateway: WebSocket connection closed with code 1005
Jan 27 20:07:45 node[43079]: [EventQueue] Slow listener detected: InteractionEventListener took 4503ms for event INTERACTION_CREATE
"""


def test_seed_short_no_hostname():
    r = parse(SEED)
    assert r.format == "journald-short"
    assert r.lines == 8 and r.events.height == 8 and r.unparsed == 0
    ev = rows(r)
    first, close, gap, slow = ev[0], ev[1], ev[4], ev[7]

    assert first["kind"] == "resume_attempt" and first["backoff_ms"] == 1000
    assert first["host"] is None and first["ident"] == "node" and first["pid"] == 43079
    assert first["subsystem"] == "discord" and first["channel"] == "discord"
    assert first["text"] == "gateway: Attempting resume with backoff: 1000ms"
    assert first["format"] == "journald-short" and first["source"] == "journal.txt" and first["line"] == 1
    # zone and year unknown: wall clock with placeholder year, no instant yet
    assert first["ts"] is None
    assert first["wall"] == datetime(2000, 1, 27, 20, 5, 10)
    assert first["wall_has_year"] is False

    assert close["kind"] == "ws_close" and close["code"] == 1005

    assert gap["kind"] == "gap" and gap["text"] == "[... repeated through 20:09:38 ...]" and gap["line"] == 5
    assert gap["wall"] is None and gap["ts"] is None

    assert slow["kind"] == "slow_listener" and slow["line"] == 8
    assert slow["listener"] == "InteractionEventListener" and slow["event_name"] == "INTERACTION_CREATE"
    assert slow["duration_ms"] == 4503.0 and slow["subsystem"] == "EventQueue" and slow["channel"] == "discord"
    assert slow["wall"] == datetime(2000, 1, 27, 20, 7, 45)
    assert any("placeholder year 2000" in n for n in r.notes)


# §8.3.3: the same entry (written 2026-01-27 19:05:10.412345 UTC, viewer in Europe/Berlin) in each mode.
ENTRY = "2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms"
SAME_ENTRY = [
    ("journald-short", f"Jan 27 20:05:10 host node[43079]: {ENTRY}", datetime(2000, 1, 27, 20, 5, 10), False),
    ("journald-short-precise", f"Jan 27 20:05:10.412345 host node[43079]: {ENTRY}",
     datetime(2000, 1, 27, 20, 5, 10, 412345), False),
    ("journald-short-iso", f"2026-01-27T20:05:10+0100 host node[43079]: {ENTRY}", None, None),
    ("journald-short-iso", f"2026-01-27T20:05:10+01:00 host node[43079]: {ENTRY}", None, None),
    ("journald-short-iso-precise", f"2026-01-27T20:05:10.412345+0100 host node[43079]: {ENTRY}", None, None),
    ("journald-short-iso-precise", f"2026-01-27T20:05:10.412345+01:00 host node[43079]: {ENTRY}", None, None),
    ("journald-short-full", f"Tue 2026-01-27 20:05:10 CET host node[43079]: {ENTRY}", None, None),
    ("journald-short-unix", f"1769540710.412345 host node[43079]: {ENTRY}", None, None),
    ("journald-cat", ENTRY, None, None),
]


@pytest.mark.parametrize("fmt,line,wall,has_year", SAME_ENTRY, ids=[f"{f}-{i}" for i, (f, *_r) in enumerate(SAME_ENTRY)])
def test_same_entry_every_mode(fmt, line, wall, has_year):
    r = parse(line + "\n")
    assert r.format == fmt and r.unparsed == 0
    (ev,) = rows(r)
    assert ev["format"] == fmt
    assert ev["kind"] == "resume_attempt" and ev["backoff_ms"] == 1000 and ev["channel"] == "discord"
    assert ev["text"] == "gateway: Attempting resume with backoff: 1000ms"
    # the gateway's console stamp is the instant in every mode
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)
    assert ev["ts_note"] == "gateway console stamp (UTC)"
    # … and the journal's wall clock stays where the zone was not stated
    assert ev["wall"] == wall and ev["wall_has_year"] is has_year
    if fmt != "journald-cat":
        assert ev["host"] == "host" and ev["ident"] == "node" and ev["pid"] == 43079
    else:
        assert ev["host"] is None and ev["pid"] is None


@pytest.mark.parametrize(
    "line,fmt,ts,note",
    [
        ("2026-01-27T20:05:10+0100 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-iso", utc(2026, 1, 27, 19, 5, 10), "journal stamp with offset +01:00"),
        ("2026-01-27T20:05:10.412345+01:00 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-iso-precise", utc(2026, 1, 27, 19, 5, 10, 412345), "journal stamp with offset +01:00"),
        ("2026-01-27T14:05:10-0500 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-iso", utc(2026, 1, 27, 19, 5, 10), "journal stamp with offset -05:00"),
        ("1769540710.412345 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-unix", utc(2026, 1, 27, 19, 5, 10, 412345), "journal stamp, Unix time (UTC)"),
        ("Tue 2026-01-27 20:05:10 CET host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-full", utc(2026, 1, 27, 19, 5, 10), "journal stamp zone CET = +01:00"),
        ("Tue 2026-01-27 14:05:10 EST host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-full", utc(2026, 1, 27, 19, 5, 10), "journal stamp zone EST = -05:00"),
        ("Wed 2026-01-28 06:05:10 AEDT host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-full", utc(2026, 1, 27, 19, 5, 10), "journal stamp zone AEDT = +11:00"),
        ("Wed 2026-01-28 00:35:10 +0530 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-full", utc(2026, 1, 27, 19, 5, 10), "journal stamp zone +0530 = +05:30"),
        ("Tue 2026-01-27 11:05:10 PST host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
         "journald-short-full", utc(2026, 1, 27, 19, 5, 10), None),
    ],
)
def test_zoned_journal_stamps_give_ts(line, fmt, ts, note):
    (ev,) = rows(parse(line))
    assert ev["format"] == fmt and ev["kind"] == "resume_attempt" and ev["backoff_ms"] == 1000
    assert ev["ts"] == ts and ev["wall"] is None
    if note is not None:
        assert ev["ts_note"] == note
    else:
        assert "Asia/Manila" in ev["ts_note"]  # PST is read as US Pacific, and says so


@pytest.mark.parametrize("zone,word", [("XYZT", "not known"), ("CST", "ambiguous"), ("IST", "ambiguous")])
def test_short_full_unknown_zone_is_wall_clock_with_year(zone, word):
    (ev,) = rows(parse(f"Tue 2026-01-27 20:05:10 {zone} host node[43079]: [gateway] signal SIGTERM received\n"))
    assert ev["format"] == "journald-short-full" and ev["kind"] == "gateway_stop"
    assert ev["ts"] is None
    assert ev["wall"] == datetime(2026, 1, 27, 20, 5, 10) and ev["wall_has_year"] is True
    assert zone in ev["ts_note"] and word in ev["ts_note"]


def test_short_precise_keeps_microseconds():
    (ev,) = rows(parse("Jan 27 20:05:10.412345 host node[43079]: [gateway] listening on ws://127.0.0.1:18789 (PID 43079)"))
    assert ev["format"] == "journald-short-precise" and ev["kind"] == "gateway_start" and ev["pid"] == 43079
    assert ev["wall"] == datetime(2000, 1, 27, 20, 5, 10, 412345) and ev["ts"] is None


def test_identifiers_with_and_without_pid_and_host():
    text = """\
Jan 27 20:05:10 host kernel: usb 1-1: new high-speed USB device number 2
Jan 27 20:05:11 kernel: audit: type=1400 audit(1769540711.000:42): apparmor="DENIED"
Jan 27 20:05:12 host org.gnome.Shell.desktop[2231]: Window manager warning: x
Jan 27 20:05:13 my-host.example.com systemd-logind[812]: New session 4 of user alice.
Jan 27 20:05:14 host openclaw[155818]: 2026-01-27T19:05:14.000Z [gateway] signal SIGTERM received
Jan  7 08:00:00 host systemd[1234]: openclaw-gateway.service: Scheduled restart job, restart counter is at 3.
"""
    r = parse(text)
    assert r.unparsed == 0
    ev = rows(r)
    assert (ev[0]["host"], ev[0]["ident"], ev[0]["pid"], ev[0]["text"]) == (
        "host", "kernel", None, "usb 1-1: new high-speed USB device number 2")
    assert (ev[1]["host"], ev[1]["ident"], ev[1]["pid"]) == (None, "kernel", None)
    assert ev[1]["text"].startswith("audit: type=1400")
    assert (ev[2]["ident"], ev[2]["pid"]) == ("org.gnome.Shell.desktop", 2231)
    assert (ev[3]["host"], ev[3]["ident"], ev[3]["pid"]) == ("my-host.example.com", "systemd-logind", 812)
    assert (ev[4]["ident"], ev[4]["pid"], ev[4]["kind"]) == ("openclaw", 155818, "gateway_stop")
    assert ev[4]["ts"] == utc(2026, 1, 27, 19, 5, 14)
    # space-padded day (classic syslog), restart counter line
    assert (ev[5]["ident"], ev[5]["pid"], ev[5]["kind"]) == ("systemd", 1234, "gateway_restart")
    assert ev[5]["wall"] == datetime(2000, 1, 7, 8, 0, 0)


def test_journal_markers_are_other_not_unparsed():
    text = """\
-- Logs begin at Mon 2025-12-01 10:00:00 CET, end at Tue 2026-01-27 20:10:00 CET. --
Jan 27 20:05:10 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005
-- Boot 3f2a9c0d1e2b4c5d8e9f0a1b2c3d4e5f --
Jan 27 20:09:00 host node[50211]: [gateway] listening on ws://127.0.0.1:18789 (PID 50211)
-- No entries --
"""
    r = parse(text)
    assert r.unparsed == 0 and r.events.height == 5
    ev = rows(r)
    for i in (0, 2, 4):
        assert ev[i]["kind"] == "other" and ev[i]["ts"] is None and ev[i]["text"].startswith("-- ")
        assert ev[i]["format"] == "journald-short"
    assert ev[1]["kind"] == "ws_close" and ev[1]["code"] == 1005
    assert ev[3]["kind"] == "gateway_start" and ev[3]["pid"] == 50211


def test_year_rollover_and_leap_day():
    text = """\
Dec 31 23:59:58 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms
-- Boot 3f2a9c0d1e2b4c5d8e9f0a1b2c3d4e5f --
Jan  1 00:00:02 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005
Feb 29 12:00:00 host node[43079]: [heartbeat] started
Mar  1 12:00:00 host node[43079]: [heartbeat] started
"""
    ev = rows(parse(text))
    assert ev[0]["wall"] == datetime(2000, 12, 31, 23, 59, 58)
    assert ev[2]["wall"] == datetime(2001, 1, 1, 0, 0, 2)
    assert all(e["wall_has_year"] is False for e in ev if e["wall"] is not None)
    # Feb 29 after a rollover: 2001 has no Feb 29, so the wall is left empty and a note says so
    assert ev[3]["wall"] is None and ev[3]["kind"] == "other" and ev[3]["line"] == 4
    assert ev[4]["wall"] == datetime(2001, 3, 1, 12, 0, 0)

    r = parse(text)
    assert any("1 year rollover(s)" in n for n in r.notes)
    assert any("date that does not exist" in n for n in r.notes)

    (leap,) = rows(parse("Feb 29 12:00:00 host node[43079]: [heartbeat] started\n"))
    assert leap["wall"] == datetime(2000, 2, 29, 12, 0, 0)


def test_two_rollovers():
    text = ("Dec 30 10:00:00 h node[1]: a\nJan  2 10:00:00 h node[1]: b\n"
            "Dec 30 10:00:00 h node[1]: c\nJan  3 10:00:00 h node[1]: d\n")
    walls = [e["wall"].year for e in rows(parse(text))]
    assert walls == [2000, 2001, 2001, 2002]


def test_line_cut_mid_message_and_cut_header():
    text = (
        "Jan 27 20:05:10 host node[43079]: 2026-01-27T19:05:10.412Z [discord] gateway: WebSocket connection closed with co\n"
        "Jan 27 20:05:47 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n"
        "Jan 27 20:05:47 host node[430\n"
    )
    r = parse(text)
    ev = rows(r)
    # the prefix is intact: host, pid, console stamp, subsystem still read
    assert ev[0]["kind"] == "other" and ev[0]["pid"] == 43079 and ev[0]["subsystem"] == "discord"
    assert ev[0]["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)
    assert ev[0]["text"] == "gateway: WebSocket connection closed with co"
    assert ev[1]["kind"] == "resume_attempt"
    assert ev[2]["kind"] == "unparsed" and ev[2]["text"] == "Jan 27 20:05:47 host node[430"
    assert r.unparsed == 1 and r.event_count == 2


def test_ansi_escape_and_residue():
    text = (
        "Jan 27 20:05:10 host node[43079]: \x1b[31m2026-01-27T19:05:10.412Z [discord] gateway: "
        "WebSocket connection closed with code 1005\x1b[39m\n"
        "Jan 27 20:05:11 host node[43079]: [31m[discord] gateway: Attempting resume with backoff: 2500ms[39m\n"
        "\x1b[0;1;31mJan 27 20:05:12 host node[43079]: [discord] gateway: Reconnecting with backoff: 5000ms\x1b[0m\n"
    )
    r = parse(text)
    assert r.unparsed == 0
    ev = rows(r)
    assert ev[0]["kind"] == "ws_close" and ev[0]["code"] == 1005
    assert "\x1b" not in ev[0]["text"] and "[39m" not in ev[0]["text"]
    assert ev[0]["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)
    assert ev[1]["kind"] == "resume_attempt" and ev[1]["backoff_ms"] == 2500
    assert ev[1]["text"] == "gateway: Attempting resume with backoff: 2500ms"
    assert ev[2]["kind"] == "reconnect_attempt" and ev[2]["backoff_ms"] == 5000 and ev[2]["pid"] == 43079


def test_cat_mode():
    text = """\
2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms
2026-01-27T19:05:10.501Z [session-memory] Hook triggered for /new command
    at processTicksAndRejections (node:internal/process/task_queues:95:5)
[discord] gateway: WebSocket connection closed with code 1005
"""
    r = parse(text)
    assert r.format == "journald-cat" and r.unparsed == 0 and r.events.height == 4
    ev = rows(r)
    assert all(e["format"] == "journald-cat" for e in ev)
    assert ev[0]["kind"] == "resume_attempt" and ev[0]["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)
    assert ev[0]["wall"] is None and ev[0]["host"] is None
    assert ev[1]["subsystem"] == "session-memory" and ev[1]["ts"] == utc(2026, 1, 27, 19, 5, 10, 501000)
    # no stamp at all: ts and wall stay empty for the correlator to fill
    assert ev[3]["kind"] == "ws_close" and ev[3]["code"] == 1005 and ev[3]["ts"] is None and ev[3]["wall"] is None
    assert ev[2]["ts"] is None and ev[2]["text"].startswith("    at processTicks")


def test_console_stamp_with_local_offset():
    (ev,) = rows(parse("Mar  5 20:05:10 host node[43079]: 2026-03-05T20:05:10.412+01:00 [gateway] signal SIGTERM received\n"))
    assert ev["ts"] == utc(2026, 3, 5, 19, 5, 10, 412000)
    assert ev["ts_note"] == "gateway console stamp (offset +01:00)"
    assert ev["wall"] == datetime(2000, 3, 5, 20, 5, 10)


def test_continuation_line_takes_its_entry_stamp():
    text = (
        "Jan 27 20:05:10 host node[43079]: [openclaw] Uncaught exception: Error: boom\n"
        "                                   at Object.<anonymous> (/srv/app.js:1:1)\n"
        "Jan 27 20:05:11 host systemd[1234]: openclaw-gateway.service: Main process exited, code=exited, status=1/FAILURE\n"
    )
    r = parse(text)
    assert r.unparsed == 0
    ev = rows(r)
    assert ev[0]["kind"] == "gateway_stop"
    assert ev[1]["line"] == 2 and ev[1]["text"] == "at Object.<anonymous> (/srv/app.js:1:1)"
    assert (ev[1]["host"], ev[1]["ident"], ev[1]["pid"]) == ("host", "node", 43079)
    assert ev[1]["wall"] == datetime(2000, 1, 27, 20, 5, 10) and ev[1]["format"] == "journald-short"
    assert ev[2]["ident"] == "systemd" and ev[2]["pid"] == 1234


def test_monotonic_mode():
    (ev,) = rows(parse("[  693.800074] host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n"))
    assert ev["format"] == "journald-short-monotonic" and ev["kind"] == "resume_attempt" and ev["pid"] == 43079
    assert ev["ts"] is None and ev["wall"] is None


def test_unparsed_lines_keep_raw_text_and_blank_lines_count():
    text = "\n".join([
        "Jan 27 20:05:10 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
        "",
        "this is not a journal line \x1b[31mred",
        "   ",
        "Jan 27 20:05:10 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005",
        "Jan 27 20:05:11 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms",
    ]) + "\n"
    r = parse(text)
    assert r.lines == 6 and r.events.height == 4 and r.unparsed == 1
    bad = r.events.filter(pl.col("kind") == "unparsed").row(0, named=True)
    assert bad["line"] == 3 and bad["text"] == "this is not a journal line \x1b[31mred"
    assert bad["format"] == "journald-short" and bad["ts"] is None
    assert r.events["line"].to_list() == [1, 3, 5, 6]


def test_bom_and_crlf():
    data = ("\ufeffJan 27 20:05:10 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\r\n"
            "Jan 27 20:05:10 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005\r\n").encode()
    r = parse(data)
    assert r.unparsed == 0 and r.lines == 2
    ev = rows(r)
    assert ev[0]["kind"] == "resume_attempt" and ev[0]["host"] == "host" and ev[0]["backoff_ms"] == 1000
    assert ev[1]["code"] == 1005 and not ev[1]["text"].endswith("\r")


def test_invalid_utf8_is_replaced_and_noted():
    data = (b"Jan 27 20:05:10 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms \xff\xfe\n"
            b"Jan 27 20:05:10 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005\n")
    r = parse(data)
    assert r.unparsed == 0
    ev = rows(r)
    assert ev[0]["kind"] == "resume_attempt" and "\ufffd" in ev[0]["text"]
    assert ev[1]["code"] == 1005
    assert any(n.startswith("1 line(s) held invalid UTF-8") for n in r.notes)


def test_binary_input_raises():
    with pytest.raises(InputError, match=r"^dump\.bin: binary data, not a journald text export$"):
        journald_text.parse(InputFile(name="dump.bin", data=b"LPKSHHRH\x00\x00\x00\x00\x01\x02"))


def test_empty_and_whitespace_files():
    r = parse(b"")
    assert r.events.height == 0 and r.lines == 0 and r.unparsed == 0
    assert r.events.schema == pl.Schema(FULL_SCHEMA)
    r = parse(b"\n\n  \n")
    assert r.events.height == 0 and r.lines == 3


def test_markers_only():
    r = parse("-- No entries --\n")
    assert r.format == "journald-short" and r.unparsed == 0
    assert r.events["kind"].to_list() == ["other"]


def test_mostly_prose_with_a_few_journal_lines_reads_as_cat():
    text = (
        "Here is what I saw:\n"
        "the bot stopped answering\n"
        "and then this:\n"
        "Jan 27 20:05:10 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005\n"
    )
    r = parse(text)
    assert r.unparsed == 0
    assert r.events["format"].to_list() == ["journald-cat"] * 3 + ["journald-short"]
    assert r.events["code"][3] == 1005 and r.events["pid"][3] == 43079


def test_every_nonblank_line_is_one_row():
    import random

    rng = random.Random(7)
    pieces = ["Jan 27 20:05:10 host node[43079]: ", "2026-01-27T19:05:10.412Z ", "[discord] ", "\x1b[31m", "[31m",
              "gateway: Attempting resume with backoff: 1000ms", "\r", "\n", "\n", " ", "-- Boot x --", "\t",
              "Tue 2026-01-27 20:05:10 CET ", "1769540710.412345 ", "Dec 31 23:59:59 h k: ", "[... snip ...]"]
    for _ in range(200):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        r = parse(text)
        physical = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
        nonblank = [line for line in physical if line.strip()]
        assert r.lines == len(physical)
        assert r.events.height == len(nonblank)
        assert r.events["line"].is_unique().all()


def test_mixed_modes_in_one_paste():
    text = (
        "Jan 27 20:05:10 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n"
        "2026-01-27T20:05:11+01:00 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005\n"
        "Jan 27 20:05:12 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n"
    )
    r = parse(text)
    assert r.format == "journald-short"
    assert r.events["format"].to_list() == ["journald-short", "journald-short-iso", "journald-short"]
    assert r.events["ts"][1] == utc(2026, 1, 27, 19, 5, 11)


# --- sniff -------------------------------------------------------------------------------

def test_sniff_positive_short_and_iso():
    assert journald_text.sniff(Path("paste.txt"), SEED.encode()) >= 0.9
    iso = "\n".join(line for _f, line, *_r in SAME_ENTRY[2:6]).encode()
    assert journald_text.sniff(Path("j.log"), iso) >= 0.9


def test_sniff_cat_is_low():
    cat = b"2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms\n" * 5
    assert journald_text.sniff(Path("gateway.log"), cat) == pytest.approx(0.3)


def test_sniff_negative():
    jsonl = b'{"type":"session","version":3,"id":"2dd2d3d0-20f1-4000-a951-4d4c52c06bea","timestamp":"2026-01-27T19:05:10.412Z"}\n'
    assert journald_text.sniff(Path("x.jsonl"), jsonl * 3) == 0.0
    assert journald_text.sniff(Path("notes.md"), b"# Notes\n\nSome prose about the incident.\n") == 0.0
    assert journald_text.sniff(Path("x.bin"), b"\x00\x01binary") == 0.0
    assert journald_text.sniff(Path("empty"), b"") == 0.0


def test_a_level_tag_in_one_row_block_only_does_not_break_the_blocks(monkeypatch):
    """Found on a 300 MB benchmark journal: the only `[INFO]` lines fell in one row block,
    which gained a `level` column the other blocks lacked, and their concat raised."""
    from moltdiag.parsers import openclaw_messages

    monkeypatch.setattr(openclaw_messages, "BLOCK_ROWS", 4)
    monkeypatch.setattr(openclaw_messages, "MAX_BLOCK_ROWS", 4)
    monkeypatch.setattr(openclaw_messages.pl, "thread_pool_size", lambda: 2)
    plain = [f"Jan 20 01:00:{s:02d} atlas node[11886]: 2026-01-20T07:00:{s:02d}.114Z [ws] ⇄ res ✓ node.list 3ms"
             for s in range(10)]
    tagged = ("Jan 20 01:00:11 atlas node[11886]: 2026-01-20T07:00:11.114Z [WARN]  socket-mode:SlackWebSocket:2 "
              "A pong wasn't received from the server before the timeout of 5000ms!")
    result = parse("\n".join(plain + [tagged]) + "\n")
    events = result.events
    assert events.height == 11
    assert events["level"].to_list()[-1] == "warn"
    assert events["level"].to_list()[:10] == [None] * 10
