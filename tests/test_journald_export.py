"""journalctl -o export: text and binary fields, record boundaries, damaged exports."""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from moltdiag.parsers import journald_export
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def text_record(message: str, realtime: str = "1769540710412345", pid: str = "43079", prio: str = "6") -> bytes:
    return (
        "__CURSOR=s=03f0;i=15a;b=deb4;m=295a8c8a;t=648;x=21dc\n"
        f"__REALTIME_TIMESTAMP={realtime}\n"
        "__MONOTONIC_TIMESTAMP=693800074\n"
        "_BOOT_ID=deb41e52398949dcb14c4a25cb000177\n"
        f"PRIORITY={prio}\n"
        "SYSLOG_IDENTIFIER=node\n"
        "_TRANSPORT=stdout\n"
        f"_PID={pid}\n"
        "_COMM=clawdbot-gatewa\n"
        "_SYSTEMD_USER_UNIT=clawdbot-gateway.service\n"
        "_HOSTNAME=host\n"
        f"MESSAGE={message}\n"
    ).encode()


def binary_field(name: bytes, value: bytes) -> bytes:
    return name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"


def parse(data: bytes, name: str = "journal.export"):
    result = journald_export.parse(InputFile(name=name, data=data))
    assert result.events.schema == pl.Schema(FULL_SCHEMA)
    return result


RESUME = "2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms"


def test_text_and_binary_records():
    colour = b"\x1b[31m2026-01-27T19:05:10.500Z [discord] gateway: WebSocket connection closed with code 1005\x1b[39m"
    second = (b"__CURSOR=s=2\n__REALTIME_TIMESTAMP=1769540710500100\n_HOSTNAME=host\nSYSLOG_IDENTIFIER=node\n"
              + binary_field(b"MESSAGE", colour) + b"_PID=43079\nPRIORITY=3\n")
    data = text_record(RESUME) + b"\n" + second + b"\n"
    r = parse(data)
    assert r.format == "journald-export" and r.lines == 2 and r.unparsed == 0 and r.notes == []
    first, close = r.events.to_dicts()
    assert first["ts"] == utc(2026, 1, 27, 19, 5, 10, 412345)
    assert first["ts_note"] == "journal __REALTIME_TIMESTAMP (UTC)"
    assert (first["host"], first["ident"], first["pid"], first["level"]) == ("host", "node", 43079, "info")
    assert first["kind"] == "resume_attempt" and first["backoff_ms"] == 1000 and first["channel"] == "discord"
    assert first["line"] == 1 and first["source"] == "journal.export" and first["format"] == "journald-export"

    assert close["line"] == 14  # 12 field lines + separator → record 2 starts on line 14
    assert close["kind"] == "ws_close" and close["code"] == 1005 and close["level"] == "error"
    assert close["text"] == "gateway: WebSocket connection closed with code 1005"
    assert close["ts"] == utc(2026, 1, 27, 19, 5, 10, 500100) and close["pid"] == 43079


def test_binary_length_containing_newline_byte_and_multiline_value():
    # length 10 is 0x0a: the length bytes themselves hold a newline
    value = b"\x1b[1mhi\x1b[0m"
    assert len(value) == 10
    multi = b"line one\nline two"
    data = (b"__REALTIME_TIMESTAMP=1769540710000000\n" + binary_field(b"MESSAGE", value) + b"_PID=1\n\n"
            + b"__REALTIME_TIMESTAMP=1769540711000000\n" + binary_field(b"MESSAGE", multi) + b"_PID=2\n\n"
            + text_record(RESUME))
    r = parse(data)
    assert r.lines == 3 and r.unparsed == 0
    ev = r.events.to_dicts()
    assert ev[0]["text"] == "hi" and ev[0]["pid"] == 1
    assert ev[1]["text"] == "line one\nline two" and ev[1]["pid"] == 2
    assert ev[2]["kind"] == "resume_attempt" and ev[2]["pid"] == 43079
    # physical lines: rec1 = 1..5 (+ the 0x0a inside the length) , rec2 starts after the blank line
    assert ev[0]["line"] == 1
    assert ev[1]["line"] == 7
    assert ev[2]["line"] == 13


def test_first_value_wins_and_unmapped_record():
    data = (text_record(RESUME).replace(b"_PID=43079\n", b"_PID=43079\n_PID=99\n") + b"\n"
            + b"__CURSOR=s=9\n__REALTIME_TIMESTAMP=1769540712000000\n_BOOT_ID=abc\n\n")
    r = parse(data)
    ev = r.events.to_dicts()
    assert ev[0]["pid"] == 43079
    assert ev[1]["kind"] == "other" and ev[1]["text"] is None and ev[1]["ts"] == utc(2026, 1, 27, 19, 5, 12)


def test_cut_inside_binary_field_keeps_the_partial_record():
    data = text_record(RESUME) + b"\n__REALTIME_TIMESTAMP=1769540711000000\n_PID=5\nMESSAGE\n" + struct.pack("<Q", 500) + b"short"
    r = parse(data)
    assert r.events.height == 2 and r.unparsed == 0
    assert r.events["pid"].to_list() == [43079, 5]
    assert r.events["text"][1] is None
    assert any("binary field" in n for n in r.notes)


def test_garbage_lines_between_records():
    stop = text_record("2026-01-27T19:05:10.500Z [gateway] signal SIGTERM received")
    data = text_record(RESUME) + b"\nthis line is noise\n\n" + stop
    r = parse(data)
    assert r.lines == 3 and r.unparsed == 1
    kinds = r.events["kind"].to_list()
    assert kinds == ["resume_attempt", "unparsed", "gateway_stop"]
    assert r.events["text"][1] == "this line is noise"


def test_crlf_and_bom():
    data = b"\xef\xbb\xbf" + text_record(RESUME).replace(b"\n", b"\r\n")
    (ev,) = parse(data).events.to_dicts()
    assert ev["host"] == "host" and ev["backoff_ms"] == 1000 and ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412345)


def test_not_an_export_raises_and_empty_is_empty():
    with pytest.raises(InputError, match="notes.txt"):
        parse(b"just some prose\nand more\n", name="notes.txt")
    r = parse(b"")
    assert r.events.height == 0 and r.lines == 0


def test_sniff():
    path = Path("journal.export")
    assert journald_export.sniff(path, text_record(RESUME)) == pytest.approx(0.95)
    assert journald_export.sniff(path, b"MESSAGE=hi\n_PID=1\nPRIORITY=6\n") == pytest.approx(0.7)
    assert journald_export.sniff(path, b'{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}\n') == 0.0
    assert journald_export.sniff(path, b"Jan 27 20:05:10 host node[43079]: x\n") == 0.0
    assert journald_export.sniff(path, b"KEY=value\nOTHER=1\n") == 0.0  # an env file is not a journal
    assert journald_export.sniff(path, b"") == 0.0
