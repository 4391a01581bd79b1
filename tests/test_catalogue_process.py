"""Gateway-process and non-Discord channel rules: the excerpts under
fixtures/excerpts/process-and-channels/ through the CLI, the classifier strings they need,
and the clock_integrity check on its own."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from moltdiag.cli import main
from moltdiag.correlate.timeline import build_timeline
from moltdiag.parsers.openclaw_messages import classify_log_messages
from moltdiag.rules.checks import clock_integrity
from moltdiag.rules.model import load_rules
from moltdiag.rules.selftest import run_samples
from moltdiag.schema import conform

EXCERPTS = Path(__file__).resolve().parent.parent / "fixtures" / "excerpts" / "process-and-channels"
RULE_IDS = ("gateway-restart", "crash-loop", "telegram-conflict", "telegram-polling-stall",
            "whatsapp-reconnect-loop", "slack-pong-timeout", "clock-integrity")


def _check(*paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", *map(str, paths), "--format", "json", *extra])
    doc = json.loads(result.output)
    if "--fail-on" not in extra:  # exit status follows the findings (callers check --fail-on themselves)
        assert result.exit_code == (1 if doc["findings"] else 0), result.output
    return result.exit_code, doc


def _findings(doc: dict, rule: str) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"] == rule]


def _assert_evidence_from(case: Path, finding: dict, lines: set[int], filename: str) -> None:
    """Every evidence row names a line of the excerpt, and that line holds the row's text."""
    text = (case / filename).read_text(encoding="utf-8").splitlines()
    got = set()
    for ev in finding["evidence"]:
        assert ev["source"].endswith(f"{case.name}/{filename}"), ev["source"]
        assert ev["text"] and ev["text"] in text[ev["line"] - 1], (ev["line"], ev["text"])
        got.add(ev["line"])
    assert got == lines, (finding["rule"], sorted(got))


# --- the catalogue --------------------------------------------------------------------------


def test_rules_are_in_the_catalogue_and_their_samples_pass():
    rules = {r.id: r for r in load_rules()}
    for rule_id in RULE_IDS:
        assert rule_id in rules, rule_id
        rule = rules[rule_id]
        assert rule.positive and rule.negative
        assert "gateway-log" in rule.needs
        assert "\n" not in rule.message
        failed = [f"{r.polarity} {r.name}: {r.detail}" for r in run_samples(rule) if not r.ok]
        assert not failed, failed
    assert rules["crash-loop"].severity == "high"
    assert rules["gateway-restart"].severity == "info"
    assert rules["clock-integrity"].correlate["check"] == "clock_integrity"


def test_rules_without_a_gateway_log_are_listed_as_not_evaluated(tmp_path):
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    seed = Path(__file__).resolve().parent.parent / "fixtures" / "discord-reset-3106" / "agents" / "main" / "sessions"
    for f in seed.glob("*.jsonl"):
        (sessions / f.name).write_text(f.read_text())
    _, doc = _check(sessions)
    assert not [f for f in doc["findings"] if f["rule"] in RULE_IDS]
    text = json.dumps(doc)
    for rule_id in RULE_IDS:
        assert rule_id in text  # reported as not evaluated, with the blind spot


# --- excerpts through the CLI ---------------------------------------------------------------


def test_gateway_restart_real_run():
    case = EXCERPTS / "gateway-restart-real-run"
    _, doc = _check(case)
    assert sorted(f["rule"] for f in doc["findings"]) == ["gateway-restart"]
    (finding,) = _findings(doc, "gateway-restart")
    assert finding["severity"] == "info"
    _assert_evidence_from(case, finding, {3, 4, 10}, "console.txt")
    assert "PID 23110" in finding["evidence"][-1]["text"]
    assert "2.4 min later" in finding["summary"]
    assert finding["ts"] == "2026-11-25T08:43:25.130Z"


def test_crash_loop_bind_conflict():
    case = EXCERPTS / "crash-loop-bind-conflict"
    code, doc = _check(case)
    assert code == 1
    (finding,) = _findings(doc, "crash-loop")
    assert finding["severity"] == "high"
    _assert_evidence_from(case, finding, {5, 10, 15, 20}, "journal.txt")
    assert all("Scheduled restart job" in e["text"] for e in finding["evidence"])
    assert finding["summary"].startswith("4 gateway crash/auto-restart cycles on droplet-1")
    # The same burst is one restart finding, not one per cycle.
    assert len(_findings(doc, "gateway-restart")) == 1
    assert not _findings(doc, "clock-integrity")


def test_telegram_conflict_8762():
    case = EXCERPTS / "telegram-conflict-8762"
    _, doc = _check(case)
    assert sorted(f["rule"] for f in doc["findings"]) == ["telegram-conflict"]
    (finding,) = _findings(doc, "telegram-conflict")
    _assert_evidence_from(case, finding, {1, 2, 3}, "journal.txt")  # the lone line 4 is not a finding
    assert all(e["code"] == 409 for e in finding["evidence"])
    assert finding["summary"].startswith("3 Telegram getUpdates 409 conflicts")


