"""The Discord rule families: rule files, their samples, and real excerpts through the CLI.

Every case under fixtures/excerpts/discord/ is a short excerpt from a public issue thread
(see its README). Each runs through `moltdiag check <dir> --format json`; the matching rule
must fire with evidence lines from the excerpt, and related rules must stay quiet.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from moltdiag.cli import main
from moltdiag.rules.model import load_rules
from moltdiag.rules.selftest import run_samples

ROOT = Path(__file__).resolve().parent.parent
EXCERPTS = ROOT / "fixtures" / "excerpts" / "discord"
SEED_3106 = ROOT / "fixtures" / "discord-reset-3106"

RULES = {r.id: r for r in load_rules()}

NEW_RULES = {
    # id: (severity, needs, correlation)
    "resume-death-spiral": ("high", ("gateway-log",), "count"),
    "fatal-close-code": ("high", ("gateway-log",), "each"),
    "slow-listener": ("warning", ("gateway-log",), "each"),
    "interaction-expired": ("warning", ("gateway-log",), "each"),
    "duplicate-inbound": ("high", ("transcript",), "count"),
    "provider-restart": ("warning", ("gateway-log",), "absence"),
    "health-monitor-restart-loop": ("warning", ("gateway-log",), "count"),
}


def _check(*paths: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", *map(str, paths), "--format", "json"])
    doc = json.loads(result.output)
    assert result.exit_code == (1 if doc["findings"] else 0), result.output  # exit status follows the findings
    return result.exit_code, doc


def _by_rule(doc: dict, rule: str) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"] == rule]


def _lines(finding: dict, source: Path) -> list[int]:
    """Evidence line numbers that come from `source` (every evidence row must)."""
    assert all(e["source"] == str(source) for e in finding["evidence"]), finding["evidence"]
    return [e["line"] for e in finding["evidence"]]


# --- rule files --------------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", sorted(NEW_RULES))
def test_rule_file_shape(rule_id):
    severity, needs, correlation = NEW_RULES[rule_id]
    rule = RULES[rule_id]
    assert (rule.severity, rule.needs, rule.correlate["type"]) == (severity, needs, correlation)
    assert rule.positive and rule.negative
    assert "\n" not in rule.message and rule.message.strip()
    assert rule.blind_spot


@pytest.mark.parametrize("rule_id", sorted(NEW_RULES))
def test_rule_samples(rule_id):
    failed = [f"{r.polarity} {r.name}: {r.detail}" for r in run_samples(RULES[rule_id]) if not r.ok]
    assert not failed, failed


def test_thresholds_are_correlate_parameters():
    spiral = RULES["resume-death-spiral"].correlate
    assert (spiral["window"].total_seconds(), spiral["at_least"], spiral["group_by"]) == (600, 3, ["host", "channel"])
    loop = RULES["health-monitor-restart-loop"].correlate
    assert (loop["window"].total_seconds(), loop["at_least"]) == (3600, 3)
    dup = RULES["duplicate-inbound"].correlate
    assert (dup["window"].total_seconds(), dup["at_least"], dup["group_by"]) == (86400, 2, ["message_id"])
    restart = RULES["provider-restart"].correlate
    assert restart["before"].total_seconds() == 120 and restart["same"] == ["host"]
    assert RULES["fatal-close-code"].correlate["merge"].total_seconds() == 300
    assert RULES["slow-listener"].correlate["merge"].total_seconds() == 60
    assert RULES["interaction-expired"].correlate["merge"].total_seconds() == 300


def test_every_excerpt_case_has_a_readme_citing_its_source():
    cases = [p for p in EXCERPTS.iterdir() if p.is_dir()]
    assert len(cases) >= 7
    for case in cases:
        readme = (case / "README.md").read_text(encoding="utf-8")
        assert "**Source:**" in readme or "**Family:**" in readme, case
        assert "https://github.com/openclaw/openclaw/issues/" in readme, case


# --- real excerpts through the CLI ----------------------------------------------------------


def test_resume_death_spiral_13688():
    case = EXCERPTS / "resume-death-spiral-13688"
    journal = case / "journal.txt"
    code, doc = _check(case)
    assert code == 1
    [spiral] = _by_rule(doc, "resume-death-spiral")
    assert spiral["severity"] == "high"
    assert _lines(spiral, journal) == [4, 6, 8, 10, 11, 13, 15]
    assert {e["kind"] for e in spiral["evidence"]} == {"connection_stalled", "resume_attempt"}
    assert "7 failing-resume signs on discord" in spiral["summary"]
    # The one un-suffixed resume + 1005 (lines 2-3) is not the Carbon stale-ACK loop.
    assert not _by_rule(doc, "carbon-stale-ack-loop")
    # The closes are a storm as well; that rule reports them separately.
    [storm] = _by_rule(doc, "reconnect-storm")
    assert _lines(storm, journal) == [5, 7, 9, 12, 14]


def test_carbon_stale_ack_loop_is_not_a_death_spiral():
    # The #3106 seed: 8 un-suffixed resume → self-inflicted 1005 pairs, resumes succeed.
    _, doc = _check(SEED_3106)
    assert _by_rule(doc, "carbon-stale-ack-loop")
    assert not _by_rule(doc, "resume-death-spiral")
    assert not _by_rule(doc, "provider-restart")  # provider started 2 s after the gateway
    assert not _by_rule(doc, "fatal-close-code")


def test_fatal_close_4014_468_uncaught_exception():
    case = EXCERPTS / "fatal-close-4014-468"
    code, doc = _check(case)
    assert code == 1
    [fatal] = _by_rule(doc, "fatal-close-code")
    assert _lines(fatal, case / "journal.txt") == [13]
    assert "Fatal Gateway error: 4014" in fatal["summary"]
    assert fatal["severity"] == "high"
    assert not _by_rule(doc, "provider-restart")


def test_fatal_close_4014_onboarding():
    case = EXCERPTS / "fatal-close-4014-onboarding"
    code, doc = _check(case)
    assert code == 1
    [fatal] = _by_rule(doc, "fatal-close-code")
    assert _lines(fatal, case / "console.txt") == [14, 15, 16]
    assert [e["kind"] for e in fatal["evidence"]] == ["ws_close", "gateway_error", "provider_exit"]
    assert "15:17:36" in fatal["summary"]
    assert not _by_rule(doc, "provider-restart")
    assert not _by_rule(doc, "resume-death-spiral")


def test_slow_listener_52579():
    case = EXCERPTS / "slow-listener-52579"
    code, doc = _check(case)
    assert code == 1
    slow = _by_rule(doc, "slow-listener")
    assert [_lines(f, case / "journal.txt") for f in slow] == [[2], [3], [4]]
    assert [f["evidence"][0]["duration_ms"] for f in slow] == [15690, 20532, 27776]
    assert all(f["severity"] == "warning" for f in slow)
    assert "InteractionEventListener took 15690 ms for INTERACTION_CREATE" in slow[0]["summary"]


def test_slow_listener_57724_inside_the_deadline_is_quiet():
    code, doc = _check(EXCERPTS / "slow-listener-57724")
    assert code == 0
    assert doc["findings"] == []


def test_interaction_expired_60880():
    case = EXCERPTS / "interaction-expired-60880"
    code, doc = _check(case)
    assert code == 1
    [expired] = _by_rule(doc, "interaction-expired")
    assert _lines(expired, case / "journal.txt") == [1, 2]
    assert "10062" in expired["evidence"][0]["text"] and "40060" in expired["evidence"][1]["text"]
    assert not _by_rule(doc, "slow-listener") and not _by_rule(doc, "fatal-close-code")


def test_health_monitor_loop_51116():
    case = EXCERPTS / "health-monitor-loop-51116"
    code, doc = _check(case)
    assert code == 1
    [loop] = _by_rule(doc, "health-monitor-restart-loop")
    assert _lines(loop, case / "journal.txt") == [1, 2, 3, 4]
    assert "restarted discord 4 times" in loop["summary"] and "-06:00" in loop["summary"]
    assert not _by_rule(doc, "provider-restart") and not _by_rule(doc, "resume-death-spiral")


def test_provider_restart_47535():
    case = EXCERPTS / "provider-restart-47535"
    code, doc = _check(case)
    assert code == 1
    restarts = _by_rule(doc, "provider-restart")
    assert [_lines(f, case / "journal.txt") for f in restarts] == [[4], [7]]
    assert all("logged in to discord" in f["summary"] for f in restarts)
    # Two health-monitor restarts in 25 minutes are not a loop; one close is not a storm.
    assert not _by_rule(doc, "health-monitor-restart-loop")
    assert not _by_rule(doc, "reconnect-storm")


# --- duplicate-inbound (generated transcript) --------------------------------------------------

DUP = EXCERPTS / "duplicate-inbound-71911"
DUP_FILE = DUP / "agents/main/sessions/4c1f8e2a-9b3d-4e6f-a1c2-7d8e9f0a1b2c.jsonl"


def test_duplicate_inbound_71911():
    code, doc = _check(DUP)
    assert code == 1
    dups = _by_rule(doc, "duplicate-inbound")
    assert [_lines(f, DUP_FILE) for f in dups] == [[4, 6], [8, 10]]
    assert [f["evidence"][0]["message_id"] for f in dups] == ["1497791874088435719", "1497793586371100675"]
    assert "queued-message replay" in dups[0]["summary"]
    # No gateway log here: the log rules say so instead of staying silently quiet.
    not_evaluated = {n["rule"]: n["reason"] for n in doc["summary"]["rules_not_evaluated"]}
    assert {"resume-death-spiral", "provider-restart", "slow-listener"} <= set(not_evaluated)
    assert "duplicate-inbound" in doc["summary"]["rules_evaluated"]


def test_duplicate_inbound_across_two_transcripts(tmp_path):
    # The same message replayed into a second session after a restart counts as well.
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    shutil.copy(DUP_FILE, sessions / DUP_FILE.name)
    other = "7e0d2c4b-1a3f-4b5c-9d6e-0f1a2b3c4d5e"
    lines = DUP_FILE.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0]) | {"id": other, "timestamp": "2026-04-26T03:30:00.000Z"}
    replay = json.loads(lines[11]) | {"parentId": None, "timestamp": "2026-04-26T03:30:01.000Z"}
    (sessions / f"{other}.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(replay) + "\n", encoding="utf-8")
    _, doc = _check(sessions)
    dups = _by_rule(doc, "duplicate-inbound")
    assert len(dups) == 3
    cross = next(f for f in dups if f["evidence"][0]["message_id"] == "1497799401563881483")
    assert {(Path(e["source"]).name, e["line"]) for e in cross["evidence"]} == {
        (DUP_FILE.name, 12), (f"{other}.jsonl", 2)}


def test_duplicate_inbound_ignores_transcript_copies(tmp_path):
    # sessions.compact keeps a .bak copy, compaction checkpoints a .checkpoint copy: same lines.
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    shutil.copy(DUP_FILE, sessions / DUP_FILE.name)
    shutil.copy(DUP_FILE, sessions / f"{DUP_FILE.name}.bak.2026-04-26T04-00-00.000Z")
    shutil.copy(DUP_FILE, sessions / f"{DUP_FILE.stem}.checkpoint.5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b.jsonl")
    _, doc = _check(sessions)
    dups = _by_rule(doc, "duplicate-inbound")
    assert len(dups) == 2  # the two real duplicates, nothing from the copies
    assert {Path(e["source"]).name for f in dups for e in f["evidence"]} == {DUP_FILE.name}


def test_duplicate_inbound_in_metadata_block_transcripts(tmp_path):
    sid = "d1bb7b1c-0000-4000-8000-000000000001"
    body = ('Conversation info (untrusted metadata):\n```json\n{\n  "message_id": "1497791874088435719",\n'
            '  "sender_id": "301234567890123456",\n  "sender": "alice"\n}\n```\n\n{text}')
    rows = [{"type": "session", "version": 3, "id": sid, "timestamp": "2026-04-26T02:40:00.000Z", "cwd": "/home/alice"}]
    for n, (ts, text) in enumerate([("2026-04-26T02:50:10.812Z", "only in DMs"),
                                    ("2026-04-26T02:56:25.624Z", "[Queued messages while agent was busy]\n\n"
                                                                 "---\nQueued #1 (from alice)\nonly in DMs")]):
        rows.append({"type": "message", "id": f"0000000{n}", "parentId": None, "timestamp": ts,
                     "message": {"role": "user", "content": [{"type": "text", "text": body.replace("{text}", text)}]}})
    (tmp_path / f"{sid}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    _, doc = _check(tmp_path)
    assert len(_by_rule(doc, "duplicate-inbound")) == 1
