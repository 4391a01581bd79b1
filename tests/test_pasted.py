"""Pasted log excerpts (fixtures/excerpts/pasted/, each case's README cites the issues it follows):
wrappers, elisions, every stamp form, dating time-only stamps, sniffing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from moltdiag.correlate.timeline import timeline_from_parsed
from moltdiag.parsers import journald_text, pasted
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA

CASES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "excerpts" / "pasted"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse_bytes(data: bytes | str, name: str = "paste.txt"):
    data = data.encode() if isinstance(data, str) else data
    result = pasted.parse(InputFile(name=name, data=data))
    assert result.events.schema == pl.Schema(FULL_SCHEMA)
    assert result.format == pasted.FORMAT
    return result


def parse_case(case: str):
    files = [f for f in sorted((CASES_DIR / case).iterdir()) if f.name != "README.md"]
    assert len(files) == 1, files
    return parse_bytes(files[0].read_bytes(), name=files[0].name)


def by_line(result) -> dict[int, dict]:
    return {row["line"]: row for row in result.events.to_dicts()}


def is_event(df: pl.DataFrame) -> pl.Expr:
    return ~pl.col("kind").is_in(["unparsed", "gap"]) & (pl.col("format") != pasted.FORMAT)


# case → (log lines in the paste, lines that carry no stamp at all, gaps, unparsed, fence/marker rows)
CASES = {
    "grep-n": ([2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 15, 16, 18], [], [8], 2, 0),
    "quoted-journal": ([3, 4, 5, 7, 11, 12, 17, 18, 19], [], [6, 13], 3, 0),
    "fenced-3106": ([35, 36, 37, 38, 40, 41, 42], [], [39], 46, 2),
    "time-only-offset": ([3, 4, 5, 6, 7, 9, 10, 11], [], [8], 1, 0),
    "twelve-hour": ([3, 4, 5, 6, 7, 8, 10, 11], [], [9], 1, 0),
    "mixed-crlf": ([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], [], [], 0, 1),
    "bracketed-gateway-log": ([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 5], [], 1, 0),
    "logs-pretty": ([3, 4, 5, 6, 7, 8, 9, 10], [], [], 1, 1),
    "untimed-cut": ([3, 4, 7, 8, 10, 11], [3, 4, 7, 8, 10, 11], [], 3, 2),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_parse_rate(case):
    """Every log line is an event with a kind and (when it has a stamp) a time; everything else is
    a gap, a fence, or unparsed with its reason in the notes."""
    log_lines, stampless, gaps, n_unparsed, n_other_rows = CASES[case]
    r = parse_case(case)
    ev = r.events
    events = ev.filter(is_event(ev))
    assert sorted(events["line"].to_list()) == log_lines
    timed = events.filter(pl.col("ts").is_not_null() | pl.col("wall").is_not_null())
    untimed = sorted(set(log_lines) - set(timed["line"].to_list()))
    assert untimed == stampless
    rate = timed.height / (len(log_lines) - len(stampless)) if len(log_lines) > len(stampless) else 1.0
    assert rate >= 0.99, f"{case}: {rate:.1%} of stamped log lines timed"
    assert events.filter(pl.col("kind").is_null()).height == 0

    assert sorted(ev.filter(pl.col("kind") == "gap")["line"].to_list()) == gaps
    assert r.unparsed == n_unparsed
    if n_unparsed:
        note = next(n for n in r.notes if "unparsed:" in n)
        assert note.startswith(f"{n_unparsed} line(s) unparsed: ")
    assert ev.filter((pl.col("kind") == "other") & (pl.col("format") == pasted.FORMAT)).height == n_other_rows
    # physical lines = rows + blank lines; nothing is dropped silently
    assert ev["line"].n_unique() == ev.height


@pytest.mark.parametrize("case", sorted(c for c, spec in CASES.items() if spec[0] != spec[1]))
def test_case_through_the_correlator(case):
    """Every event ends up on the UTC timeline: walls resolved, stamp-less lines from neighbours.
    (untimed-cut has no stamp at all: only other inputs could give it a time.)"""
    r = parse_case(case)
    tl = timeline_from_parsed([r])
    events = tl.events.filter(is_event(tl.events))
    assert events.filter(pl.col("ts").is_null()).height == 0, events.filter(pl.col("ts").is_null())


def test_grep_n_prefixes_and_typed_fields():
    r = parse_case("grep-n")
    rows = by_line(r)
    assert rows[2]["kind"] == "ws_close" and rows[2]["code"] == 1006
    assert rows[2]["ts"] == utc(2026, 2, 9, 17, 52, 41, 6000) and rows[2]["format"] == "pasted-console"
    assert rows[3]["kind"] == "resume_attempt" and rows[3]["backoff_ms"] == 1000 and rows[3]["after_code"] == 1006
    assert rows[5]["code"] == 1005 and rows[5]["subsystem"] == "discord" and rows[5]["channel"] == "discord"
    assert rows[8]["kind"] == "gap" and rows[8]["text"] == "--"  # grep's group separator
    assert rows[10]["kind"] == "connection_stalled"
    assert rows[12]["kind"] == "reconnect_attempt" and rows[12]["backoff_ms"] == 2000
    # file:line: over several files, a JSON file-log record behind its grep prefix, `nl`-style numbers
    assert rows[15]["kind"] == "gateway_error" and rows[15]["ts"] == utc(2026, 2, 10, 4, 52, 4, 753000)
    assert rows[16]["format"] == "openclaw-file-log" and rows[16]["code"] == 1005
    assert rows[16]["ts"] == utc(2026, 2, 9, 18, 7, 30, 512000)
    assert rows[18]["kind"] == "resume_attempt" and rows[18]["ts"] == utc(2026, 2, 9, 17, 53, 19, 421000)
    assert rows[1]["kind"] == "unparsed" and rows[1]["text"].startswith("$ grep -n")
    assert any(n.startswith("wrappers removed: 12 prefix") for n in r.notes)
    assert any("2 shell command, prompt or comment" in n for n in r.notes)


def test_quoted_journal_keeps_journald_semantics():
    r = parse_case("quoted-journal")
    rows = by_line(r)
    first = rows[3]
    assert first["format"] == "journald-short" and first["host"] == "pi5" and first["ident"] == "node"
    assert first["pid"] == 43079 and first["kind"] == "resume_attempt" and first["backoff_ms"] == 1000
    # the console stamp inside the message gives the instant; the journal's wall clock is kept
    assert first["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000) and first["wall"] == datetime(2000, 1, 27, 20, 5, 10)
    assert first["wall_has_year"] is False
    assert rows[7]["kind"] == "slow_listener" and rows[7]["duration_ms"] == 4503.0
    assert rows[7]["listener"] == "InteractionEventListener" and rows[7]["event_name"] == "INTERACTION_CREATE"
    # `>> ` nested quote, no host, no console stamp: wall clock only
    assert rows[11]["host"] is None and rows[11]["ts"] is None and rows[11]["wall"] == datetime(2000, 1, 27, 20, 7, 41)
    assert rows[12]["code"] == 1005
    assert rows[6]["text"] == "[... repeated ...]" and rows[13]["text"] == "(snip)"
    assert rows[17]["kind"] == "gateway_stop" and rows[18]["kind"] == "gateway_start"
    assert rows[19]["kind"] == "gateway_start" and rows[19]["pid"] == 51112
    assert any(n.startswith("wrappers removed: 11 quote") for n in r.notes)


def test_fenced_seed_issue_3106():
    """The seed report itself: the fenced block reads exactly like journald_text reads it."""
    r = parse_case("fenced-3106")
    rows = by_line(r)
    assert [rows[n]["kind"] for n in (35, 36, 37, 38, 40, 41, 42)] == [
        "resume_attempt", "ws_close", "resume_attempt", "ws_close", "resume_attempt", "ws_close", "slow_listener"]
    assert rows[39]["kind"] == "gap" and rows[39]["text"] == "[... repeated through 20:09:38 ...]"
    assert rows[34]["kind"] == "other" and rows[43]["kind"] == "other"  # the fences
    assert rows[42]["wall"] == datetime(2000, 1, 27, 20, 7, 45) and rows[42]["duration_ms"] == 4503.0
    # the narrative quotes log messages but is prose: never an event
    assert rows[30]["kind"] == "unparsed" and "Slow listener detected" in rows[30]["text"]
    assert rows[28]["kind"] == "unparsed"
    assert any("34 prose outside code blocks" in n for n in r.notes)
    assert any("2 code fence line(s) ignored" in n for n in r.notes)

    seed = journald_text.parse(InputFile("j.txt", (FIXTURES / "discord-reset-3106" / "journal.txt").read_bytes()))
    assert seed.unparsed == 0  # sanity: the reconstructed journal is clean


def test_time_only_with_offset_dated_from_the_full_line_across_midnight():
    r = parse_case("time-only-offset")
    rows = by_line(r)
    assert rows[3]["ts"] == utc(2026, 4, 2, 22, 59, 41, 207000)
    assert rows[4]["ts"] == utc(2026, 4, 2, 22, 59, 52) and rows[4]["kind"] == "provider_start"
    assert rows[5]["ts"] == utc(2026, 4, 2, 22, 59, 58) and rows[5]["code"] == 1006
    # 00:00:03+01:00 is the next local day: 23:00:03 UTC on the 2nd
    assert rows[6]["ts"] == utc(2026, 4, 2, 23, 0, 3) and rows[6]["kind"] == "resume_attempt"
    assert rows[6]["backoff_ms"] == 1107
    assert rows[9]["kind"] == "reconnect_attempt" and rows[9]["backoff_ms"] == 916
    assert rows[11]["ts"] == utc(2026, 4, 2, 23, 12, 54, 118000) and rows[11]["kind"] == "provider_exit"
    assert rows[6]["ts_note"] == "time-only stamp with offset +01:00; date from line 3"
    assert rows[6]["wall"] is None and rows[8]["kind"] == "gap" and rows[8]["text"] == "…"
    assert any("7 time-only stamp(s) dated" in n for n in r.notes)


def test_time_only_without_any_date_is_left_untimed_with_a_note():
    r = parse_bytes("12:53:14+01:00 [discord] gateway: WebSocket connection closed with code 1005\n"
                    "12:53:15+01:00 [discord] gateway: Attempting resume with backoff: 1000ms\n")
    rows = by_line(r)
    assert rows[1]["kind"] == "ws_close" and rows[1]["code"] == 1005
    assert rows[1]["ts"] is None and rows[1]["wall"] is None
    assert rows[1]["ts_note"] == "time-only stamp 12:53:14+01:00; no line in the paste has a date"
    assert any("no line in the paste has a date" in n for n in r.notes)


def test_time_only_dated_from_a_later_line_and_runs_through_midnight():
    r = parse_bytes(
        "23:58:00Z [discord] gateway: WebSocket connection closed with code 1006\n"
        "00:01:00Z [discord] gateway: Attempting resume with backoff: 1000ms\n"
        "2026-01-28T00:02:00.000Z [discord] gateway: WebSocket connection closed with code 1005\n"
    )
    rows = by_line(r)
    assert rows[1]["ts"] == utc(2026, 1, 27, 23, 58)
    assert rows[2]["ts"] == utc(2026, 1, 28, 0, 1)


def test_twelve_hour_clocks():
    r = parse_case("twelve-hour")
    rows = by_line(r)
    assert rows[3]["wall"] == datetime(2026, 1, 27, 20, 5, 10) and rows[3]["wall_has_year"] is True
    assert rows[3]["ts"] is None and rows[3]["format"] == "pasted-dated-clock"
    assert rows[5]["wall"] == datetime(2026, 1, 27, 20, 5, 47)
    assert rows[6]["ts"] == utc(2026, 1, 28, 1, 5, 47) and rows[6]["wall"] is None  # EST = -05:00
    assert rows[7]["wall"] == datetime(2026, 1, 27, 20, 7, 41) and rows[7]["format"] == "pasted-time-only"
    assert rows[10]["wall"] == datetime(2026, 1, 28, 0, 0, 2)  # 12:00:02 AM, after 11:59:58 PM
    assert rows[10]["kind"] == "reconnect_attempt" and rows[10]["backoff_ms"] == 2000 and rows[10]["after_code"] == 1005
    assert rows[11]["wall"] == datetime(2026, 1, 27, 23, 59, 58) and rows[11]["kind"] == "gateway_stop"
    assert rows[9]["kind"] == "gap"
    assert any("12-hour clock converted" in n for n in r.notes)


def test_mixed_journal_and_console_with_crlf_bom_ansi():
    raw = (CASES_DIR / "mixed-crlf" / "journal-and-console.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and b"\x1b[31m" in raw and b"[31m2026" in raw
    r = parse_case("mixed-crlf")
    rows = by_line(r)
    assert rows[1]["kind"] == "other" and rows[1]["text"].startswith("-- Boot")
    assert rows[2]["format"] == "journald-short-iso" and rows[2]["kind"] == "health_restart"
    assert rows[2]["ts"] == utc(2026, 2, 24, 1, 6, 14, 496000) and rows[2]["host"] == "gw-host"
    assert rows[5]["kind"] == "ws_close" and rows[5]["code"] == 1006 and rows[5]["ts"] == utc(2026, 2, 24, 1, 6, 16, 880000)
    assert rows[6]["backoff_ms"] == 1000 and rows[6]["after_code"] == 1006 and "[39m" not in rows[6]["text"]
    # bullet + local-offset console stamp; the stack trace under it inherits its time
    assert rows[7]["kind"] == "gateway_stop" and rows[7]["ts"] == utc(2026, 2, 24, 1, 6, 18, 415000)
    assert rows[8]["ts"] == rows[7]["ts"] and rows[8]["text"].startswith("at GatewayPlugin.registerClient")
    assert rows[9]["ts"] == rows[7]["ts"]
    # Windows / Python `2026-02-24 02:06:19,204 WARNING …`
    assert rows[10]["wall"] == datetime(2026, 2, 24, 2, 6, 19, 204000) and rows[10]["level"] == "warn"
    # journal `short` lines take the year of the nearest dated wall clock
    assert rows[11]["kind"] == "gateway_stop" and rows[11]["wall"] == datetime(2026, 2, 24, 2, 6, 19)
    assert rows[11]["wall_has_year"] is True and rows[11]["ts_note"].endswith("year from line 10")
    assert rows[13]["kind"] == "gateway_start" and rows[13]["pid"] == 2298
    assert r.lines == 13 and r.unparsed == 0


def test_bracketed_iso_and_unprefixed_console_lines():
    r = parse_case("bracketed-gateway-log")
    rows = by_line(r)
    assert rows[2]["ts"] == utc(2026, 5, 9, 9, 5, 0, 552000) and rows[2]["format"] == "pasted-bracketed-iso"
    assert rows[3]["kind"] == "other" and rows[3]["format"] == "pasted-untimed"  # `Disconnecting.`
    assert rows[6]["ts"] == utc(2026, 5, 9, 9, 5, 31, 2000) and rows[6]["code"] == 1006
    assert rows[7]["kind"] == "resume_attempt" and rows[7]["backoff_ms"] == 1107
    # bracketed ISO without a zone: wall clock with its year, zone left to the correlator
    assert rows[8]["ts"] is None and rows[8]["wall"] == datetime(2026, 5, 9, 17, 6, 20) and rows[8]["wall_has_year"]
    assert rows[10]["wall"] == datetime(2026, 5, 9, 17, 6, 27, 118000) and rows[10]["code"] == 1005
    assert rows[11]["kind"] == "gateway_error" and rows[11]["level"] == "warn"
    assert rows[11]["ts"] == utc(2026, 5, 9, 9, 6, 30, 643000)


def test_openclaw_logs_pretty_dated_from_the_log_file_header():
    r = parse_case("logs-pretty")
    rows = by_line(r)
    assert rows[2]["kind"] == "other" and rows[2]["format"] == "pasted"  # the `Log file:` header
    assert rows[3]["wall"] == datetime(2026, 2, 1, 23, 39, 35) and rows[3]["level"] == "debug"
    assert rows[3]["subsystem"] == "diagnostic" and rows[3]["text"].startswith("lane task done")
    assert rows[6]["kind"] == "gateway_start" and rows[6]["pid"] == 51536 and rows[6]["subsystem"] == "gateway"
    assert rows[8]["kind"] == "channel_conflict" and rows[8]["code"] == 409 and rows[8]["channel"] == "telegram"
    assert rows[8]["level"] == "warn"
    # the clock wraps after 23:41: the next day
    assert rows[9]["wall"] == datetime(2026, 2, 2, 0, 2, 11) and rows[9]["channel"] == "discord"
    assert rows[9]["code"] == 1006 and rows[10]["backoff_ms"] == 1000


def test_untimed_lines_cut_lines_and_bullets():
    r = parse_case("untimed-cut")
    rows = by_line(r)
    assert rows[3]["kind"] == "ws_close" and rows[3]["code"] == 1005 and rows[3]["ts_note"] == "no timestamp on this line"
    assert rows[8]["after_code"] == 1006
    assert rows[5]["kind"] == "unparsed"  # the user's own comment inside the block
    assert rows[9]["kind"] == "unparsed" and rows[9]["text"] == "ection closed with code 1005"  # cut mid-message
    assert rows[10]["subsystem"] == "discord" and rows[10]["text"].startswith("client initialized")
    assert rows[11]["kind"] == "gateway_error"


@pytest.mark.parametrize("marker", [
    "[... repeated ...]", "[... repeated through 20:09:38 ...]", "...", "…", "(snip)", "<snip>", "[truncated]",
    "... 2483 more lines", "[37 lines omitted]", "--", "(repeated 12 times)", "> [... repeated ...]", "- ...",
])
def test_elision_markers_are_gaps_never_events(marker):
    r = parse_bytes("2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms\n"
                    f"{marker}\n"
                    "2026-01-27T19:09:38.100Z [discord] gateway: WebSocket connection closed with code 1005\n")
    rows = by_line(r)
    assert rows[2]["kind"] == "gap" and rows[2]["ts"] is None and rows[2]["wall"] is None
    assert rows[1]["kind"] == "resume_attempt" and rows[3]["kind"] == "ws_close"


@pytest.mark.parametrize("prefix", [
    "gateway.log:123:", "123:", "123-", "/tmp/openclaw/openclaw-2026-01-27.log:12:", "C:\\Users\\sam\\gateway.log:7:",
    "gateway.log-124-", "> ", ">> ", "> > ", "- ", "* ", "1. ", "  184  ", "184\t", "gateway.err.log:", "gateway.log-",
    "  ", "- 123:",
])
def test_wrappers_before_a_console_line(prefix):
    r = parse_bytes(f"{prefix}2026-01-27T19:05:10.412Z [discord] gateway: WebSocket connection closed with code 1005\n")
    row = r.events.row(0, named=True)
    assert row["kind"] == "ws_close" and row["code"] == 1005 and row["subsystem"] == "discord"
    assert row["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)


@pytest.mark.parametrize("prefix", ["123:", "gateway.log:5:", "> "])
def test_wrappers_before_journal_and_time_only_lines(prefix):
    r = parse_bytes(f"{prefix}Jan 27 20:05:10 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n"
                    f"{prefix}2026-01-27T19:05:11.000Z [discord] gateway: x\n"
                    f"{prefix}19:05:12Z [discord] gateway: WebSocket connection closed with code 1005\n")
    rows = by_line(r)
    assert rows[1]["format"] == "journald-short" and rows[1]["pid"] == 43079 and rows[1]["backoff_ms"] == 1000
    assert rows[3]["ts"] == utc(2026, 1, 27, 19, 5, 12) and rows[3]["code"] == 1005


def test_hour_is_not_taken_for_a_grep_prefix():
    r = parse_bytes("2026-04-02T12:53:10.000+01:00 [gateway] listening on ws://127.0.0.1:18789 (PID 7)\n"
                    "12:53:14+01:00 [discord] gateway: WebSocket connection closed with code 1005\n")
    assert by_line(r)[2]["ts"] == utc(2026, 4, 2, 11, 53, 14)
    assert not any("wrappers" in n for n in r.notes)


def test_stamps_that_name_no_real_time_are_unparsed_with_reason():
    r = parse_bytes("2026-02-30T10:00:00.000Z [discord] gateway: WebSocket connection closed with code 1005\n"
                    "[2026-13-01 10:00:00] discord gateway: x\n"
                    "13:05:10 PM [discord] gateway: y\n")
    assert r.unparsed == 3
    assert any("3 a timestamp that names no real date or time" in n for n in r.notes)


def test_ansi_residue_without_escape_byte():
    r = parse_bytes("[90m2026-01-27T19:05:10.412Z[39m [36m[discord][39m gateway: [31mWebSocket connection closed with code 1005[39m\n")
    row = r.events.row(0, named=True)
    assert row["kind"] == "ws_close" and row["code"] == 1005 and "[3" not in row["text"]
    assert row["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)


def test_windows_and_dated_forms():
    r = parse_bytes(
        "2026-01-27 20:05:10,123 INFO discord gateway: Attempting resume with backoff: 1000ms\n"
        "2026-01-27 19:05:11 UTC [discord] gateway: WebSocket connection closed with code 1005\n"
        "Jan 27, 2026 8:05:12 PM [discord] gateway: WebSocket connection closed with code 1006\n"
        "27/01/2026 20:05:13 [discord] gateway: WebSocket connection closed with code 1000\n"
    )
    rows = by_line(r)
    assert rows[1]["wall"] == datetime(2026, 1, 27, 20, 5, 10, 123000) and rows[1]["level"] == "info"
    assert rows[2]["ts"] == utc(2026, 1, 27, 19, 5, 11)
    assert rows[3]["wall"] == datetime(2026, 1, 27, 20, 5, 12)
    assert rows[4]["wall"] == datetime(2026, 1, 27, 20, 5, 13)  # D/M/Y when the first number is no month


def test_clean_journal_reads_like_journald_text():
    """Delegation: a clean journal export gives the same rows through either parser."""
    data = (FIXTURES / "discord-reset-3106" / "journal.txt").read_bytes()
    a = pasted.parse(InputFile("journal.txt", data)).events
    b = journald_text.parse(InputFile("journal.txt", data)).events
    cols = ["line", "kind", "ts", "wall", "wall_has_year", "host", "ident", "pid", "subsystem", "code", "backoff_ms",
            "format", "text"]
    assert a.select(cols).equals(b.select(cols))


def test_binary_is_refused():
    with pytest.raises(InputError, match="binary"):
        pasted.parse(InputFile("x.bin", b"\x00\x01\x02"))


def test_empty_and_blank():
    r = parse_bytes("\n\n  \n")
    assert r.events.height == 0 and r.lines == 3


# --- sniffing -------------------------------------------------------------------------------


def _score(module, path: str, data: bytes) -> float:
    return module.sniff(Path(path), data[:65536])


@pytest.mark.parametrize("case", sorted(CASES))
def test_sniff_prefers_pasted_for_every_case(case):
    f = next(f for f in (CASES_DIR / case).iterdir() if f.name != "README.md")
    data = f.read_bytes()
    assert _score(pasted, f.name, data) > _score(journald_text, f.name, data)
    assert _score(pasted, f.name, data) >= 0.5


def test_sniff_leaves_clean_journal_exports_to_journald_text():
    for journal in sorted(FIXTURES.glob("**/journal.txt")):
        data = journal.read_bytes()
        jt_score = _score(journald_text, "journal.txt", data)
        if jt_score >= 0.6:
            assert _score(pasted, "journal.txt", data) < jt_score, journal


def test_sniff_markdown_with_fenced_log_block_is_certain():
    data = (CASES_DIR / "fenced-3106" / "issue-3106.md").read_bytes()
    assert _score(pasted, "issue-3106.md", data) >= 0.95
    assert _score(pasted, "notes.md", b"# Memory\n\n- 20:05 talked about tools\n\nNo logs here.\n") == 0.0


def test_sniff_rejects_json_and_transcripts():
    transcript = next((FIXTURES / "discord-reset-3106" / "agents" / "main" / "sessions").glob("*.jsonl")).read_bytes()
    store = (FIXTURES / "discord-reset-3106" / "agents" / "main" / "sessions" / "sessions.json").read_bytes()
    assert _score(pasted, "x.jsonl", transcript) == 0.0
    assert _score(pasted, "sessions.json", store) == 0.0
    assert _score(pasted, "openclaw-2026-01-27.log",
                  b'{"0":"x","_meta":{"date":"2026-01-27T19:05:10.412Z","logLevelName":"INFO"},"time":"2026-01-27T19:05:10.412Z"}\n') == 0.0
    assert _score(pasted, "prose.txt", b"Hello,\nthe bot stopped answering yesterday.\n") == 0.0
