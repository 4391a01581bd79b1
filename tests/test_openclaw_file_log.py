"""Gateway file log (spec §8.1), `openclaw logs --json` (§9), flat JSON shapes (§8.1.3, §8.2)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import polars as pl
import pytest

from moltdiag.parsers import openclaw_file_log as fl
from moltdiag.parsers.base import HEAD_BYTES, InputFile
from moltdiag.schema import FULL_SCHEMA

from _realrun import RUN  # noqa: E402

REAL = RUN / "file-log" / "clawdbot-2026-11-25.log"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="real-run corpus not available")

# §8.1.3, verbatim.
DISCORD_RECORD = (
    '{"0":"{\\"subsystem\\":\\"gateway/channels/discord\\"}","1":"discord gateway: Attempting resume with backoff: '
    '1000ms","_meta":{"runtime":"node","runtimeVersion":"22.22.0","hostname":"unknown","name":"{\\"subsystem\\":'
    '\\"gateway/channels/discord\\"}","parentNames":["clawdbot"],"date":"2026-01-27T19:05:10.411Z","logLevelId":3,'
    '"logLevelName":"INFO","path":{"fullFilePath":"file:///home/alice/.npm-global/lib/node_modules/clawdbot/dist/'
    'logging/subsystem.js:231:16","fileName":"subsystem.js","fileNameWithLine":"subsystem.js:231","fileColumn":"16",'
    '"fileLine":"231","filePath":".npm-global/lib/node_modules/clawdbot/dist/logging/subsystem.js","filePathWithLine":'
    '".npm-global/lib/node_modules/clawdbot/dist/logging/subsystem.js:231","method":"logToFile"}},'
    '"time":"2026-01-27T19:05:10.412Z"}'
)
PATH_META = orjson.loads(DISCORD_RECORD)["_meta"]["path"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def tslog(*args, name: str = "openclaw", parents: list[str] | None = None, level: str = "INFO",
          date: str = "2026-01-30T19:05:10.501Z", time: str | None = "2026-01-30T19:05:10.502Z",
          hostname: str = "unknown", **extra) -> str:
    """A record as tslog's JSON transport writes it (§8.1.2 key order)."""
    obj: dict = {str(i): a for i, a in enumerate(args)}
    meta = {"runtime": "node", "runtimeVersion": "22.22.0", "hostname": hostname, "name": name}
    if parents is not None:
        meta["parentNames"] = parents
    meta |= {"date": date, "logLevelId": 3, "logLevelName": level, "path": PATH_META}
    obj |= extra
    obj["_meta"] = meta
    if time is not None:
        obj["time"] = time
    return orjson.dumps(obj).decode()


def sub(subsystem: str, *args, **kw) -> str:
    binding = orjson.dumps({"subsystem": subsystem}).decode()
    return tslog(binding, *args, name=binding, parents=["openclaw"], **kw)


def parse(lines: list[str] | bytes, name: str = "/tmp/openclaw/openclaw-2026-01-27.log"):
    data = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode()
    result = fl.parse(InputFile(name=name, data=data))
    assert result.events.schema == pl.Schema(FULL_SCHEMA)
    return result


def one(line: str) -> dict:
    r = parse([line])
    assert r.lines == 1 and r.events.height == 1
    return r.events.to_dicts()[0]


# --- the real run ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    data = REAL.read_bytes()
    return fl.parse(InputFile(name=str(REAL), data=data, path=REAL)), data


@needs_real
def test_real_no_event_lost(real):
    r, data = real
    non_blank = sum(1 for line in data.decode().splitlines() if line.strip())
    assert r.lines == 298 == non_blank
    assert r.event_count + r.unparsed == non_blank
    assert r.unparsed == 0
    assert r.format == "openclaw-file-log"
    assert set(r.events["format"].unique()) == {"openclaw-file-log"}
    assert r.events["line"].to_list() == list(range(1, 299))
    assert r.events["ts"].null_count() == 0
    assert set(r.events["ts_note"].unique()) == {"file-log time (UTC)"}
    assert r.events["ts"].is_sorted()


