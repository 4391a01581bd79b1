"""Transcript parser: real clawdbot 2026.1.24 run + synthetic samples in the spec's shapes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

from _realrun import R1, S1, S2, S3, S4, S5, S6  # noqa: F401
from moltdiag.parsers import transcript
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA

from _realrun import RUN  # noqa: E402
SESSIONS = RUN / "state-dir/agents/main/sessions"
needs_run = pytest.mark.skipif(not SESSIONS.is_dir(), reason="real-run corpus not available")


# ground truth from RUN.md: (physical lines, user msgs, assistant msgs, first user msg is reset prompt)
TRUTH = {
    S1: (12, 3, 4, False),
    S2: (10, 3, 3, True),
    S3: (12, 4, 4, True),
    S4: (8, 2, 2, False),
    S5: (8, 2, 2, True),
    S6: (8, 2, 2, True),
    R1: (6, 1, 1, False),
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse_bytes(name: str, data: bytes):
    return transcript.parse(InputFile(name=name, data=data))


def parse_real(sid: str):
    p = SESSIONS / f"{sid}.jsonl"
    return transcript.parse(InputFile(name=str(p), data=p.read_bytes(), path=p))


def user_rows(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("role") == "user").sort("line")


# ---------------------------------------------------------------------------------------
# Real run
# ---------------------------------------------------------------------------------------


@needs_run
def test_real_files_schema_and_counts():
    files = sorted(SESSIONS.glob("*.jsonl"))
    assert len(files) == 7
    frames = []
    for p in files:
        res = transcript.parse(InputFile(name=str(p), data=p.read_bytes(), path=p))
        assert res.format == "transcript"
        assert res.events.schema == pl.Schema(FULL_SCHEMA)
        assert res.unparsed == 0
        assert res.notes == []
        assert res.mtime is not None
        sid = p.name.removesuffix(".jsonl")
        lines, users, assistants, _ = TRUTH[sid]
        assert res.lines == lines
        assert res.events.height == lines
        ev = res.events
        assert ev["session_id"].unique().to_list() == [sid]
        assert ev["line"].to_list() == list(range(1, lines + 1))
        assert (ev["role"] == "user").sum() == users
        assert (ev["role"] == "assistant").sum() == assistants
        assert ev["ts"].null_count() == 0
        assert set(ev["ts_note"].unique()) == {"transcript timestamp (UTC)"}
        assert set(ev["format"].unique()) == {"transcript"}
        frames.append(ev)
    allev = pl.concat(frames)
    assert (allev["kind"] == "session_start").sum() == 7
    assert (allev["kind"] == "reset_prompt").sum() == 4  # S2, S3, S5, S6
    assert (allev["kind"] == "reset_notice").sum() == 0  # webchat: no delivery mirror in this run
    assert (allev["kind"] == "tool_result").sum() == 1


@needs_run
def test_real_s2_starts_with_reset_prompt():
    ev = parse_real(S2).events
    start = ev.filter(pl.col("kind") == "session_start").row(0, named=True)
    assert start["ts"] == utc(2026, 11, 25, 8, 41, 52, 648000)
    assert start["line"] == 1
    assert start["session_id"] == S2
    assert start["text"] == "session header v3 cwd=/srv/gateway1/home/clawd"
    first_user = user_rows(ev).row(0, named=True)
    assert first_user["kind"] == "reset_prompt"
    assert first_user["message_id"] == "run-1795596106682624106"
    assert first_user["message_id"].startswith("run-")
    assert first_user["text"].startswith("A new session was started via /new or /reset. Say hi briefly")
    # later user messages are ordinary
    assert user_rows(ev)["kind"].to_list() == ["reset_prompt", "user_message", "user_message"]


@needs_run
@pytest.mark.parametrize("sid", list(TRUTH))
def test_real_first_user_message(sid):
    ev = parse_real(sid).events
    first = user_rows(ev).row(0, named=True)
    assert (first["kind"] == "reset_prompt") is TRUTH[sid][3]
    assert first["message_id"].startswith("run-")


@needs_run
def test_real_s4_first_user_is_not_reset_prompt():
    first = user_rows(parse_real(S4).events).row(0, named=True)
    assert first["kind"] == "user_message"
    assert first["text"].startswith("Let's talk about the weekly plan.")
    assert first["message_id"] == "run-1795596457280558615"


@needs_run
def test_real_s1_tool_call_and_result():
    ev = parse_real(S1).events
    tool = ev.filter(pl.col("kind") == "tool_result").row(0, named=True)
    assert tool["role"] == "toolResult"
    assert tool["text"] == "[exec] 2026-11-25"
    call = ev.filter(pl.col("stop_reason") == "toolUse").row(0, named=True)
    assert call["kind"] == "assistant_message"
    assert "[toolCall exec]" in call["text"]
    kinds = ev["kind"].to_list()
    assert kinds[:4] == ["session_start", "model_change", "transcript_entry", "model_change"]


@needs_run
def test_real_sniff():
    for p in SESSIONS.glob("*.jsonl"):
        assert transcript.sniff(p, p.read_bytes()[:65536]) >= 0.9
    store = SESSIONS / "sessions.json"
    assert transcript.sniff(store, store.read_bytes()[:65536]) == 0.0
    cmd = RUN / "state-dir/logs/commands.log"
    assert transcript.sniff(cmd, cmd.read_bytes()[:65536]) == 0.0


# ---------------------------------------------------------------------------------------
# Synthetic samples (spec §4.10, §4.6, §5.2, §10)
# ---------------------------------------------------------------------------------------

DISCORD_NEW = (
    '{"type":"session","version":3,"id":"0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77","timestamp":"2026-01-27T19:05:10.512Z","cwd":"/home/alice"}\n'
    '{"type":"message","id":"a3f9c2d1","parentId":null,"timestamp":"2026-01-27T19:05:10.530Z","message":{"role":"assistant","content":[{"type":"text","text":"✅ New session started · model: anthropic/claude-opus-4-5"}],"api":"openai-responses","provider":"clawdbot","model":"delivery-mirror","usage":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"totalTokens":0,"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0}},"stopReason":"stop","timestamp":1769540710529}}\n'
    '{"type":"custom","customType":"model-snapshot","data":{"timestamp":1769540710874,"provider":"anthropic","modelApi":"anthropic-messages","modelId":"claude-opus-4-5"},"id":"5e81b0c4","parentId":"a3f9c2d1","timestamp":"2026-01-27T19:05:10.874Z"}\n'
    '{"type":"message","id":"0d4a77e2","parentId":"5e81b0c4","timestamp":"2026-01-27T19:05:10.880Z","message":{"role":"user","content":[{"type":"text","text":"A new session was started via /new or /reset. Say hi briefly (1-2 sentences) and ask what the user wants to do next. If the runtime model differs from default_model in the system prompt, mention the default model in the greeting. Do not mention internal steps, files, tools, or reasoning.\\n[message_id: 1465784686860165696]"}],"timestamp":1769540710880}}\n'
    '{"type":"message","id":"b571cece","parentId":"0d4a77e2","timestamp":"2026-01-27T19:05:14.903Z","message":{"role":"assistant","content":[{"type":"thinking","thinking":"Greet briefly.","thinkingSignature":"EqQBCkYIBxgCKkA"},{"type":"text","text":"Hey! Fresh session, ready when you are — what should we tackle?"}],"api":"anthropic-messages","provider":"anthropic","model":"claude-opus-4-5","usage":{"input":3,"output":41,"cacheRead":0,"cacheWrite":14207,"totalTokens":14251,"cost":{"input":0.000015,"output":0.001025,"cacheRead":0,"cacheWrite":0.08879375,"total":0.08983375}},"stopReason":"stop","timestamp":1769540714903}}\n'
)
DISCORD_SID = "0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77"

DAILY_NEW = (
    '{"type":"session","version":3,"id":"3f1c2b8e-5d4a-4e7b-9c1d-2a6b8e0f4d11","timestamp":"2026-01-28T03:00:12.004Z","cwd":"/home/alice/.openclaw/workspace"}\n'
    '{"type":"model_change","id":"912a3ed3","parentId":null,"timestamp":"2026-01-28T03:00:12.006Z","provider":"anthropic","modelId":"claude-opus-4-5"}\n'
    '{"type":"thinking_level_change","id":"5c57a2ca","parentId":"912a3ed3","timestamp":"2026-01-28T03:00:12.006Z","thinkingLevel":"low"}\n'
    '{"type":"custom","customType":"model-snapshot","data":{"timestamp":1769569212007,"provider":"anthropic","modelApi":"anthropic-messages","modelId":"claude-opus-4-5"},"id":"e4ed1fe5","parentId":"5c57a2ca","timestamp":"2026-01-28T03:00:12.007Z"}\n'
    '{"type":"message","id":"78983b3f","parentId":"e4ed1fe5","timestamp":"2026-01-28T03:00:12.009Z","message":{"role":"user","content":[{"type":"text","text":"[Discord My Server #general channel id:1460000000000000001 +8h 2026-01-28 04:00 GMT+1] Bob (bob): morning!\\n[message_id: 1465905400000000000]"}],"timestamp":1769569212009}}\n'
)


def test_discord_bare_new_example():
    res = parse_bytes(f"/home/alice/.clawdbot/agents/main/sessions/{DISCORD_SID}.jsonl", DISCORD_NEW.encode())
    ev = res.events
    assert res.lines == 5 and res.unparsed == 0 and res.notes == []
    assert ev["kind"].to_list() == ["session_start", "reset_notice", "model_change", "reset_prompt", "assistant_message"]
    assert ev["session_id"].unique().to_list() == [DISCORD_SID]
    assert ev["line"].to_list() == [1, 2, 3, 4, 5]

    head = ev.row(0, named=True)
    assert head["ts"] == utc(2026, 1, 27, 19, 5, 10, 512000)
    assert head["text"] == "session header v3 cwd=/home/alice"
    assert head["ts_note"] == "transcript timestamp (UTC)"

    notice = ev.row(1, named=True)
    assert notice["role"] == "assistant"
    assert notice["stop_reason"] == "stop"
    assert notice["text"] == "[delivery-mirror] ✅ New session started · model: anthropic/claude-opus-4-5"

    assert ev.row(2, named=True)["text"] == "model-snapshot anthropic/claude-opus-4-5 (anthropic-messages)"

    prompt = ev.row(3, named=True)
    assert prompt["role"] == "user"
    assert prompt["message_id"] == "1465784686860165696"
    assert prompt["ts"] == utc(2026, 1, 27, 19, 5, 10, 880000)
    assert prompt["text"].endswith("\n[message_id: 1465784686860165696]")  # text kept as is

    reply = ev.row(4, named=True)
    assert reply["text"] == "Hey! Fresh session, ready when you are — what should we tackle?"  # thinking dropped
    assert reply["message_id"] is None


def test_daily_reset_example_has_no_reset_markers():
    ev = parse_bytes("3f1c2b8e-5d4a-4e7b-9c1d-2a6b8e0f4d11.jsonl", DAILY_NEW.encode()).events
    assert ev["kind"].to_list() == ["session_start", "model_change", "transcript_entry", "model_change", "user_message"]
    assert ev.row(1, named=True)["text"] == "model_change anthropic/claude-opus-4-5"
    assert ev.row(2, named=True)["text"] == "thinking_level_change low"
    assert ev.row(4, named=True)["message_id"] == "1465905400000000000"
    assert ev.row(0, named=True)["text"] == "session header v3 cwd=/home/alice/.openclaw/workspace"


def test_content_as_plain_string_and_old_reset_prompt():
    data = (
        '{"type":"session","version":3,"id":"11111111-2222-4333-8444-555555555555","timestamp":"2025-12-01T10:00:00.000Z","cwd":"/home/a"}\n'
        '{"type":"message","id":"aa","parentId":null,"timestamp":"2025-12-01T10:00:00.100Z","message":{"role":"user","content":"A new session was started via /new. Say hi briefly and ask what the user wants to do next.","timestamp":1764583200100}}\n'
        '{"type":"message","id":"bb","parentId":"aa","timestamp":"2025-12-01T10:00:01.000Z","message":{"role":"user","content":"plain string body\\n[message_id: 42]\\n[message_id: 43]","timestamp":1764583201000}}\n'
        '{"type":"message","id":"cc","parentId":"bb","timestamp":"2025-12-01T10:00:02.000Z","message":{"role":"user","content":[{"type":"text","text":"look"},{"type":"image","data":"iVBORw0KGgo=","mimeType":"image/png"}],"timestamp":1764583202000}}\n'
    )
    ev = parse_bytes("11111111-2222-4333-8444-555555555555.jsonl", data.encode()).events
    assert ev["kind"].to_list() == ["session_start", "reset_prompt", "user_message", "user_message"]
    assert ev.row(1, named=True)["message_id"] is None
    plain = ev.row(2, named=True)
    assert plain["text"] == "plain string body\n[message_id: 42]\n[message_id: 43]"
    assert plain["message_id"] == "43"  # last occurrence
    assert ev.row(3, named=True)["text"] == "look\n[image]"


def test_reset_prompt_after_system_block_and_injected_reply():
    data = (
        '{"type":"session","version":3,"id":"22222222-2222-4333-8444-555555555555","timestamp":"2026-01-27T09:00:00.000Z","cwd":"/home/a"}\n'
        '{"type":"message","id":"aa","parentId":null,"timestamp":"2026-01-27T09:00:00.100Z","message":{"role":"user","content":[{"type":"text","text":"System: Discord: configured\\n\\nA new session was started via /new or /reset. Say hi briefly.\\n[message_id: 9]"}],"timestamp":1}}\n'
        '{"type":"message","id":"bb","timestamp":"2026-01-27T09:00:01.000Z","message":{"role":"assistant","content":[{"type":"text","text":"Status: ok"}],"timestamp":1769504401000,"stopReason":"injected","usage":{"input":0,"output":0,"totalTokens":0}}}\n'
        '{"type":"message","id":"cc","parentId":"bb","timestamp":"2026-01-27T09:00:02.000Z","message":{"role":"toolResult","toolCallId":"t1","toolName":"exec","content":[{"type":"text","text":"boom"}],"details":{},"isError":true,"timestamp":1}}\n'
        '{"type":"message","id":"dd","parentId":"cc","timestamp":"2026-01-27T09:00:03.000Z","message":{"role":"assistant","content":[],"api":"anthropic-messages","provider":"anthropic","model":"claude-opus-4-5","stopReason":"error","errorMessage":"529 overloaded","timestamp":1}}\n'
    )
    ev = parse_bytes("22222222-2222-4333-8444-555555555555.jsonl", data.encode()).events
    assert ev["kind"].to_list() == ["session_start", "reset_prompt", "assistant_message", "tool_result", "assistant_message"]
    assert ev.row(1, named=True)["message_id"] == "9"
    inj = ev.row(2, named=True)
    assert inj["text"] == "[injected] Status: ok" and inj["stop_reason"] == "injected" and inj["role"] == "assistant"
    assert ev.row(3, named=True)["text"] == "[exec error] boom"
    err = ev.row(4, named=True)
    assert err["stop_reason"] == "error" and err["text"] == "[error: 529 overloaded]"


def test_garbled_header_uses_file_name_uuid():
    sid = "33333333-2222-4333-8444-555555555555"
    data = (
        '{"type":"sess\n'
        '{"type":"message","id":"aa","parentId":null,"timestamp":"2026-01-27T09:00:00.100Z","message":{"role":"user","content":"hi","timestamp":1}}\n'
    )
    res = parse_bytes(f"/x/{sid}.jsonl", data.encode())
    ev = res.events
    assert ev["kind"].to_list() == ["unparsed", "user_message"]
    assert ev["session_id"].to_list() == [sid, sid]
    assert res.unparsed == 1 and res.event_count == 1
    assert ev.row(0, named=True)["text"] == '{"type":"sess'
    assert ev.row(0, named=True)["ts"] is None
    assert any("file name" in n and sid in n for n in res.notes)


def test_missing_header_without_uuid_name():
    data = '{"type":"message","id":"aa","parentId":null,"timestamp":"2026-01-27T09:00:00.100Z","message":{"role":"user","content":"hi"}}\n'
    res = parse_bytes("tail.jsonl", data.encode())
    assert res.events["session_id"].to_list() == [None]
    assert any("no valid session header" in n for n in res.notes)


def test_non_json_lines_are_kept_and_counted():
    data = DISCORD_NEW.splitlines(keepends=True)
    data.insert(2, "this is not json\n")
    data.insert(4, "[1, 2, 3]\n")
    data.insert(5, "\n")  # blank line: counted in lines, no event
    res = parse_bytes(f"{DISCORD_SID}.jsonl", "".join(data).encode())
    ev = res.events
    assert res.lines == 8
    assert res.unparsed == 2
    assert res.event_count == 5
    bad = ev.filter(pl.col("kind") == "unparsed")
    assert bad["line"].to_list() == [3, 5]
    assert bad["text"].to_list() == ["this is not json", "[1, 2, 3]"]
    assert bad["session_id"].to_list() == [DISCORD_SID, DISCORD_SID]
    assert ev.filter(pl.col("kind") == "reset_prompt")["line"].to_list() == [7]


def test_unknown_types_become_transcript_entry():
    data = (
        '{"type":"session","version":3,"id":"44444444-2222-4333-8444-555555555555","timestamp":"2026-01-27T09:00:00.000Z","cwd":"/h"}\n'
        '{"type":"custom","customType":"clawdbot.cache-ttl","data":{"timestamp":1,"provider":"anthropic","modelId":"m"},"id":"a","parentId":null,"timestamp":"2026-01-27T09:00:00.001Z"}\n'
        '{"type":"label","id":"b","parentId":"a","timestamp":"2026-01-27T09:00:00.002Z","targetId":"a","label":"x"}\n'
        '{"type":"brand_new_thing","id":"c","parentId":"b","timestamp":"2026-01-27T09:00:00.003Z"}\n'
        '{"type":"compaction","id":"d","parentId":"c","timestamp":"2026-01-27T21:40:02.118Z","summary":"## Goal","firstKeptEntryId":"c","tokensBefore":171342,"fromHook":true}\n'
        '{"type":"message","id":"e","parentId":"d","timestamp":"2026-01-27T21:40:03+01:00","message":{"role":"custom","content":"ext","timestamp":1}}\n'
    )
    ev = parse_bytes("44444444-2222-4333-8444-555555555555.jsonl", data.encode()).events
    assert ev["kind"].to_list() == [
        "session_start", "transcript_entry", "transcript_entry", "transcript_entry", "compaction", "transcript_entry",
    ]
    assert ev.row(1, named=True)["text"].startswith("custom clawdbot.cache-ttl")
    assert "brand_new_thing" in ev.row(3, named=True)["text"]
    assert "tokensBefore=171342" in ev.row(4, named=True)["text"]
    off = ev.row(5, named=True)
    assert off["ts"] == utc(2026, 1, 27, 20, 40, 3)
    assert off["ts_note"] == "transcript timestamp (offset +01:00 given)"


def test_entry_without_iso_timestamp_uses_message_epoch_ms():
    data = '{"type":"message","id":"a","message":{"role":"user","content":"x","timestamp":1769540710880}}\n'
    ev = parse_bytes("55555555-2222-4333-8444-555555555555.jsonl", data.encode()).events
    row = ev.row(0, named=True)
    assert row["ts"] == utc(2026, 1, 27, 19, 5, 10, 880000)
    assert row["ts_note"] == "transcript message epoch ms (UTC)"


def test_archived_reset_file_name():
    name = f"/s/{DISCORD_SID}.jsonl.reset.2026-01-27T19-05-10.512Z"
    res = parse_bytes(name, DISCORD_NEW.encode())
    ev = res.events
    assert res.lines == 5
    arch = ev.filter(pl.col("kind") == "session_archive")
    assert arch.height == 1
    row = arch.row(0, named=True)
    assert row["line"] == 0
    assert row["ts"] == utc(2026, 1, 27, 19, 5, 10, 512000)
    assert row["session_id"] == DISCORD_SID
    assert row["text"].startswith("archived on reset")
    assert (ev["kind"] == "session_start").sum() == 1
    assert any("archived" in n for n in res.notes)


@pytest.mark.parametrize(
    ("suffix", "word"),
    [(".deleted.2026-01-27T19-05-10.512Z", "sessions.delete"), (".bak.2026-01-27T19-05-10Z", "sessions.compact")],
)
def test_archived_other_reasons(suffix, word):
    ev = parse_bytes(f"{DISCORD_SID}.jsonl{suffix}", DISCORD_NEW.encode()).events
    row = ev.filter(pl.col("kind") == "session_archive").row(0, named=True)
    assert word in row["text"]
    assert row["ts"].replace(microsecond=0) == utc(2026, 1, 27, 19, 5, 10)


def test_forked_thread_transcript():
    sid = "5e2f0000-1111-4222-8333-444444444444"
    data = (
        f'{{"type":"session","version":3,"id":"{sid}","timestamp":"2026-01-27T19:05:10.123Z","cwd":"/home/alice",'
        '"parentSession":"/home/alice/.openclaw/agents/main/sessions/0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77.jsonl"}\n'
    )
    name = f"2026-01-27T19-05-10-123Z_{sid}.jsonl"
    res = parse_bytes(name, data.encode())
    row = res.events.row(0, named=True)
    assert row["kind"] == "session_start"
    assert row["text"] == (
        "session header v3 cwd=/home/alice "
        "parentSession=/home/alice/.openclaw/agents/main/sessions/0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77.jsonl"
    )
    assert transcript.sniff(Path(name), b"") >= 0.85


def test_crlf_lines():
    res = parse_bytes(f"{DISCORD_SID}.jsonl", DISCORD_NEW.replace("\n", "\r\n").encode())
    assert res.unparsed == 0 and res.events.height == 5


def test_empty_file():
    res = parse_bytes(f"{DISCORD_SID}.jsonl", b"")
    assert res.events.height == 0
    assert res.lines == 0
    assert res.events.schema == pl.Schema(FULL_SCHEMA)


def test_binary_file_raises_naming_file():
    with pytest.raises(InputError, match="blob.jsonl"):
        parse_bytes("/tmp/blob.jsonl", b'{"type":"session"}\n\x00\x01\x02\xff')


def test_invalid_utf8_is_replaced_and_noted():
    data = DISCORD_NEW.encode().replace("Fresh session".encode(), b"Fresh \xff session")
    res = parse_bytes(f"{DISCORD_SID}.jsonl", data)
    assert res.unparsed == 0
    assert "\ufffd" in res.events.row(4, named=True)["text"]
    assert any("UTF-8" in n for n in res.notes)


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------


def test_sniff_positive():
    head = DISCORD_NEW.encode()
    assert transcript.sniff(Path(f"{DISCORD_SID}.jsonl"), head) >= 0.9
    assert transcript.sniff(Path("whatever.txt"), head) >= 0.9  # header by content
    assert transcript.sniff(Path(f"{DISCORD_SID}.jsonl.reset.2026-01-27T19-05-10.512Z"), b"") >= 0.85
    assert transcript.sniff(Path(f"{DISCORD_SID}-topic-1769540710.123459.jsonl"), head) >= 0.9
    assert transcript.sniff(Path(f"{DISCORD_SID}.checkpoint.{DISCORD_SID}.jsonl"), head) >= 0.9
    # JSONL of message entries without a header (a tail): medium
    tail = b"\n".join(DISCORD_NEW.encode().splitlines()[1:])
    assert 0.4 <= transcript.sniff(Path("pasted.jsonl"), tail) < 0.9


def test_sniff_negative():
    cmd = b'{"timestamp":"2026-01-27T19:05:10.498Z","action":"new","sessionKey":"agent:main:main","senderId":"1","source":"discord"}\n'
    assert transcript.sniff(Path("commands.log"), cmd) == 0.0
    store = b'{\n  "agent:main:main": {\n    "sessionId": "5b0d2f4e-8c71-4a09-9e3b-1f6a2c7d9e40"\n  }\n}'
    assert transcript.sniff(Path("sessions.json"), store) == 0.0
    assert transcript.sniff(Path("journal.txt"), b"Jan 27 19:05:10 host node[1]: hello\n") == 0.0
    filelog = b'{"0":"{\\"subsystem\\":\\"gateway\\"}","1":"listening","_meta":{"date":"2026-01-27T19:05:10.000Z"},"time":"2026-01-27T19:05:10.000Z"}\n'
    assert transcript.sniff(Path("clawdbot-2026-01-27.log"), filelog) == 0.0
    assert transcript.sniff(Path("blob.bin"), b"\x00\x01\x02") == 0.0
    # a uuid-named .jsonl that is a cron run log, not a transcript
    cron = b'{"ts":1769540710000,"jobId":"x","action":"finished","status":"ok"}\n'
    assert transcript.sniff(Path(f"{DISCORD_SID}.jsonl"), cron) < 0.5


def test_message_id_from_conversation_info_block_of_later_builds():
    from moltdiag.parsers.transcript import _last_message_id

    text = ('Conversation info (untrusted metadata):\n```json\n{"channel": "discord", "message_id": "1465784686860165696",'
            ' "chat_type": "channel"}\n```\n\nhello there')
    assert _last_message_id(text) == "1465784686860165696"
    assert _last_message_id("plain text without ids") is None
    # The bracket suffix still wins where both exist.
    assert _last_message_id(text + "\n[message_id: 42]") == "42"


# ---------------------------------------------------------------------------------------
# The fast per-line loop against the row-dict reader it replaced
# ---------------------------------------------------------------------------------------
# parse() handles headers and user / assistant / toolResult messages inline (_message_fields,
# _fast_ts, _fast_text) and sends every other entry through _classify / _entry_ts. The
# reference below is the earlier reader: one row dict per line from _classify / _entry_ts,
# rows_to_frame. Both must give the same frame, lines and notes on every tricky line.


def _reference_parse(name: str, data: bytes):
    source = InputFile(name=name, data=data)
    text, notes = transcript.decode_text(source, "session transcript")
    lines = transcript.split_lines(text)
    name_m = transcript.match_name(name)
    name_sid = name_m.group("sid").lower() if name_m and name_m.group("sid") else None
    parsed = transcript.json_lines(lines)
    first_header_id = next((obj["id"] for _, _, obj in parsed if transcript._is_header(obj)), None)
    first_ok = bool(parsed) and transcript._is_header(parsed[0][2])
    fallback = name_sid or first_header_id
    if parsed and not first_ok:
        if name_sid:
            notes.append(f"no valid session header on line {parsed[0][0]}; session_id taken from the file name ({name_sid})")
        elif first_header_id:
            notes.append(f"no valid session header on line {parsed[0][0]}; session_id taken from the first header found ({first_header_id})")
        else:
            notes.append("no valid session header and no uuid in the file name; session_id left empty")
    if first_header_id and name_sid and first_header_id.lower() != name_sid:
        notes.append(f"header id {first_header_id} differs from the file name's uuid {name_sid}")
    rows, current = [], fallback
    base = {"source": name, "format": "transcript"}
    for i, raw, obj in parsed:
        if not isinstance(obj, dict):
            rows.append({**base, "ts": None, "ts_note": "no timestamp (unparsed line)", "line": i,
                         "kind": "unparsed", "session_id": current, "text": raw})
            continue
        if transcript._is_header(obj):
            current = obj["id"]
            us, how = transcript.iso_to_us(obj.get("timestamp"))
            desc = f"session header v{obj.get('version', '?')} cwd={obj.get('cwd', '?')}"
            if obj.get("parentSession"):
                desc += f" parentSession={obj['parentSession']}"
            rows.append({**base, "ts": us, "ts_note": f"transcript timestamp ({how})" if us is not None else "no timestamp in header",
                         "line": i, "kind": "session_start", "session_id": current, "text": desc})
            continue
        us, note = transcript._entry_ts(obj)
        row = transcript._classify(obj, raw)
        row.update({**base, "ts": us, "ts_note": note, "line": i, "session_id": current})
        rows.append(row)
    if name_m and name_m.group("reason"):
        reason, stamp = name_m.group("reason").lower(), name_m.group("ats")
        rows.append({**base, "ts": transcript.archive_ts_to_us(stamp), "ts_note": "archive time from the file name (UTC)",
                     "line": 0, "kind": "session_archive", "session_id": current or fallback,
                     "text": f"{transcript._ARCHIVE_TEXT[reason]} at {stamp}"})
        notes.append(f"archived transcript ({reason}); session_archive event at line 0, time from the file name")
    if name_m and name_m.groupdict().get("fts"):
        notes.append(f"forked thread transcript (fork time in name: {name_m.group('fts')})")
    return transcript.rows_to_frame(rows), len(lines), notes


UA = "11111111-2222-4333-8444-555555555555"
UB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
HDR = '{"type":"session","version":3,"id":"%s","timestamp":"2026-01-27T19:05:10.412Z","cwd":"/w"}'
TRICKY_LINES = [
    '{"type":"message","timestamp":"2026-01-27T19:05:11Z","message":{"role":"user","content":"plain [message_id: 42]"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:12+01:00","message":{"role":"user","content":[{"type":"text","text":"A new session was started via /new or /reset. hi"},{"type":"image"},"bare",7,{"type":"thinking","thinking":"x"},{"type":"weird"}]}}',
    '{"type":"message","timestamp":"2026-01-27 19:05:13","message":{"role":"assistant","content":[{"type":"toolCall","name":"exec"},{"type":"text","text":"  ✅ New session started · model: x"}],"model":"delivery-mirror","stopReason":"stop"}}',
    '{"type":"message","message":{"role":"assistant","content":[],"stopReason":"injected","errorMessage":"boom","timestamp":1769540713000}}',
    '{"type":"message","timestamp":1769540714000,"message":{"role":"assistant","content":null,"stopReason":5,"errorMessage":""}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:14Z","message":{"role":"assistant","content":[{"type":"text","text":7}],"stopReason":"stop"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:14Z","message":{"role":"assistant","content":[{"type":"text","text":"✅ New session started"}],"stopReason":"injected"}}',
    '{"type":"message","timestamp":"garbage","message":{"role":"toolResult","toolName":"read","isError":true,"content":[{"type":"text","text":"no such file"}]}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:15z","message":{"role":"toolResult","content":"ok","isError":1}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:15Z","message":{"role":"toolResult","toolName":7,"content":{"a":1}}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:16Z","message":{"role":"system","content":{"a":1}}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:16Z","message":{"role":["user"],"content":"x"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:16Z","message":"not a dict"}',
    '{"type":"message","timestamp":"2026-01-27T19:05:16Z"}',
    '{"type":"message","timestamp":"2026-01-27T19:05:16Z","message":{"content":"no role"}}',
    '{"type":"compaction","timestamp":"2026-01-27T19:05:17Z","tokensBefore":123,"firstKeptEntryId":"x","fromHook":true,"summary":{"s":1}}',
    '{"type":"model_change","timestamp":"2026-01-27T19:05:18Z","provider":"p","modelId":"m"}',
    '{"type":"custom","customType":"model-snapshot","data":{"provider":"p","modelId":"m","modelApi":"a"},"timestamp":"2026-01-27T19:05:18Z"}',
    '{"type":"custom","customType":"other","data":[1,2],"timestamp":"2026-01-27T19:05:18Z"}',
    '{"type":"thinking_level_change","thinkingLevel":"high","timestamp":"2026-01-27T19:05:19Z"}',
    '{"type":"custom_message","customType":"ct","content":[{"type":"text","text":"t"}],"timestamp":"2026-01-27T19:05:19Z"}',
    '{"type":"branch_summary","fromId":"z","summary":"s","timestamp":"2026-01-27T19:05:19Z"}',
    '{"type":"label","targetId":"t","label":"l","timestamp":"2026-01-27T19:05:19Z"}',
    '{"type":"session_info","name":"n","timestamp":"2026-01-27T19:05:19Z"}',
    '{"type":"reset","reason":"daily","firstKeptEntryId":"q","timestamp":"2026-01-27T19:05:19Z"}',
    '{"type":"reset","reason":{"x":1}}',
    '{"type":{"nested":true},"timestamp":"2026-01-27T19:05:20Z"}',
    '{"type":"unknown_kind","timestamp":"2026-01-27T19:05:20Z"}',
    '{"no_type":1}',
    '[1,2,3]',
    '"just a string"',
    'null',
    'not json at all {',
    '',
    '   ',
    '\t{"type":"message","timestamp":"2026-01-27T19:05:20Z","message":{"role":"user","content":"leading tab"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:21.123456789Z","message":{"role":"user","content":[{"type":"text","text":"Conversation info (untrusted metadata):\\n```json\\n{\\"message_id\\": \\"9876\\"}\\n```"}]}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:22Z","message":{"role":"user","content":"A new session was started via /new. old [message_id: 1] [message_id: 2]"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:22Z","message":{"role":"user","content":"A new session was started via /newish, message_id"}}',
    '{"type":"message","timestamp":{"a":1},"message":{"role":"user","content":"ts is an object"}}',
    '{"type":"message","timestamp":true,"message":{"role":"user","content":"ts is bool","timestamp":true}}',
    '{"type":"message","message":{"role":"user","content":"absurd ms","timestamp":1e20}}',
    '{"type":"message","message":{"role":"user","content":"float ms","timestamp":1769540713000.6}}',
    '{"type":"message","timestamp":"","message":{"role":"user","content":"empty ts"}}',
    '{"type":"message","timestamp":"Z","message":{"role":"user","content":"only Z"}}',
    '{"type":"message","timestamp":" 2026-01-27T19:05:23Z","message":{"role":"user","content":"leading space ts"}}',
    '{"type":"message","timestamp":"2026-02-30T19:05:23Z","message":{"role":"user","content":"no such day","timestamp":1769540713000}}',
    '{"type":"message","timestamp":"20260127T190523Z","message":{"role":"user","content":"basic format"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:23.5-05:30","message":{"role":"user","content":"offset ts"}}',
    '{"type":"message","timestamp":"2026-01-27T19:05:23","message":{"role":"user","content":"\\u0000 and \\ud83d\\ude00"}}',
    '{"type":"session","version":3,"id":"","timestamp":"2026-01-27T19:06:00Z"}',
    '{"type":"session","id":5}',
    '{"type":"session","version":2,"id":"%s","timestamp":"nope","cwd":"/x","parentSession":"/p/old.jsonl"}' % UB,
    '{"type":"message","timestamp":"2026-01-27T19:06:01Z","message":{"role":"user","content":"dup"},"message":{"role":"assistant","content":"dup"}}',
    '{"type":"message","timestamp":"2026-01-27T19:06:02Z","message":{"role":"user","content":"trailing"}}   ',
]


def _tricky_cases() -> dict[str, bytes]:
    body = "\n".join(TRICKY_LINES).encode()
    return {
        f"{UA}.jsonl": (HDR % UA).encode() + b"\n" + body + b"\n",
        # no header: rows before any header take the file name's uuid
        f"{UA}.jsonl.bak.2026-01-27T19-05-10.512Z": body,
        # garbled first line, no uuid in the name: the first header found
        "notes.jsonl": b'{"type":"sess\n' + body + b"\n",
        # no header and no uuid anywhere
        "bare.jsonl": b"\n".join(x.encode() for x in TRICKY_LINES if '"session"' not in x),
        # CRLF, BOM, invalid UTF-8, a blank CRLF line, no final newline
        f"{UB}-topic-7.jsonl.reset.2026-01-27T19-05-10Z": b"\xef\xbb\xbf" + (HDR % UB).encode() + b"\r\n"
        + b'{"type":"message","timestamp":"2026-01-27T19:05:11Z","message":{"role":"user","content":"bad \xff\xfe"}}\r\n\r\n'
        + b'garbled \xc3\x28 line\r\n' + body.replace(b"\n", b"\r\n"),
        f"2026-01-27T19-05-10-512Z_{UA}.jsonl": (HDR % UB).encode() + b"\n[]\n",
        f"{UA}.jsonl.deleted.2026-01-27T19-05-10.512Z": b"",
        "only-blank.jsonl": b"\n\n  \n",
        "lone-cr.jsonl": b'{"type":"message","message":{"role":"user","content":"a\rb"}}\r\r\n{"type":"x"}\r',
        "unicode-space.jsonl": '\u2028\n\x85\n{"type":"x"}\x0b\n'.encode(),
    }


@pytest.mark.parametrize("name", list(_tricky_cases()))
def test_fast_reader_matches_reference(name):
    data = _tricky_cases()[name]
    res = parse_bytes(name, data)
    ref, nlines, notes = _reference_parse(name, data)
    assert res.events.schema == pl.Schema(FULL_SCHEMA)
    assert res.events.equals(ref, null_equal=True)
    assert res.lines == nlines
    assert res.notes == notes


@pytest.mark.parametrize("line", [x for x in TRICKY_LINES if x.strip()])
def test_inline_fields_match_classify(line):
    """Line by line: the inline message fields and timestamp agree with _classify / _entry_ts."""
    import orjson

    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return
    if not isinstance(obj, dict):
        return
    assert transcript._fast_ts(obj) == transcript._entry_ts(obj)
    msg = obj.get("message")
    if obj.get("type") != "message" or not isinstance(msg, dict):
        return
    fields = transcript._message_fields(msg)
    row = transcript._classify(obj, line)
    if fields is None:
        assert row.get("role") not in ("user", "assistant", "toolResult")
        return
    kind, role, text, mid, stop = fields
    assert (kind, role, text, mid, stop) == (
        row["kind"], row.get("role"), row["text"], row.get("message_id"), row.get("stop_reason"))


def test_columns_to_frame_matches_rows_to_frame():
    rows = [
        {"ts": 1769540713000000, "ts_note": "a", "source": "s", "line": 1, "format": "transcript", "kind": "user_message",
         "session_id": "x", "role": "user", "text": "t", "message_id": "1"},
        {"ts": None, "ts_note": "b", "source": "s", "line": 2, "format": "transcript", "kind": "unparsed", "text": "raw"},
    ]
    cols = {name: [r.get(name) for r in rows] for name in ("ts", "ts_note", "source", "line", "format", "kind",
                                                          "session_id", "role", "text", "message_id")}
    assert transcript.columns_to_frame(cols, 2).equals(transcript.rows_to_frame(rows), null_equal=True)
    assert transcript.columns_to_frame({}, 0).equals(transcript.rows_to_frame([]), null_equal=True)
    # longer than the cached null columns: built, not sliced
    n = transcript._NULL_CACHE_LEN + 3
    big = transcript.columns_to_frame({"line": list(range(n))}, n)
    assert big.height == n and big["host"].null_count() == n and big.schema == pl.Schema(FULL_SCHEMA)


@pytest.mark.parametrize("head", [
    b"", b"\n\n", b"  \n" + (HDR % UA).encode() + b"\n", (HDR % UA).encode(), b"garbage\n" + (HDR % UA).encode(),
    b'{"type":"session","id":5}\n', b'{"type":"session","id":""}\n', b'[1]\n',
    b'{"type":"message","message":{"role":"user"}}\n',
    b'{"ts":1,"jobId":"x"}\n{"ts":2}\n',
    (HDR % UA).encode() + b"\n" + b"x" * 70000,  # cut head: the header line is complete
    b"x" * 70000,  # one cut line and nothing else
    b"{" + b" " * (65536 - len(HDR % UA)) + (HDR % UA).encode()[1:],  # exactly 64 KiB, one line, no newline
    (HDR % UA).encode()[:40] + b" " * 70000,
    b"\n" * 70000 + (HDR % UA).encode(),  # the header is the cut last piece: not looked at
])
@pytest.mark.parametrize("fname", [f"{UA}.jsonl", "notes.jsonl", f"cron/runs/{UA}.jsonl", "x.txt"])
def test_sniff_shortcut_matches_full_sniff(head, fname):
    head = head[:65536]
    assert transcript.sniff(Path(fname), head) == transcript._sniff_head(Path(fname), head)
    objs = transcript._head_objects(head)
    assert transcript._first_head_object(head) == (objs[0] if objs else None)


# sessions.json (session_store._key_lines shares nothing with transcripts but lives in this
# speed-up: it found each key with a regex compiled per key, past re's 512-pattern cache)


def _reference_key_lines(text: str, keys: list[str]) -> dict[str, int]:
    import re

    import orjson

    out, pos, line = {}, 0, 1
    for key in keys:
        rx = re.compile(re.escape(orjson.dumps(key).decode()) + r"\s*:")
        m = rx.search(text, pos) or rx.search(text)
        if m is None:
            continue
        start = m.start()
        line = line + text.count("\n", pos, start) if start >= pos else text.count("\n", 0, start) + 1
        pos = start
        out[key] = line
    return out


@pytest.mark.parametrize("text,keys", [
    ('{\n  "a": {"b": "a"},\n  "b" :\n 1,\n "c"\t:2}', ["a", "b", "c"]),
    ('{"x": "a", "a": 1}', ["a"]),  # the key's text occurs first as a value
    ('{"a":1,\n"b":2,\n"a" : 3}', ["b", "a"]),  # out of order: searched again from the top
    ('{"k\\"q": 1, "ü\\n": 2}', ['k"q', "ü\n"]),
    ('{"aa": 1, "a": 2}', ["a", "missing"]),
    ('{\n' + ",\n".join(f'"agent:main:k{i}": {{"sessionId": "k{i}"}}' for i in range(700)) + "\n}",
     [f"agent:main:k{i}" for i in range(700)]),
])
def test_session_store_key_lines_match_regex_search(text, keys):
    from moltdiag.parsers import session_store

    assert session_store._key_lines(text, keys) == _reference_key_lines(text, keys)
