"""sessions.json parser: real clawdbot 2026.1.24 run (store + snapshots) + spec §3.4 shapes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import orjson
import polars as pl
import pytest

from moltdiag.parsers import session_store
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA

from _realrun import RUN  # noqa: E402
STORE = RUN / "state-dir/agents/main/sessions/sessions.json"
SNAPS = RUN / "sessions-json-snapshots"
needs_run = pytest.mark.skipif(not STORE.is_file(), reason="real-run corpus not available")


def parse_bytes(name: str, data: bytes):
    return session_store.parse(InputFile(name=name, data=data))


def by_key(df: pl.DataFrame) -> dict[str, dict]:
    return {r["session_key"]: r for r in df.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------
# Real run
# ---------------------------------------------------------------------------------------


@needs_run
def test_real_store():
    raw = STORE.read_bytes()
    res = session_store.parse(InputFile(name=str(STORE), data=raw, path=STORE))
    assert res.format == "sessions-json"
    assert res.events.schema == pl.Schema(FULL_SCHEMA)
    assert res.unparsed == 0 and res.notes == []
    assert res.lines == raw.count(b"\n") + 1  # written without a trailing newline
    rows = by_key(res.events)
    assert list(rows) == ["agent:main:main", "agent:main:research"]
    main, research = rows["agent:main:main"], rows["agent:main:research"]
    assert main["session_id"] == "58cd6ec6-ad0c-4a66-a723-5ea1d74db7ad"
    assert research["session_id"].startswith("90fa10e4-")
    assert research["session_id"] == "90fa10e4-26b1-44e4-a338-b5d80e1dd294"
    assert {r["kind"] for r in rows.values()} == {"session_store_entry"}
    assert {r["channel"] for r in rows.values()} == {"webchat"}

    store = orjson.loads(raw)
    for key, row in rows.items():
        ms = store[key]["updatedAt"]
        assert row["ts"] == datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
        assert row["ts_note"] == "sessions.json updatedAt epoch ms (UTC)"
        # line of `  "<key>": {` in the file (2-space indent, top level)
        expected = raw.decode().splitlines().index(f'  "{key}": {{') + 1
        assert row["line"] == expected
    assert main["line"] == 2
    assert main["text"].startswith("agent:main:main -> 58cd6ec6-ad0c-4a66-a723-5ea1d74db7ad (sessionFile ")
    assert "58cd6ec6-ad0c-4a66-a723-5ea1d74db7ad.jsonl" in main["text"]
    assert "chatType direct" in main["text"]
    # 08:48:56.936 UTC: last activity of S6 (its user message at 08:48:56)
    assert main["ts"] == datetime(2026, 11, 25, 8, 48, 56, 936000, tzinfo=timezone.utc)


@needs_run
@pytest.mark.parametrize(
    ("snap", "sid"),
    [
        ("sessions.json.after-msg3", "2dd2d3d0-20f1-4000-a951-4d4c52c06bea"),
        ("sessions.json.after-new1", "8b95442f-2dab-4baf-8e90-ec4a3a2241b5"),
        ("sessions.json.after-reset1", "3d078cfd-51f5-46f3-a402-f50259f22fcf"),
        ("sessions.json.after-new2", "54a50ba7-de83-4a0b-b2f3-ffa871933561"),
        ("sessions.json.after-new3", "d50c1679-b548-49bd-8467-5289e6352263"),
        ("sessions.json.after-reset2", "58cd6ec6-ad0c-4a66-a723-5ea1d74db7ad"),
    ],
)
def test_real_snapshots_show_rotation(snap, sid):
    p = SNAPS / snap
    assert session_store.sniff(p, p.read_bytes()[:65536]) >= 0.9
    rows = by_key(parse_bytes(str(p), p.read_bytes()).events)
    assert rows["agent:main:main"]["session_id"] == sid


@needs_run
def test_real_sniff():
    assert session_store.sniff(STORE, STORE.read_bytes()[:65536]) >= 0.9
    # content alone (renamed copy) is enough
    assert session_store.sniff(Path("copy-of-store.txt"), STORE.read_bytes()[:65536]) >= 0.8
    for p in (RUN / "state-dir/agents/main/sessions").glob("*.jsonl"):
        assert session_store.sniff(p, p.read_bytes()[:65536]) == 0.0
    cmd = RUN / "state-dir/logs/commands.log"
    assert session_store.sniff(cmd, cmd.read_bytes()) == 0.0


# ---------------------------------------------------------------------------------------
# Synthetic (spec §3.4)
# ---------------------------------------------------------------------------------------

SPEC_STORE = {
    "agent:main:main": {
        "sessionId": "5b0d2f4e-8c71-4a09-9e3b-1f6a2c7d9e40",
        "updatedAt": 1769536112400,
        "systemSent": True,
        "abortedLastRun": False,
        "chatType": "direct",
        "deliveryContext": {"channel": "discord", "to": "user:301234567890123456", "accountId": "default"},
        "lastChannel": "discord",
        "origin": {"label": "alice user id:301234567890123456", "provider": "discord", "surface": "discord"},
        "sessionFile": "/home/alice/.openclaw/agents/main/sessions/5b0d2f4e-8c71-4a09-9e3b-1f6a2c7d9e40.jsonl",
        "compactionCount": 1,
    },
    "agent:main:discord:channel:1460000000000000001": {
        "sessionId": "0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77",
        "updatedAt": 1769540714960,
        "chatType": "channel",
        "channel": "discord",
        "displayName": "discord:1450000000000000000#general",
        "origin": {"provider": "Discord", "from": "discord:channel:1460000000000000001"},
        "sessionFile": "/home/alice/.openclaw/agents/main/sessions/0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77.jsonl",
        "compactionCount": 0,
    },
    "agent:main:telegram:dm:42": {"sessionId": "aaaaaaaa-8c71-4a09-9e3b-1f6a2c7d9e40", "deliveryContext": {"channel": "telegram"}},
}


def spec_bytes(store=SPEC_STORE) -> bytes:
    return orjson.dumps(store, option=orjson.OPT_INDENT_2)


def test_spec_example():
    data = spec_bytes()
    res = parse_bytes("sessions.json", data)
    ev = res.events
    assert ev.height == 3 and res.unparsed == 0
    rows = by_key(ev)
    main = rows["agent:main:main"]
    assert main["ts"] == datetime(2026, 1, 27, 17, 48, 32, 400000, tzinfo=timezone.utc)
    assert main["channel"] == "discord"
    assert main["session_id"] == "5b0d2f4e-8c71-4a09-9e3b-1f6a2c7d9e40"
    assert main["line"] == 2
    guild = rows["agent:main:discord:channel:1460000000000000001"]
    assert guild["channel"] == "discord"  # origin.provider, lower-cased
    assert "displayName discord:1450000000000000000#general" in guild["text"]
    lines = data.decode().splitlines()
    assert lines[guild["line"] - 1] == '  "agent:main:discord:channel:1460000000000000001": {'
    tg = rows["agent:main:telegram:dm:42"]
    assert tg["channel"] == "telegram"  # deliveryContext.channel
    assert tg["ts"] is None and tg["ts_note"] == "no updatedAt in entry"
    assert tg["text"] == "agent:main:telegram:dm:42 -> aaaaaaaa-8c71-4a09-9e3b-1f6a2c7d9e40"


def test_compact_one_line_store():
    res = parse_bytes("sessions.json", orjson.dumps(SPEC_STORE))
    assert res.lines == 1
    assert res.events["line"].to_list() == [1, 1, 1]


def test_trailing_commas_and_comments_tolerated():
    data = (
        b'{\n'
        b'  // JSON5 comment\n'
        b'  "agent:main:main": {\n'
        b'    "sessionId": "5b0d2f4e-8c71-4a09-9e3b-1f6a2c7d9e40",\n'
        b'    "updatedAt": 1769536112400, /* inline */\n'
        b'    "note": "a, } // not a comment",\n'
        b'  },\n'
        b'}\n'
    )
    res = parse_bytes("sessions.json", data)
    assert res.events.height == 1
    row = res.events.row(0, named=True)
    assert row["session_id"] == "5b0d2f4e-8c71-4a09-9e3b-1f6a2c7d9e40"
    assert row["line"] == 3
    assert any("JSON5" in n for n in res.notes)


def test_invalid_json_raises_with_line_and_column():
    data = b'{\n  "agent:main:main": {\n    "sessionId": "x"\n    "updatedAt": 1\n  }\n}'
    with pytest.raises(InputError) as exc:
        parse_bytes("/s/sessions.json", data)
    msg = str(exc.value)
    assert "/s/sessions.json" in msg and "line 4" in msg and "column" in msg


def test_top_level_not_object_raises():
    with pytest.raises(InputError, match="not a session store"):
        parse_bytes("sessions.json", b"[1, 2]")


def test_non_object_entry_is_unparsed():
    res = parse_bytes("sessions.json", b'{\n  "agent:main:main": "oops",\n  "agent:main:x": {"sessionId": "s"}\n}')
    assert res.unparsed == 1 and res.event_count == 1
    bad = res.events.filter(pl.col("kind") == "unparsed").row(0, named=True)
    assert bad["line"] == 2 and bad["text"] == '"agent:main:main": "oops"'


def test_empty_store_and_empty_file():
    assert parse_bytes("sessions.json", b"{}").events.height == 0
    res = parse_bytes("sessions.json", b"")
    assert res.events.height == 0 and res.lines == 0
    assert res.events.schema == pl.Schema(FULL_SCHEMA)


def test_binary_raises():
    with pytest.raises(InputError, match="sessions.json"):
        parse_bytes("sessions.json", b"\x00\x00\x00")


def test_sniff_positive():
    data = spec_bytes()
    assert session_store.sniff(Path("sessions.json"), data) >= 0.9
    assert session_store.sniff(Path("/x/sessions.json.bak.1769540710000"), data) >= 0.9
    assert session_store.sniff(Path("sessions.json.after-new1"), data) >= 0.9
    assert session_store.sniff(Path("store-copy.json"), data) >= 0.9
    # a head cut inside a big store still sniffs by shape
    assert session_store.sniff(Path("big.json"), data[:200]) >= 0.8


def test_sniff_negative():
    assert session_store.sniff(Path("sessions.json.lock"), b'{"pid":123,"startedAt":1769540710000}') == 0.0
    cli_json = b'{"path":"/x/sessions.json","count":1,"sessions":[{"key":"agent:main:main","sessionId":"s"}]}'
    assert session_store.sniff(Path("out.json"), cli_json) == 0.0
    assert session_store.sniff(Path("openclaw.json"), b'{"agents":{"defaults":{"workspace":"/w"}}}') == 0.0
    header = b'{"type":"session","version":3,"id":"0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77","timestamp":"2026-01-27T19:05:10.512Z","cwd":"/h"}\n'
    assert session_store.sniff(Path("0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77.jsonl"), header) == 0.0
    assert session_store.sniff(Path("x.bin"), b"\x00\x01") == 0.0