@needs_real
def test_real_gateway_runs(real):
    r, _ = real
    starts = r.events.filter(pl.col("kind") == "gateway_start")
    assert starts.select("line", "ts", "pid", "subsystem").rows() == [
        (10, utc(2026, 11, 25, 8, 40, 5, 610000), 19184, "gateway"),
        (48, utc(2026, 11, 25, 8, 45, 49, 28000), 23110, "gateway"),
    ]
    assert starts["text"].to_list() == ["listening on ws://127.0.0.1:18789 (PID 19184)",
                                        "listening on ws://127.0.0.1:18789 (PID 23110)"]
    stops = r.events.filter(pl.col("kind") == "gateway_stop")
    assert stops.select("ts", "text").rows() == [
        (utc(2026, 11, 25, 8, 43, 25, 130000), "signal SIGTERM received"),
        (utc(2026, 11, 25, 8, 43, 25, 132000), "received SIGTERM; shutting down"),
        (utc(2026, 11, 25, 8, 49, 14, 749000), "signal SIGTERM received"),
        (utc(2026, 11, 25, 8, 49, 14, 751000), "received SIGTERM; shutting down"),
    ]
    # RUN.md: SIGTERM at 08:43:25.130 and 08:49:14.749
    assert set(stops["subsystem"]) == {"gateway"}


@needs_real
def test_real_fields(real):
    r, _ = real
    ev = r.events
    counts = dict(ev.group_by("subsystem").len().iter_rows())
    assert counts["gateway/ws"] == 208
    assert counts["gateway"] == 13
    assert counts["session-memory"] == 33  # root-logger console capture, tag split off
    assert counts["cron"] == 2  # module logger
    assert counts[None] == 32  # CLI output, hook registration, runId acks, bonjour
    assert set(ev["level"]) == {"info"}
    assert ev["host"].null_count() == ev.height  # hostname "unknown" everywhere
    assert set(ev["ident"]) == {"clawdbot"}
    assert any('hostname "unknown"' in n for n in r.notes)
    by_line = {row["line"]: row for row in ev.to_dicts()}
    assert by_line[8]["text"] == 'heartbeat: started {"intervalMs":1800000}'
    assert by_line[8]["subsystem"] == "gateway/heartbeat"
    assert by_line[18]["text"] == 'cron: started {"enabled":true,"jobs":0,"nextWakeAtMs":null}'
    assert by_line[25]["subsystem"] == "session-memory"
    assert by_line[25]["text"] == "Hook triggered for /new command"
    assert by_line[1]["text"] == "Wrote ~/.clawdbot/clawdbot.json" and by_line[1]["subsystem"] is None
    assert by_line[21]["text"].startswith('{\n  "runId": "run-1795596058201468312"')
    assert by_line[7]["text"].startswith("canvas host mounted at http://127.0.0.1:18789/")
    assert not ev["text"].str.contains('{"subsystem"', literal=True).any()


@needs_real
def test_real_per_line_path_matches_bulk(real, monkeypatch):
    """The orjson fallback reads every line exactly as the Polars bulk path does."""
    r, data = real

    def fail(*_a, **_k):
        raise pl.exceptions.ComputeError("forced")

    monkeypatch.setattr(fl, "_ndjson", fail)
    slow = fl.parse(InputFile(name=str(REAL), data=data))
    assert slow.events.equals(r.events)


@needs_real
def test_real_sniff():
    head = REAL.read_bytes()[:HEAD_BYTES]
    assert fl.sniff(REAL, head) >= 0.95
    assert fl.sniff(Path("copy.jsonl"), head) >= 0.9  # content alone


# --- synthetic records in the spec's shapes ------------------------------------------