def test_telegram_polling_stall_64288():
    case = EXCERPTS / "telegram-polling-stall-64288"
    _, doc = _check(case)
    assert sorted(f["rule"] for f in doc["findings"]) == ["telegram-polling-stall"]
    (finding,) = _findings(doc, "telegram-polling-stall")
    _assert_evidence_from(case, finding, {1, 2, 4}, "journal.txt")  # [diag] restatements not counted
    assert "+01:00" in finding["summary"]


@pytest.mark.parametrize("name,lines,code", [
    ("whatsapp-440-loop-25591", {2, 4, 6, 8}, 440),
    ("whatsapp-499-inactivity-62258", {2, 5, 8, 11}, 499),
])
def test_whatsapp_reconnect_loop(name, lines, code):
    case = EXCERPTS / name
    _, doc = _check(case)
    (finding,) = _findings(doc, "whatsapp-reconnect-loop")
    _assert_evidence_from(case, finding, lines, "journal.txt")
    assert {e["code"] for e in finding["evidence"]} == {code}
    assert f"(status {code})" in finding["summary"]


def test_slack_pong_timeout_72808():
    case = EXCERPTS / "slack-pong-timeout-72808"
    _, doc = _check(case)
    assert sorted(f["rule"] for f in doc["findings"]) == ["slack-pong-timeout"]
    (finding,) = _findings(doc, "slack-pong-timeout")
    _assert_evidence_from(case, finding, {2, 6, 9}, "journal.txt")


def test_clock_integrity_generated_wsl_resume():
    case = EXCERPTS / "clock-integrity-wsl-resume"
    code, doc = _check(case)
    assert code == 1
    findings = sorted(_findings(doc, "clock-integrity"), key=lambda f: f["ts"])
    assert [f["facts"]["type"] for f in findings] == ["gap", "out_of_order"]
    gap, back = findings
    assert gap["severity"] == "info" and back["severity"] == "warning"
    _assert_evidence_from(case, gap, {5, 6}, "journal.txt")
    _assert_evidence_from(case, back, {8, 9}, "journal.txt")
    assert gap["facts"]["lines"] == [[5, 6]] and back["facts"]["lines"] == [[8, 9]]
    assert "8.7 h" in gap["summary"] and "94.7 s" in back["summary"]
    assert all(e["ts_note"] for f in findings for e in f["evidence"])
    # Only warnings and above: the gap alone does not fail the run.
    code, _ = _check(case, extra=("--fail-on", "high"))
    assert code == 0


def test_every_case_has_a_readme_and_is_under_forty_lines():
    cases = [d for d in EXCERPTS.iterdir() if d.is_dir()]
    assert len(cases) == 8
    for case in cases:
        readme = (case / "README.md").read_text()
        assert "Expected" in readme
        assert "github.com" in readme or "generated" in readme or "real-runs" in readme
        for f in case.iterdir():
            if f.name != "README.md":
                assert len(f.read_text().splitlines()) <= 40, f


# --- classifier strings ------------------------------------------------------------------------


def _classify(texts: list[str]) -> list[dict]:
    df = classify_log_messages(conform(pl.DataFrame({"text": texts})))
    return df.select("kind", "channel", "code").to_dicts()


@pytest.mark.parametrize("text,kind,channel,code", [
    ("[telegram] network error: Network request for 'getUpdates' failed!; retrying in 2.1s.",
     "channel_reconnect", "telegram", None),
    ("Telegram network error: TypeError: fetch failed; retrying in 3.6s.", "channel_reconnect", "telegram", None),
    ("Telegram setup network error: fetch failed; retrying in 2s.", "channel_reconnect", "telegram", None),
    ("[telegram] Polling stall detected (no getUpdates for 894.31s); forcing restart.",
     "connection_stalled", "telegram", None),
    ("[telegram] Polling runner stop timed out after 15s; forcing restart cycle.",
     "connection_stalled", "telegram", None),
    ("[telegram] polling runner stopped (polling stall detected); restarting in 2s.",
     "channel_reconnect", "telegram", None),
    ("Telegram polling runner stopped (polling stall detected); restarting in 2s.",
     "channel_reconnect", "telegram", None),
    ("[telegram] [diag] polling cycle finished reason=polling stall detected inFlight=0 outcome=error",
     "connection_stalled", "telegram", None),
    ("[telegram][diag] polling cycle error reason=network error inFlight=0 err=fetch failed",
     "channel_reconnect", "telegram", None),
    # A conflict stays a conflict, diag form included.
    ("[telegram] [diag] polling cycle error reason=getUpdates conflict err=Call to 'getUpdates' failed! "
     "(409: Conflict: terminated by other getUpdates request)", "channel_conflict", "telegram", 409),
    ("WhatsApp Web connection closed during setup (status 428). Retry 1/3 in 500ms.",
     "channel_reconnect", "whatsapp", 428),
    ("[whatsapp] Web connection closed (status 499). Retry 1/12 in 2.16s…", "channel_reconnect", "whatsapp", 499),
    # Unchanged neighbours.
    ("[discord] gateway: WebSocket connection closed with code 1005", "ws_close", "discord", 1005),
    ("[discord] gateway error: network error: getaddrinfo ENOTFOUND", "gateway_error", "discord", None),
    ("[gateway] signal SIGUSR1 received", "gateway_restart", None, None),
])
def test_classifier_strings(text, kind, channel, code):
    assert _classify([text]) == [{"kind": kind, "channel": channel, "code": code}]


