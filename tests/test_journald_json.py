"""journalctl -o json (spec §8.3.2–8.3.3): field mapping, byte-array MESSAGE, damaged lines."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import orjson
import polars as pl
import pytest

from moltdiag.parsers import journald_json
from moltdiag.parsers.base import InputFile
from moltdiag.schema import FULL_SCHEMA

# The spec's example record (§8.3.3), verbatim apart from the elided cursor.
SPEC_RECORD = (
    '{"__CURSOR":"s=03f0;i=15a;b=deb4;m=295a8c8a;t=648;x=21dc","__REALTIME_TIMESTAMP":"1769540710412345",'
    '"__MONOTONIC_TIMESTAMP":"693800074","_BOOT_ID":"deb41e52398949dcb14c4a25cb000177",'
    '"_MACHINE_ID":"3d1219c7c4c5404aaa1f6d2a48adfda4","_HOSTNAME":"host","PRIORITY":"6",'
    '"SYSLOG_IDENTIFIER":"node","_TRANSPORT":"stdout","_STREAM_ID":"cce5d37b714c416392180bfa3152ffee",'
    '"_PID":"43079","_UID":"1000","_GID":"1000","_COMM":"clawdbot-gatewa","_EXE":"/usr/bin/node",'
    '"_CMDLINE":"clawdbot-gateway","_SYSTEMD_CGROUP":"/user.slice/user-1000.slice/user@1000.service/app.slice/'
    'clawdbot-gateway.service","_SYSTEMD_UNIT":"user@1000.service","_SYSTEMD_USER_UNIT":"clawdbot-gateway.service",'
    '"_SYSTEMD_SLICE":"user-1000.slice","_SYSTEMD_USER_SLICE":"app.slice","_SYSTEMD_OWNER_UID":"1000",'
    '"MESSAGE":"2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms"}'
)
BASE = orjson.loads(SPEC_RECORD)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def record(**fields) -> bytes:
    return orjson.dumps({**BASE, **fields})


def parse(data: bytes, name: str = "journal.json"):
    result = journald_json.parse(InputFile(name=name, data=data))
    assert result.events.schema == pl.Schema(FULL_SCHEMA)
    return result


def test_spec_record():
    r = parse(SPEC_RECORD.encode() + b"\n")
    assert r.format == "journald-json" and r.lines == 1 and r.unparsed == 0
    (ev,) = r.events.to_dicts()
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412345)
    assert ev["ts_note"] == "journal __REALTIME_TIMESTAMP (UTC)"
    assert (ev["host"], ev["ident"], ev["pid"], ev["level"]) == ("host", "node", 43079, "info")
    assert ev["kind"] == "resume_attempt" and ev["backoff_ms"] == 1000
    assert ev["subsystem"] == "discord" and ev["channel"] == "discord"
    assert ev["text"] == "gateway: Attempting resume with backoff: 1000ms"
    assert (ev["source"], ev["line"], ev["format"]) == ("journal.json", 1, "journald-json")
    assert ev["wall"] is None


def test_realtime_wins_over_embedded_console_stamp():
    # receive time 2 s after the process stamp: the journal's time orders the journal
    (ev,) = parse(record(__REALTIME_TIMESTAMP="1769540712000000")).events.to_dicts()
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 12) and ev["ts_note"] == "journal __REALTIME_TIMESTAMP (UTC)"


def test_embedded_stamp_used_when_no_realtime():
    obj = {k: v for k, v in BASE.items() if k != "__REALTIME_TIMESTAMP"}
    (ev,) = parse(orjson.dumps(obj)).events.to_dicts()
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000) and ev["ts_note"].startswith("gateway console stamp")


def test_message_as_byte_array_with_colour():
    msg = b"\x1b[31m2026-01-27T19:05:10.500Z [discord] gateway: WebSocket connection closed with code 1005\x1b[39m"
    data = b"\n".join([SPEC_RECORD.encode(), record(MESSAGE=list(msg), __REALTIME_TIMESTAMP="1769540710500100")]) + b"\n"
    r = parse(data)
    assert r.unparsed == 0
    ev = r.events.to_dicts()[1]
    assert ev["kind"] == "ws_close" and ev["code"] == 1005 and ev["channel"] == "discord"
    assert ev["text"] == "gateway: WebSocket connection closed with code 1005"
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 500100) and ev["line"] == 2


def test_byte_array_with_invalid_utf8():
    (ev,) = parse(record(MESSAGE=[104, 105, 0xFF, 33])).events.to_dicts()
    assert ev["text"] == "hi\ufffd!" and ev["kind"] == "other"


def test_message_null_and_missing():
    obj = {k: v for k, v in BASE.items() if k != "MESSAGE"}
    r = parse(record(MESSAGE=None) + b"\n" + orjson.dumps(obj))
    assert r.unparsed == 0
    for ev in r.events.to_dicts():
        assert ev["kind"] == "other" and ev["text"] is None and ev["pid"] == 43079
        assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412345)


def test_non_json_lines_are_unparsed_and_counted():
    data = b"\n".join([
        b"-- No entries --",
        SPEC_RECORD.encode(),
        b"Jan 27 20:05:10 host node[43079]: pasted text line",
        record(MESSAGE="2026-01-27T19:05:10.500Z [discord] gateway: WebSocket connection closed with code 1005"),
        b'{"__REALTIME_TIMESTAMP":"1769540711000000","MESSAGE":"cut he',  # cut last line
    ])
    r = parse(data)
    assert r.lines == 5 and r.unparsed == 3 and r.event_count == 2
    ev = r.events.to_dicts()
    assert [e["kind"] for e in ev] == ["unparsed", "resume_attempt", "unparsed", "ws_close", "unparsed"]
    assert ev[2]["text"] == "Jan 27 20:05:10 host node[43079]: pasted text line" and ev[2]["line"] == 3
    assert ev[4]["text"].startswith('{"__REALTIME_TIMESTAMP"') and ev[4]["ts"] is None
    assert any("3 line(s) are not JSON objects" in n for n in r.notes)


def test_bad_line_inside_a_bulk_chunk_falls_back_per_line(monkeypatch):
    monkeypatch.setattr(journald_json, "_CHUNK", 4)
    lines = [record(__REALTIME_TIMESTAMP=str(1769540710000000 + i)) for i in range(10)]
    lines[5] = b'{"MESSAGE": oops}'
    lines[7] = record(_PID=["43079", "43080"])  # a field with two values
    r = parse(b"\n".join(lines) + b"\n")
    assert r.events.height == 10 and r.unparsed == 1
    ev = r.events.to_dicts()
    assert ev[5]["kind"] == "unparsed" and ev[5]["line"] == 6
    assert ev[7]["pid"] == 43079 and ev[7]["kind"] == "resume_attempt"
    assert ev[9]["ts"] == utc(2026, 1, 27, 19, 5, 10, 9)
    assert r.events["line"].to_list() == list(range(1, 11))


@pytest.mark.parametrize("prio,level", [("0", "fatal"), ("2", "fatal"), ("3", "error"), ("4", "warn"),
                                        ("5", "info"), ("6", "info"), ("7", "debug"), ("x", None)])
def test_priority_levels(prio, level):
    (ev,) = parse(record(PRIORITY=prio)).events.to_dicts()
    assert ev["level"] == level


def test_systemd_lines_and_missing_fields():
    obj = {"__REALTIME_TIMESTAMP": "1769540712000000", "_HOSTNAME": "host", "SYSLOG_IDENTIFIER": "systemd",
           "_PID": "1234", "PRIORITY": "6",
           "MESSAGE": "openclaw-gateway.service: Scheduled restart job, restart counter is at 3."}
    (ev,) = parse(orjson.dumps(obj)).events.to_dicts()
    assert (ev["ident"], ev["pid"], ev["kind"]) == ("systemd", 1234, "gateway_restart")
    (ev,) = parse(b'{"MESSAGE":"hello"}').events.to_dicts()
    assert ev["ts"] is None and ev["host"] is None and ev["kind"] == "other" and ev["text"] == "hello"


def test_json_pretty_and_json_seq():
    pretty = orjson.dumps(BASE, option=orjson.OPT_INDENT_2).decode().replace('": ', '" : ')
    r = parse((pretty + "\n" + pretty + "\n").encode())
    assert r.unparsed == 0 and r.events.height == 2
    assert r.events["kind"].to_list() == ["resume_attempt", "resume_attempt"]
    assert r.events["line"][1] == pretty.count("\n") + 2
    r = parse(b"\x1e" + SPEC_RECORD.encode() + b"\n")
    assert r.unparsed == 0 and r.events["backoff_ms"][0] == 1000


def test_bom_crlf_and_blank_lines():
    data = b"\xef\xbb\xbf" + SPEC_RECORD.encode() + b"\r\n\r\n" + record(_PID="7") + b"\r\n"
    r = parse(data)
    assert r.lines == 3 and r.events.height == 2 and r.unparsed == 0
    assert r.events["pid"].to_list() == [43079, 7] and r.events["line"].to_list() == [1, 3]


def test_empty_file():
    r = parse(b"")
    assert r.events.height == 0 and r.lines == 0 and r.unparsed == 0


def test_sniff():
    path = Path("journal.json")
    assert journald_json.sniff(path, SPEC_RECORD.encode() + b"\n" + record() + b"\n") == pytest.approx(0.95)
    assert journald_json.sniff(path, b'{"MESSAGE":"hi","PRIORITY":"6"}\n') == pytest.approx(0.6)
    # negatives: a transcript, the gateway's JSON file log, journal text, export
    transcript = b'{"type":"session","version":3,"id":"2dd2d3d0-20f1-4000-a951-4d4c52c06bea","cwd":"/home/alice"}\n'
    filelog = (b'{"0":"{\\"subsystem\\":\\"gateway/channels/discord\\"}","1":"discord gateway: x",'
               b'"_meta":{"logLevelName":"INFO"},"time":"2026-01-27T19:05:10.412Z"}\n')
    assert journald_json.sniff(path, transcript) == 0.0
    assert journald_json.sniff(path, filelog) == 0.0
    assert journald_json.sniff(path, b"Jan 27 20:05:10 host node[43079]: x\n") == 0.0
    assert journald_json.sniff(path, b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\nMESSAGE=x\n") == 0.0
    assert journald_json.sniff(path, b"") == 0.0


@pytest.mark.parametrize("size", [1, 700, 4096])
def test_read_in_small_pieces_gives_the_same_events(size, monkeypatch):
    """Streaming (parsers/streaming.py): pieces cut anywhere, the same events, lines and notes."""
    from moltdiag.parsers import streaming

    data = b"\n".join([
        b"\xef\xbb\xbf" + SPEC_RECORD.encode(),
        b"-- No entries --",
        record(MESSAGE="2026-01-27T19:05:10.500Z [discord] gateway: WebSocket connection closed with code 1005"),
        b"",
        record(MESSAGE=[27, 91, 51, 49, 109, 104, 105, 255, 27, 91, 51, 57, 109]),
        record(_PID="7", MESSAGE="2026-01-27T19:05:11.000Z [discord] gateway: Attempting resume with backoff: 1000ms"),
        b'{"__REALTIME_TIMESTAMP":"1769540711000000","MESSAGE":"cut he',
    ])
    whole = parse(data)
    monkeypatch.setattr(streaming, "CHUNK_BYTES", size)
    pieces = parse(data)
    assert pieces.events.equals(whole.events)
    assert (pieces.lines, pieces.notes, pieces.unparsed) == (whole.lines, whole.notes, whole.unparsed) == (7, whole.notes, 2)
    assert pieces.events["line"].to_list() == [1, 2, 3, 5, 6, 7]