def test_discord_subsystem_record():
    ev = one(DISCORD_RECORD)
    assert ev["kind"] == "resume_attempt" and ev["backoff_ms"] == 1000 and ev["after_code"] is None
    assert ev["channel"] == "discord"
    assert ev["subsystem"] == "gateway/channels/discord"
    assert ev["text"] == "discord gateway: Attempting resume with backoff: 1000ms"
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)
    assert ev["ts_note"] == "file-log time (UTC)"
    assert (ev["level"], ev["host"], ev["ident"], ev["pid"]) == ("info", None, "clawdbot", None)
    assert (ev["format"], ev["line"]) == ("openclaw-file-log", 1)
    assert ev["wall"] is None


def test_metadata_object_then_message():
    ev = one(sub("gateway/heartbeat", {"intervalMs": 1800000}, "heartbeat: started", time="2026-01-27T19:01:55.020Z"))
    assert ev["text"] == 'heartbeat: started {"intervalMs":1800000}'
    assert ev["subsystem"] == "gateway/heartbeat" and ev["kind"] == "other"
    assert ev["ts"] == utc(2026, 1, 27, 19, 1, 55, 20000)


def test_discord_close_with_metadata_and_error_object():
    err = {"nativeError": {}, "name": "Error", "message": "socket hang up", "stack": [{"fileName": "x.js"}]}
    ev = one(sub("gateway/channels/discord", {"attempt": 3}, "discord gateway: WebSocket connection closed with code 1006",
                 err, level="WARN"))
    assert ev["kind"] == "ws_close" and ev["code"] == 1006 and ev["level"] == "warn"
    assert ev["text"].startswith("discord gateway: WebSocket connection closed with code 1006 {")
    assert ev["text"].endswith('"message":"socket hang up","stack":[{"fileName":"x.js"}]}')


def test_root_logger_console_capture_slow_listener():
    ev = one(tslog("[EventQueue] Slow listener detected: InteractionEventListener took 4503ms for event INTERACTION_CREATE",
                   level="WARN", date="2026-01-27T19:05:10.100Z", time="2026-01-27T19:05:10.101Z"))
    assert ev["kind"] == "slow_listener"
    assert ev["duration_ms"] == 4503.0
    assert ev["listener"] == "InteractionEventListener" and ev["event_name"] == "INTERACTION_CREATE"
    assert ev["subsystem"] == "EventQueue" and ev["channel"] == "discord"
    assert ev["text"] == "Slow listener detected: InteractionEventListener took 4503ms for event INTERACTION_CREATE"
    assert (ev["ident"], ev["level"]) == ("openclaw", "warn")


def test_root_logger_session_memory_tag():
    ev = one(tslog("[session-memory] Hook triggered for /new command"))
    assert ev["subsystem"] == "session-memory" and ev["text"] == "Hook triggered for /new command"
    assert ev["ts"] == utc(2026, 1, 30, 19, 5, 10, 502000)


def test_root_logger_crash_marker():
    ev = one(tslog("[openclaw] Uncaught exception: TypeError: x is undefined", level="ERROR"))
    assert ev["kind"] == "gateway_stop" and ev["subsystem"] == "openclaw" and ev["level"] == "error"


def test_module_logger_web_reconnect():
    binding = '{"module":"web-reconnect","runId":"r-1"}'
    ev = one(tslog(binding, {"connectionId": "c1", "status": 440, "loggedOut": False, "reconnectAttempts": 2},
                   "web reconnect: connection closed", name=binding, parents=["openclaw"]))
    assert ev["subsystem"] == "web-reconnect"
    assert ev["channel"] == "whatsapp"
    assert ev["kind"] == "channel_reconnect"
    assert ev["text"].startswith("web reconnect: connection closed {")
    human = one(tslog(binding, "WhatsApp Web connection closed (status 440). Retry 2/12 in 4.46s… "
                      "(status=440 Unknown Stream Errored (conflict))", name=binding, parents=["openclaw"]))
    assert (human["kind"], human["code"], human["channel"]) == ("channel_reconnect", 440, "whatsapp")


def test_module_logger_cron_spec_example():
    binding = '{"module":"cron","storePath":"/home/alice/.openclaw/cron/jobs.json"}'
    ev = one(tslog(binding, {"enabled": True, "jobs": 2, "nextWakeAtMs": 1769544000000}, "cron: started",
                   name=binding, parents=["openclaw"], time="2026-01-30T18:01:55.031Z"))
    assert ev["subsystem"] == "cron" and ev["channel"] is None
    assert ev["text"] == 'cron: started {"enabled":true,"jobs":2,"nextWakeAtMs":1769544000000}'


