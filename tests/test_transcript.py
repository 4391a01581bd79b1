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
