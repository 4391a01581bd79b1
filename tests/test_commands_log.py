"""commands.log parser: real clawdbot 2026.1.24 run + spec §5.3 shape."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from moltdiag.parsers import commands_log
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA

from _realrun import RUN  # noqa: E402
CMDLOG = RUN / "state-dir/logs/commands.log"
needs_run = pytest.mark.skipif(not CMDLOG.is_file(), reason="real-run corpus not available")

SPEC_LINE = (
    '{"timestamp":"2026-01-27T19:05:10.498Z","action":"new",'
    '"sessionKey":"agent:main:discord:channel:1460000000000000001","senderId":"301234567890123456","source":"discord"}'
)


def parse_bytes(name: str, data: bytes):
    return commands_log.parse(InputFile(name=name, data=data))


@needs_run
def test_real_commands_log():
    res = commands_log.parse(InputFile(name=str(CMDLOG), data=CMDLOG.read_bytes(), path=CMDLOG))
    ev = res.events
    assert res.format == "commands-log"
    assert ev.schema == pl.Schema(FULL_SCHEMA)
    assert res.lines == 5 and res.unparsed == 0 and res.notes == []
    assert ev["kind"].to_list() == ["command_log"] * 5
    assert ev["text"].to_list() == [
        "/new by cli via webchat",
        "/reset by cli via webchat",
        "/new by cli via webchat",
        "/new by cli via webchat",
        "/reset by cli via webchat",
    ]
    assert ev["line"].to_list() == [1, 2, 3, 4, 5]
    assert ev["session_key"].unique().to_list() == ["agent:main:main"]
    assert ev["channel"].unique().to_list() == ["webchat"]
    assert ev["message_id"].null_count() == 5
    assert set(ev["ts_note"]) == {"commands.log timestamp (UTC)"}
    u = timezone.utc
    assert ev["ts"].to_list() == [
        datetime(2026, 11, 25, 8, 41, 51, 708000, tzinfo=u),
        datetime(2026, 11, 25, 8, 42, 41, 79000, tzinfo=u),
        datetime(2026, 11, 25, 8, 47, 42, 973000, tzinfo=u),
        datetime(2026, 11, 25, 8, 48, 11, 294000, tzinfo=u),
        datetime(2026, 11, 25, 8, 48, 42, 424000, tzinfo=u),
    ]
    assert commands_log.sniff(CMDLOG, CMDLOG.read_bytes()) >= 0.9


def test_spec_line():
    ev = parse_bytes("commands.log", (SPEC_LINE + "\n").encode()).events
    row = ev.row(0, named=True)
    assert row["kind"] == "command_log"
    assert row["ts"] == datetime(2026, 1, 27, 19, 5, 10, 498000, tzinfo=timezone.utc)
    assert row["session_key"] == "agent:main:discord:channel:1460000000000000001"
    assert row["channel"] == "discord"
    assert row["text"] == "/new by 301234567890123456 via discord"
    assert row["message_id"] is None and row["session_id"] is None


def test_non_json_line_is_unparsed_and_blank_skipped():
    data = f"{SPEC_LINE}\n\ngarbage here\n{{\"foo\": 1}}\n{SPEC_LINE}".encode()
    res = parse_bytes("commands.log", data)
    ev = res.events
    assert res.lines == 5
    assert ev["kind"].to_list() == ["command_log", "unparsed", "unparsed", "command_log"]
    assert ev["line"].to_list() == [1, 3, 4, 5]
    assert res.unparsed == 2 and res.event_count == 2
    assert ev.filter(pl.col("kind") == "unparsed")["text"].to_list() == ["garbage here", '{"foo": 1}']


def test_bad_timestamp_keeps_row():
    ev = parse_bytes("commands.log", b'{"timestamp":"yesterday","action":"reset","sessionKey":"k"}\n').events
    row = ev.row(0, named=True)
    assert row["kind"] == "command_log" and row["ts"] is None
    assert "unreadable" in row["ts_note"]
    assert row["text"] == "/reset by ? via ?"


def test_empty_and_binary():
    res = parse_bytes("commands.log", b"")
    assert res.events.height == 0 and res.lines == 0
    with pytest.raises(InputError, match="commands.log"):
        parse_bytes("/x/commands.log", b"\x00\x01")


def test_sniff():
    line = (SPEC_LINE + "\n").encode()
    assert commands_log.sniff(Path("commands.log"), line) >= 0.9
    assert commands_log.sniff(Path("commands.log"), b"") >= 0.9
    assert commands_log.sniff(Path("copied.txt"), line * 3) >= 0.9
    # negatives
    header = b'{"type":"session","version":3,"id":"0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77","timestamp":"2026-01-27T19:05:10.512Z","cwd":"/h"}\n'
    assert commands_log.sniff(Path("0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77.jsonl"), header) == 0.0
    assert commands_log.sniff(Path("sessions.json"), b'{\n  "agent:main:main": {\n    "sessionId": "s"\n  }\n}') == 0.0
    cron = b'{"ts":1769540710000,"jobId":"x","action":"finished","status":"ok"}\n'
    assert commands_log.sniff(Path("x.jsonl"), cron) == 0.0
    assert commands_log.sniff(Path("gateway.log"), b"2026-01-27T19:05:10.412Z [discord] gateway: hi\n") == 0.0