def test_time_with_offset_is_converted_to_utc():
    ev = one(sub("gateway/health-monitor", "started (interval: 300s, startup-grace: 60s)",
                 date="2026-03-13T23:05:46.614Z", time="2026-03-13T19:05:46.621-04:00"))
    assert ev["ts"] == utc(2026, 3, 13, 23, 5, 46, 621000)
    assert ev["ts_note"] == "file-log time with offset -04:00"
    assert ev["subsystem"] == "gateway/health-monitor"


def test_missing_time_falls_back_to_meta_date():
    ev = one(sub("gateway", "listening on ws://127.0.0.1:18789 (PID 43079)", time=None,
                 date="2026-01-27T19:01:54.906Z"))
    assert ev["ts"] == utc(2026, 1, 27, 19, 1, 54, 906000)
    assert ev["ts_note"] == "file-log _meta.date (UTC)"
    assert (ev["kind"], ev["pid"]) == ("gateway_start", 43079)


def test_zoneless_time_becomes_wall_clock():
    ev = one(sub("gateway", "agent model: x", time="2026-01-27 20:05:10.412", date="not a date"))
    assert ev["ts"] is None and ev["wall"] == datetime(2026, 1, 27, 20, 5, 10, 412000)
    assert ev["wall_has_year"] is True


def test_real_hostname_kept():
    ev = one(sub("gateway", "x", hostname="3f2a9c1d0b7e"))
    assert ev["host"] == "3f2a9c1d0b7e"


