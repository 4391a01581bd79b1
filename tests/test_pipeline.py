"""End to end: the bundled incidents through parsers → correlator → rules → CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from moltdiag.cli import main
from moltdiag.correlate.timeline import build_timeline

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "discord-reset-3106"
REPLAYED = FIXTURES / "discord-replayed-interaction"
CONTROLS = ["typed-new-quiet", "daily-reset", "long-session"]
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _check_json(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", *map(str, paths), "--format", "json", *extra])
    return result.exit_code, json.loads(result.output)


# --- the seed incident ---------------------------------------------------------------


def test_seed_zone_and_year_are_inferred_and_stated():
    tl = build_timeline([str(SEED)])
    assert tl.clock.offset_label == "-06:00"
    assert "alignment" in tl.clock.how and "year 2026" in tl.clock.how
    # The seed's "Jan 27 20:07:41" close lands on 2026-01-28 02:07:41 UTC, as the issue says.
    closes = tl.events.filter((pl.col("kind") == "ws_close") & (pl.col("source").cast(pl.String).str.ends_with("journal.txt")))
    assert _utc(2026, 1, 28, 2, 7, 41) in closes["ts"].to_list()
    assert closes["ts"].min() == _utc(2026, 1, 28, 2, 5, 10)
    assert closes["ts"].max() == _utc(2026, 1, 28, 2, 9, 38)


def test_seed_flap_window_covers_the_reported_span():
    tl = build_timeline([str(SEED)])
    assert tl.flaps.height == 1
    window = tl.flaps.row(0, named=True)
    assert (window["start"], window["end"]) == (_utc(2026, 1, 28, 2, 5, 10), _utc(2026, 1, 28, 2, 9, 38))
    assert window["codes"] == [1005]
    assert window["closes"] == window["resumes"] == window["self_closes"]
    assert window["closes"] >= 6


def test_seed_verdict_fresh_native_command_during_flapping():
    code, doc = _check_json(SEED)
    assert code == 1
    rules = sorted(f["rule"] for f in doc["findings"])
    # The flapping itself is reported too; the reset is a fresh command, not a replay.
    assert rules == ["carbon-stale-ack-loop", "reconnect-storm", "slow-listener", "unexplained-reset"]
    finding = next(f for f in doc["findings"] if f["rule"] == "unexplained-reset")
    expected = EXPECTED["discord-reset-3106"]
    new_id = [s for s in expected["sessions"] if s["role"].startswith("new")][0]["session_id"]
    old_id = [s for s in expected["sessions"] if s["role"].startswith("old")][0]["session_id"]
    assert finding["session_id"] == new_id
    assert finding["facts"]["previous_session_id"] == old_id
    assert finding["cause"] == "command reset (native slash command)"
    assert finding["facts"]["interaction_created"] == "2026-01-28T02:07:40.350Z"
    assert finding["facts"]["slow_listener"]["duration_ms"] == 4503
    assert finding["facts"]["flap_window"]["codes"] == [1005]
    assert "fresh command" in finding["summary"] and "20:07:40 -06:00" in finding["summary"]
    kinds = {e["kind"] for e in finding["evidence"]}
    assert {"session_start", "reset_prompt", "slow_listener", "ws_close"} <= kinds
    assert any(r.startswith("daily reset") for r in finding["ruled_out"])
    assert any("same PID 43079" in r for r in finding["ruled_out"])
    assert any("commands.log" in b for b in finding["blind_spots"])
    assert doc["tz"]["offset"] == "-06:00"


def test_seed_finding_ids_are_stable_across_runs():
    _, first = _check_json(SEED)
    _, second = _check_json(SEED)
    assert [f["id"] for f in first["findings"]] == [f["id"] for f in second["findings"]]


def test_replayed_interaction_fires_with_the_reset():
    code, doc = _check_json(REPLAYED)
    assert code == 1
    rules = {f["rule"] for f in doc["findings"]}
    assert {"replayed-interaction", "unexplained-reset"} <= rules
    replay = next(f for f in doc["findings"] if f["rule"] == "replayed-interaction")
    assert replay["facts"]["interaction_created"] == "2026-01-30T02:12:04.620Z"
    assert "before the flap window began" in replay["summary"]


@pytest.mark.parametrize("name", CONTROLS)
def test_negative_controls_raise_nothing(name):
    code, doc = _check_json(FIXTURES / "controls" / name)
    assert code == 0, doc["findings"]
    assert doc["findings"] == []
    assert all(i["unparsed"] == 0 for i in doc["inputs"])


def test_daily_reset_is_explained_by_the_boundary_but_not_at_another_hour():
    # With the boundary at 12:00 local (after the 22:14 activity, before the 09:12 start) it is not crossed → the reset is unexplained.
    code, doc = _check_json(FIXTURES / "controls" / "daily-reset", extra=("--daily-hour", "12"))
    assert code == 1
    assert [f["rule"] for f in doc["findings"]] == ["unexplained-reset"]
    assert doc["findings"][0]["cause"] == "unknown"
    assert doc["findings"][0]["severity"] == "warning"  # no flapping around it


def test_typed_new_zone_is_measured_from_embedded_stamps():
    tl = build_timeline([str(FIXTURES / "controls" / "typed-new-quiet")])
    assert tl.clock.offset_label == "+01:00"
    assert "measured" in tl.clock.how


def test_real_run_has_no_unexplained_reset():
    from _realrun import RUN

    real = RUN / "state-dir"
    if not real.is_dir():
        pytest.skip(f"real-run corpus not present at {real}")
    code, doc = _check_json(real)
    assert code == 0 and doc["findings"] == []
    opened = {s["session_id"][:8]: s["opened_by"] for s in doc["sessions"]}
    assert opened["8b95442f"] == "reset_prompt" and opened["54a50ba7"] == "user_message"


# --- timeline command ----------------------------------------------------------------


def test_timeline_jsonl_puts_journal_lines_on_utc_instants():
    result = CliRunner().invoke(main, ["timeline", str(SEED), "--format", "jsonl", "--kind", "slow_listener"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["ts"] == "2026-01-28T02:07:45.000000Z"
    assert row["listener"] == "InteractionEventListener" and row["event_name"] == "INTERACTION_CREATE"
    assert row["duration_ms"] == 4503 and row["line"] > 0 and row["source"].endswith("journal.txt")
    assert "-06:00" in row["ts_note"]
    assert "wall" not in row  # internal columns stay inside


def test_timeline_around_window_and_utc_table():
    result = CliRunner().invoke(
        main, ["timeline", str(SEED), "--around", "2026-01-27 20:07:41", "--window", "10s", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("ts,ts_note,source,line")
    body = "\n".join(lines[1:])
    assert "session_start" in body and "reset_prompt" in body
    assert "Show me tools.md" not in body  # 20:05:54 is outside ±10 s

    table = CliRunner().invoke(main, ["timeline", str(SEED), "--utc"], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert table.exit_code == 0
    assert "times in UTC" in table.output and "\x1b[" not in table.output


def test_timeline_rejects_unknown_kind():
    result = CliRunner().invoke(main, ["timeline", str(SEED), "--kind", "nonsense"])
    assert result.exit_code == 2
    assert "unknown kind" in result.output


# --- bad input -----------------------------------------------------------------------


def test_binary_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "core.bin"
    bad.write_bytes(b"\x7fELF\x00\x00\x01\x02" * 64)
    result = CliRunner().invoke(main, ["timeline", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_empty_file_is_a_one_line_error(tmp_path):
    empty = tmp_path / "journal.txt"
    empty.write_text("")
    result = CliRunner().invoke(main, ["check", str(empty)])
    assert result.exit_code == 2
    assert "nothing moltdiag can read" in result.output


def test_missing_file_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["timeline", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_directory_with_nothing_usable(tmp_path):
    (tmp_path / "notes.md").write_text("# my notes\nnothing here\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "nothing moltdiag can read" in result.output and "1 file(s) skipped" in result.output


def test_invalid_utf8_and_cut_lines_are_counted_not_dropped(tmp_path):
    journal = tmp_path / "journal.txt"
    journal.write_bytes(
        b"Jan 27 20:05:10 node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n"
        b"Jan 27 20:05:10 node[43079]: [discord] gateway: WebSocket connection closed with code 1005\n"
        b"Jan 27 20:05:11 node[43079]: [discord] caf\xe9 \xff broken bytes\n"
        b"this line was cut from a paste and has no prefix\n"
        b"Jan 27 20:05:4"
    )
    result = CliRunner().invoke(main, ["timeline", str(journal), "--format", "jsonl", "--year", "2026", "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 5
    kinds = [r["kind"] for r in rows]
    assert kinds.count("unparsed") == 2
    assert rows[0]["ts"] == "2026-01-27T20:05:10.000000Z"


def test_transcript_line_that_is_not_json_is_unparsed(tmp_path):
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    good = (SEED / "agents/main/sessions").glob("61af111d-*.jsonl")
    text = next(good).read_text().splitlines()
    text.insert(2, "{not json")
    (sessions / "61af111d-b6c0-4cfc-880d-e5581765d1ba.jsonl").write_text("\n".join(text) + "\n")
    code, doc = _check_json(sessions)
    assert code == 0
    assert doc["inputs"][0]["unparsed"] == 1 and doc["inputs"][0]["events"] == len(text) - 1


def test_stdin_dash_reads_a_journal():
    data = (SEED / "journal.txt").read_bytes()
    result = CliRunner().invoke(main, ["timeline", "-", "--format", "jsonl", "--tz", "-06:00", "--year", "2026"],
                                input=data)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["source"] == "<stdin>"
    assert sum(r["kind"] == "ws_close" for r in rows) == 8


def test_gzip_input(tmp_path):
    import gzip

    gz = tmp_path / "journal.txt.gz"
    gz.write_bytes(gzip.compress((SEED / "journal.txt").read_bytes()))
    result = CliRunner().invoke(main, ["timeline", str(gz), "--format", "jsonl", "--tz", "UTC", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert sum(json.loads(line)["kind"] == "ws_close" for line in result.output.splitlines()) == 8


def test_bad_tz_is_a_usage_error():
    result = CliRunner().invoke(main, ["timeline", str(SEED), "--tz", "Mars/Olympus"])
    assert result.exit_code == 2 and "--tz" in result.output


def test_fail_on_sets_the_exit_status():
    # The seed has high (unexplained-reset) and warning (flapping) findings.
    assert CliRunner().invoke(main, ["check", str(SEED), "--fail-on", "high"]).exit_code == 1
    assert CliRunner().invoke(main, ["check", str(SEED), "--fail-on", "none"]).exit_code == 0
    long_session = FIXTURES / "controls" / "long-session"
    assert CliRunner().invoke(main, ["check", str(long_session), "--fail-on", "info"]).exit_code == 0


def test_check_summary_counts_kinds_rules_and_busiest_buckets():
    _, doc = _check_json(SEED)
    summary = doc["summary"]
    assert summary["kinds"]["ws_close"] == 8 and summary["kinds"]["slow_listener"] == 1
    assert summary["findings_per_rule"]["unexplained-reset"] == 1
    assert summary["busiest_5min"][0]["start"] == "2026-01-28T02:05:00.000Z"
    assert summary["busiest_5min"][0]["closes"] == 8
    assert summary["time_range"]["last"] == "2026-01-28T02:09:38.000Z"


def test_rules_without_their_sources_are_reported_not_silently_skipped(tmp_path):
    journal_only = tmp_path / "journal.txt"
    journal_only.write_bytes((SEED / "journal.txt").read_bytes())
    code, doc = _check_json(journal_only, extra=("--year", "2026", "--tz", "-06:00"))
    not_run = {r["rule"]: r["reason"] for r in doc["summary"]["rules_not_evaluated"]}
    assert "unexplained-reset" in not_run and "transcript" in not_run["unexplained-reset"]
    assert "carbon-stale-ack-loop" in {f["rule"] for f in doc["findings"]}


def test_timeline_exports_parquet_and_timesketch(tmp_path):
    out = tmp_path / "events.parquet"
    result = CliRunner().invoke(main, ["timeline", str(SEED), "--format", "parquet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")
    assert frame.filter(pl.col("kind") == "slow_listener")["ts"][0] == _utc(2026, 1, 28, 2, 7, 45)

    sketch = CliRunner().invoke(main, ["timeline", str(SEED), "--format", "timesketch", "--kind", "ws_close"])
    rows = [json.loads(line) for line in sketch.output.splitlines()]
    assert len(rows) == 8
    first = rows[0]
    assert first["datetime"] == "2026-01-28T02:05:10.000000Z"
    assert first["timestamp"] == 1769565910000000
    assert first["timestamp_desc"] == "Journal Entry Time" and first["message"].startswith("[ws_close]")


def test_parquet_needs_an_output_file():
    result = CliRunner().invoke(main, ["timeline", str(SEED), "--format", "parquet"])
    assert result.exit_code == 2 and "-o FILE" in result.output


def test_current_era_sqlite_store_resets_are_explained():
    store = FIXTURES / "openclaw-2026.9-sqlite"
    code, doc = _check_json(store)
    assert not [f for f in doc["findings"] if f["rule"] == "unexplained-reset"]
    main_key = [s for s in doc["sessions"] if s["session_key"] == "agent:main:main"]
    assert len({s["session_id"] for s in main_key}) == 1  # the id stays stable across resets
    assert [s["opened_by"] for s in main_key][1:] == ["reset (new)", "reset (reset)"]
    assert [s["start"] for s in main_key][1:] == ["2026-09-14T09:10:00.012Z", "2026-09-14T09:20:00.009Z"]


def test_stable_id_store_events_appear_once_on_the_timeline():
    store = FIXTURES / "openclaw-2026.9-sqlite"
    tl = build_timeline([str(store)])
    parsed_events = sum(p.rows for p in tl.inputs)
    assert tl.events.height == parsed_events
    assert tl.events.select(["source", "line"]).is_duplicated().sum() == 0


def test_reset_entries_in_jsonl_transcripts_are_session_resets(tmp_path):
    sid = "3b8f1d2a-0000-4000-8000-000000000001"
    lines = [
        {"type": "session", "version": 4, "id": sid, "timestamp": "2026-09-14T09:00:00.000Z", "cwd": "/home/u"},
        {"type": "message", "id": "a1", "parentId": None, "timestamp": "2026-09-14T09:00:01.000Z",
         "message": {"role": "user", "content": "hello", "timestamp": 1789376401000}},
        {"type": "reset", "id": "a2", "parentId": "a1", "timestamp": "2026-09-14T09:10:00.000Z", "reason": "new"},
        {"type": "message", "id": "a3", "parentId": "a2", "timestamp": "2026-09-14T09:10:01.000Z",
         "message": {"role": "user", "content": "again", "timestamp": 1789377001000}},
    ]
    path = tmp_path / f"{sid}.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    tl = build_timeline([str(path)])
    resets = tl.events.filter(pl.col("kind") == "session_reset")
    assert resets.height == 1 and resets["stop_reason"][0] == "new"
    assert tl.lifetimes.height == 2 and tl.lifetimes["reset_reason"].to_list() == [None, "new"]


def test_transcripts_alone_give_the_host_zone_from_their_envelopes():
    # No journal: the daily boundary must still be judged in host time (04:00 −06:00, not UTC).
    code, doc = _check_json(FIXTURES / "controls" / "daily-reset" / "agents")
    assert doc["tz"]["offset"] == "-06:00" and "envelope" in doc["tz"]["how"]
    assert code == 0 and doc["findings"] == []


def test_reset_rules_share_one_classification():
    from moltdiag.rules import evaluate, load_rules

    tl = build_timeline([str(SEED)])
    evaluate(load_rules(), tl)
    assert len(tl.__dict__["_reset_cause_cache"]) == 1