# --- clock_integrity on its own -----------------------------------------------------------------


def _journal(tmp_path: Path, lines: list[str], name: str = "journal.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+0000") + " box node[10]: " + t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


T0 = datetime(2026, 3, 7, 10, 0, 0, tzinfo=timezone.utc)


def test_clock_jitter_under_the_tolerance_and_a_gap_across_an_elision_are_quiet(tmp_path):
    path = _journal(tmp_path, [
        f"{_stamp(T0)} [heartbeat] started",
        f"{_stamp(T0 - timedelta(seconds=1.5))} [gateway] agent model: anthropic/claude-opus-4-5",
        "[... 2483 more lines ...]",
        f"{_stamp(T0 + timedelta(hours=20))} [gateway] signal SIGTERM received",
    ])
    tl = build_timeline([str(path)])
    assert clock_integrity.run(tl, None, {}) == []


def test_clock_parameters_and_clustering(tmp_path):
    lines = [f"{_stamp(T0 + timedelta(minutes=i))} [ws] tick {i}" for i in range(3)]
    lines.append(f"{_stamp(T0 + timedelta(hours=2))} [ws] tick late")
    # Three backward steps within a few minutes: one finding listing all three.
    t = T0 + timedelta(hours=2, minutes=5)
    for i in range(3):
        lines.append(f"{_stamp(t)} [ws] tick ahead {i}")
        lines.append(f"{_stamp(t - timedelta(seconds=30))} [ws] tick behind {i}")
        t += timedelta(minutes=1)
    tl = build_timeline([str(_journal(tmp_path, lines))])
    default = clock_integrity.run(tl, None, {})
    assert [f.facts["type"] for f in default] == ["out_of_order"]
    assert default[0].facts["jumps"] == 3 and default[0].facts["lines"] == [[5, 6], [7, 8], [9, 10]]
    assert len(default[0].evidence) == 6
    # A shorter gap threshold reports the 2-hour silence; a looser tolerance hides the steps.
    tuned = clock_integrity.run(tl, None, {"gap": "1h", "backward": "45s"})
    assert [(f.facts["type"], f.severity, f.facts["lines"]) for f in tuned] == [("gap", "info", [[3, 4]])]
    # Only gateway-log sources are read unless told otherwise.
    assert clock_integrity.run(tl, None, {"sources": ["transcript"]}) == []


def test_clock_per_source_and_findings_through_the_rule_id(tmp_path):
    a = _journal(tmp_path, [f"{_stamp(T0)} [ws] a0", f"{_stamp(T0 + timedelta(minutes=10))} [ws] a1"], "a.txt")
    b = _journal(tmp_path, [f"{_stamp(T0 + timedelta(minutes=5))} [ws] b0",
                            f"{_stamp(T0 + timedelta(minutes=1))} [ws] b1"], "b.txt")
    _, doc = _check(a, b)
    (finding,) = _findings(doc, "clock-integrity")
    assert finding["facts"]["source"].endswith("b.txt") and finding["facts"]["lines"] == [[1, 2]]
    assert finding["id"].startswith("clock-integrity-")


def test_crash_markers_count_in_console_output_without_systemd(tmp_path):
    lines = [f"2026-03-24T10:{m:02d}:00.000Z [openclaw] Uncaught exception: Error: Max reconnect attempts (0) "
             "reached after code 1005" for m in (0, 9, 19)]
    path = _journal(tmp_path, lines, "console.txt")
    _, doc = _check(path)
    (finding,) = _findings(doc, "crash-loop")
    assert [e["line"] for e in finding["evidence"]] == [1, 2, 3]
    # The same three lines in a journal with identifiers are the process's lines: systemd's
    # `Scheduled restart job` counts the cycles there, so these alone are not a loop.
    journal = _journal(tmp_path, [f"2026-03-24T10:{m:02d}:00+0000 box node[7]: [openclaw] Uncaught exception: Error: x"
                                  for m in (0, 9, 19)])
    _, doc = _check(journal)
    assert not _findings(doc, "crash-loop")