def test_levels_normalised():
    r = parse([sub("agent/embedded", "embedded run start: runId=1", level=lvl) for lvl in
               ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")])
    assert r.events["level"].to_list() == ["debug", "debug", "info", "warn", "error", "fatal"]


def test_spread_object_record():
    """One plain-object argument: its keys sit at the top level."""
    line = orjson.dumps({"runId": "r1", "status": "started", "_meta": {"name": "openclaw", "date": "2026-01-30T19:05:10.501Z",
                                                                   "logLevelName": "INFO"},
                         "time": "2026-01-30T19:05:10.502Z"}).decode()
    ev = one(line)
    assert ev["kind"] == "other" and ev["text"] == '{"runId":"r1","status":"started"}'
    msg = orjson.dumps({"message": "web gateway heartbeat", "_meta": {"name": "openclaw", "logLevelName": "DEBUG"},
                        "time": "2026-01-30T19:05:10.502Z"}).decode()
    assert one(msg)["text"] == "web gateway heartbeat"
    # a spread object with its own `type` and `message` keys is still a log record
    slow = orjson.dumps({"type": "slow-listener", "listener": "InteractionEventListener", "eventType": "INTERACTION_CREATE",
                         "durationMs": 4503, "message": "slow listener", "_meta": {"name": "openclaw",
                                                                                   "logLevelName": "WARN"},
                         "time": "2026-01-30T19:05:10.502Z"}).decode()
    ev = one(slow)
    assert ev["text"] == ('slow listener {"type":"slow-listener","listener":"InteractionEventListener",'
                          '"eventType":"INTERACTION_CREATE","durationMs":4503}')
    assert (ev["kind"], ev["duration_ms"], ev["listener"]) == ("slow_listener", 4503.0, "InteractionEventListener")
    assert fl.sniff(Path("x.log"), head([slow])) == pytest.approx(0.95)


def test_pretty_spacing_is_read_like_compact():
    """JSON with spaces after colons (hand-made or re-serialised) keeps the same meaning."""
    compact = sub("gateway/heartbeat", {"intervalMs": 1800000}, "heartbeat: started")
    ev = one(json.dumps(orjson.loads(compact)))  # ", " and ": " separators
    assert ev["text"] == 'heartbeat: started {"intervalMs":1800000}'
    assert ev["subsystem"] == "gateway/heartbeat"


def test_many_positional_arguments():
    args = [f"a{i}" for i in range(11)]
    ev = one(tslog(*args))
    assert ev["text"] == " ".join(args)


def test_scalar_arguments():
    ev = one(tslog("count", 5, True, None, "done"))
    assert ev["text"] == "count 5 true done"


def test_flat_size_cap_record():
    line = ('{"time":"2026-03-01T12:00:00.000+01:00","level":"warn","subsystem":"logging","message":"log file size cap '
            'reached; suppressing writes file=/tmp/openclaw/openclaw-2026-03-01.log maxFileBytes=524288000"}')
    ev = one(line)
    assert ev["ts"] == utc(2026, 3, 1, 11, 0, 0)
    assert ev["ts_note"] == "file-log time with offset +01:00"
    assert (ev["level"], ev["subsystem"], ev["kind"]) == ("warn", "logging", "other")
    assert ev["text"].startswith("log file size cap reached")
    assert ev["format"] == "openclaw-file-log"


def test_console_json_style():
    line = ('{"time":"2026-01-27T19:05:10.412Z","level":"info","subsystem":"gateway/channels/discord",'
            '"message":"discord gateway: WebSocket connection closed with code 1005","attempt":2}')
    ev = one(line)
    assert (ev["kind"], ev["code"], ev["channel"]) == ("ws_close", 1005, "discord")
    typed = ('{"time":"2026-01-27T19:05:10.412Z","level":"warn","subsystem":"discord/event-queue",'
             '"message":"Slow listener detected: InteractionEventListener took 4503ms for event INTERACTION_CREATE",'
             '"type":"slow-listener"}')
    ev = one(typed)
    assert (ev["kind"], ev["duration_ms"], ev["subsystem"], ev["channel"]) == (
        "slow_listener", 4503.0, "discord/event-queue", "discord")
    assert ev["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000)


# --- openclaw logs --json ------------------------------------------------------------


def logs_json_lines() -> list[str]:
    rec = orjson.loads(DISCORD_RECORD)
    return [
        '{"type":"meta","file":"/tmp/openclaw/openclaw-2026-01-27.log","cursor":123456,"size":123456}',
        '{"type":"notice","message":"Log tail truncated (increase --max-bytes)."}',
        orjson.dumps({"type": "log", "time": rec["time"], "level": "info", "subsystem": "gateway/channels/discord",
                      "message": '{"subsystem":"gateway/channels/discord"} discord gateway: Attempting resume with '
                                 'backoff: 1000ms', "raw": DISCORD_RECORD}).decode(),
        # no usable raw: the outer fields are read, binding JSON stripped, metadata moved last
        orjson.dumps({"type": "log", "time": "2026-01-27T19:01:55.020Z", "level": "info",
                      "subsystem": "gateway/heartbeat",
                      "message": '{"subsystem":"gateway/heartbeat"} {"intervalMs":1800000} heartbeat: started'}).decode(),
        orjson.dumps({"type": "log", "time": "2026-01-27T19:10:02.004Z", "level": "info", "module": "web-reconnect",
                      "message": "web reconnect: connection closed", "raw": "{not json"}).decode(),
        '{"type":"raw","raw":"{\\"0\\":\\"cut off"}',
        '{"type":"notice","message":"Log cursor reset (file rotated)."}',
        '{"type":"error","message":"Gateway not reachable. Is it running and accessible?"}',
    ]


def test_logs_json():
    r = parse(logs_json_lines(), name="tail.jsonl")
    assert r.format == "openclaw-logs-json"
    assert r.lines == 8 and r.unparsed == 1 and r.event_count == 7
    ev = r.events.to_dicts()
    assert all(e["format"] == "openclaw-logs-json" for e in ev)
    meta, notice, log, heartbeat, module_log, raw, rotated, error = ev
    assert meta["kind"] == "other" and meta["text"] == (
        "openclaw logs: file=/tmp/openclaw/openclaw-2026-01-27.log cursor=123456 size=123456")
    assert notice["kind"] == "other" and notice["text"] == "Log tail truncated (increase --max-bytes)."
    assert (log["kind"], log["backoff_ms"], log["channel"], log["subsystem"]) == (
        "resume_attempt", 1000, "discord", "gateway/channels/discord")
    assert log["text"] == "discord gateway: Attempting resume with backoff: 1000ms"
    assert log["ts"] == utc(2026, 1, 27, 19, 5, 10, 412000) and log["ident"] == "clawdbot"
    assert heartbeat["text"] == 'heartbeat: started {"intervalMs":1800000}'
    assert heartbeat["subsystem"] == "gateway/heartbeat" and heartbeat["level"] == "info"
    assert heartbeat["ts"] == utc(2026, 1, 27, 19, 1, 55, 20000)
    assert (module_log["subsystem"], module_log["channel"], module_log["kind"]) == (
        "web-reconnect", "whatsapp", "channel_reconnect")
    assert raw["kind"] == "unparsed" and raw["text"] == '{"type":"raw","raw":"{\\"0\\":\\"cut off"}'
    assert rotated["text"] == "Log cursor reset (file rotated)." and rotated["kind"] == "other"
    assert error["kind"] == "other" and error["text"].startswith("Gateway not reachable")
    assert any("raw lines the gateway could not parse" in n for n in r.notes)


# --- damage --------------------------------------------------------------------------


def test_damaged_lines_are_kept_and_counted():
    lines = [
        sub("gateway", "listening on ws://127.0.0.1:18789 (PID 43079)", time="2026-01-27T19:01:54.906Z"),
        "",
        "this is not json at all",
        DISCORD_RECORD[:120],  # cut off mid-record
        '{"type":"session","version":3,"id":"2dd2d3d0-20f1-4000-a951-4d4c52c06bea","timestamp":"2026-11-25T08:41:03.171Z"}',
        "[1,2,3]",
        "   ",
        sub("gateway", "signal SIGTERM received", time="2026-01-27T19:10:02.004Z"),
    ]
    r = parse(lines)
    assert r.lines == 8
    assert r.events.height == 6 and r.unparsed == 4 and r.event_count == 2
    ev = r.events.to_dicts()
    assert [e["line"] for e in ev] == [1, 3, 4, 5, 6, 8]
    assert [e["kind"] for e in ev] == ["gateway_start", "unparsed", "unparsed", "unparsed", "unparsed", "gateway_stop"]
    assert ev[1]["text"] == "this is not json at all"
    assert ev[2]["text"] == DISCORD_RECORD[:120]
    assert all(e["ts"] is None and e["format"] == "openclaw-file-log" for e in ev[1:5])
    assert ev[5]["ts"] == utc(2026, 1, 27, 19, 10, 2, 4000)
    joined = " | ".join(r.notes)
    assert "1 line(s) are not JSON (line 3)" in joined
    assert "1 line(s) are cut-off or damaged JSON (line 4)" in joined
    assert "2 line(s) are JSON but not log records" in joined


def test_cut_lines_keep_the_one_pass_decode(monkeypatch):
    """Non-object lines are cut from the file's bytes; the rest still decodes in one pass."""
    def no_chunks(_chunk):
        raise AssertionError("chunked fallback used")

    monkeypatch.setattr(fl, "_bulk", no_chunks)
    lines = ["garbage", sub("gateway", "a", time="2026-01-27T19:00:00.000Z"), "", "  ",
             "héllo wörld ✓", sub("gateway", "signal SIGTERM received", time="2026-01-27T19:00:01.000Z"),
             DISCORD_RECORD[:-40]]
    data = ("\r\n".join(lines)).encode()  # CRLF, no final newline, cut last record
    r = parse(data)
    assert r.lines == 7 and r.unparsed == 3 and r.event_count == 2
    assert r.events.select("line", "kind").rows() == [
        (1, "unparsed"), (2, "other"), (5, "unparsed"), (6, "gateway_stop"), (7, "unparsed")]
    assert r.events["text"].to_list()[3] == "signal SIGTERM received"


def test_misfit_in_a_big_chunk_only_costs_that_line():
    good = [sub("gateway/ws", f"⇄ res ✓ chat.history {i}ms", time=f"2026-01-27T19:{i // 60 % 60:02d}:{i % 60:02d}.000Z")
            for i in range(3000)]
    lines = good[:1500] + ['{"0":"x","_meta":"not an object","time":"2026-01-27T19:00:00.000Z"}'] + good[1500:]
    r = parse(lines)
    assert r.lines == 3001 and r.event_count == 3000 and r.unparsed == 1
    assert r.events.filter(pl.col("line") == 1501)["kind"].item() == "unparsed"
    assert set(r.events.filter(pl.col("kind") != "unparsed")["subsystem"]) == {"gateway/ws"}


def test_bom_crlf_and_ansi():
    data = b"\xef\xbb\xbf" + (tslog("\x1b[33m[EventQueue] Slow listener detected: InteractionEventListener took "
                                    "1.5s for event INTERACTION_CREATE\x1b[39m") + "\r\n").encode()
    r = parse(data)
    (ev,) = r.events.to_dicts()
    assert ev["kind"] == "slow_listener" and ev["duration_ms"] == 1500.0 and ev["subsystem"] == "EventQueue"


def test_invalid_utf8_falls_back():
    data = (sub("gateway", "signal SIGTERM received") + "\n").encode() + b'{"0":"caf\xe9","_meta":{"name":"openclaw"},' \
        b'"time":"2026-01-30T19:05:10.502Z"}\n'
    r = parse(data)
    assert r.events.height == 2 and r.unparsed == 0
    assert r.events["text"].to_list()[1] == "caf\ufffd"
    assert any("invalid UTF-8" in n for n in r.notes)


def test_empty_input():
    r = parse(b"")
    assert r.lines == 0 and r.events.height == 0


# --- sniffing ------------------------------------------------------------------------

JOURNAL_JSON = ('{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1769540710412345","_HOSTNAME":"host","PRIORITY":"6",'
                '"SYSLOG_IDENTIFIER":"node","_PID":"43079","MESSAGE":"2026-01-27T19:05:10.412Z [discord] gateway: x"}')
TRANSCRIPT = [
    '{"type":"session","version":3,"id":"2dd2d3d0-20f1-4000-a951-4d4c52c06bea","timestamp":"2026-11-25T08:41:03.171Z",'
    '"cwd":"/srv/gateway1/home/clawd"}',
    '{"type":"model_change","id":"3e2d0d95","parentId":null,"timestamp":"2026-11-25T08:41:03.188Z",'
    '"provider":"anthropic","modelId":"claude-opus-4-5"}',
    '{"type":"message","id":"a1","parentId":"3e2d0d95","timestamp":"2026-11-25T08:41:03.190Z",'
    '"message":{"role":"user","content":"hi"}}',
]
COMMANDS = ['{"timestamp":"2026-11-25T08:41:51.708Z","action":"new","sessionKey":"agent:main:main","senderId":"cli",'
            '"source":"webchat"}']


def head(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_sniff_positive():
    assert fl.sniff(Path("openclaw-2026-01-27.log"), head([DISCORD_RECORD])) == pytest.approx(0.99)
    assert fl.sniff(Path("moltbot-2026-01-29.log"), head([tslog("x")])) == pytest.approx(0.99)
    assert fl.sniff(Path("gateway.jsonl"), head([DISCORD_RECORD, tslog("y")])) == pytest.approx(0.95)
    assert fl.sniff(Path("tail.json"), head(logs_json_lines())) == pytest.approx(0.95)
    flat = '{"time":"2026-03-01T12:00:00.000+01:00","level":"warn","subsystem":"logging","message":"log file size cap"}'
    assert fl.sniff(Path("x.log"), head([flat])) == pytest.approx(0.8)
    # a cut first line does not stop it
    assert fl.sniff(Path("x.log"), head([DISCORD_RECORD[:50], DISCORD_RECORD, DISCORD_RECORD])) == pytest.approx(0.95)


def test_sniff_negative():
    assert fl.sniff(Path("journal.json"), head([JOURNAL_JSON] * 3)) == 0.0
    assert fl.sniff(Path("2dd2d3d0-20f1-4000-a951-4d4c52c06bea.jsonl"), head(TRANSCRIPT)) == 0.0
    assert fl.sniff(Path("commands.log"), head(COMMANDS * 2)) == 0.0
    assert fl.sniff(Path("openclaw-2026-01-27.log"), head(COMMANDS)) == 0.0
    assert fl.sniff(Path("sessions.json"), b'{\n  "agent:main:main": {\n    "sessionId": "x"\n  }\n}\n') == 0.0
    assert fl.sniff(Path("x.log"), b"Jan 27 20:05:10 host node[43079]: [discord] gateway: x\n") == 0.0
    assert fl.sniff(Path("x.log"), b"2026-01-27T19:05:10.412Z [discord] gateway: x\n") == 0.0
    assert fl.sniff(Path("x.log"), b"") == 0.0
    assert fl.sniff(Path("x.log"), b"\x00\x01binary") == 0.0
    assert fl.sniff(Path("x.json"), b'{"a":1}\n{"b":2}\n') == 0.0


def test_sniff_does_not_beat_other_parsers():
    """The registered parsers' own formats stay theirs."""
    from moltdiag.parsers import commands_log, journald_json, transcript

    journal = head([JOURNAL_JSON])
    assert journald_json.sniff(Path("j.json"), journal) > fl.sniff(Path("j.json"), journal)
    tr = head(TRANSCRIPT)
    name = Path("2dd2d3d0-20f1-4000-a951-4d4c52c06bea.jsonl")
    assert transcript.sniff(name, tr) > fl.sniff(name, tr)
    cl = head(COMMANDS)
    assert commands_log.sniff(Path("commands.log"), cl) > fl.sniff(Path("commands.log"), cl)


@needs_real
def test_other_parsers_do_not_claim_the_real_file_log():
    from moltdiag.parsers import parser_modules

    head_bytes = REAL.read_bytes()[:HEAD_BYTES]
    mine = fl.sniff(REAL, head_bytes)
    for module in parser_modules():
        if module is fl:
            continue
        assert module.sniff(REAL, head_bytes) < mine, module.__name__


def test_times_are_ordered_across_offset_switch():
    """2026-03-02 switched `time` from Z to a local offset: both forms land on one UTC axis."""
    before = sub("gateway", "a", date="2026-03-01T23:59:59.000Z", time="2026-03-01T23:59:59.001Z")
    after = sub("gateway", "b", date="2026-03-02T00:00:01.000Z", time="2026-03-01T19:00:01.001-05:00")
    r = parse([before, after])
    a, b = r.events["ts"].to_list()
    assert b - a == timedelta(seconds=2)


@pytest.mark.parametrize("size", [1, 300, 2048])
def test_read_in_small_pieces_gives_the_same_events_and_notes(size, monkeypatch):
    """Streaming (parsers/streaming.py): pieces cut anywhere; the notes' line numbers are the
    file's, not the piece's."""
    from moltdiag.parsers import streaming

    lines = [DISCORD_RECORD] * 6 + ["not json at all", DISCORD_RECORD[:40], "[1,2,3]"] + [
        sub("gateway/channels/discord", f"gateway: WebSocket connection closed with code 100{i % 7}") for i in range(12)
    ] + ['{"type":"log","time":"2026-01-27T19:05:10.412Z","level":"info","subsystem":"x","message":"m",'
         '"raw":"not a record"}']
    whole = parse(lines)
    monkeypatch.setattr(streaming, "CHUNK_BYTES", size)
    pieces = parse(lines)
    assert pieces.events.equals(whole.events)
    assert (pieces.lines, pieces.notes, pieces.format, pieces.unparsed) == (whole.lines, whole.notes, whole.format,
                                                                          whole.unparsed)
    assert any("(line 7)" in n for n in whole.notes) and any("(line 8)" in n for n in whole.notes)
