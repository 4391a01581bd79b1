"""The live journal (issue 5 item 5): unit discovery across brand eras, journalctl argv, errors.

systemctl and journalctl are faked with an injected runner: no gateway unit exists here.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

import orjson
import pytest

from moltdiag import live_journal
from moltdiag.parsers.base import InputError

RECORD = {
    "__REALTIME_TIMESTAMP": "1769540710412345", "_HOSTNAME": "gw", "SYSLOG_IDENTIFIER": "node", "_PID": "43079",
    "PRIORITY": "6", "_SYSTEMD_USER_UNIT": "openclaw-gateway.service",
    "MESSAGE": "2026-01-27T19:05:10.412Z [discord] gateway: WebSocket connection closed with code 1005",
}


class FakeRunner:
    """Answers by the program and its arguments; records every call."""

    def __init__(self, *, units: str = "", unit_files: str = "", journal_units: str = "", journal: bytes = b"",
                 missing: Sequence[str] = (), journal_rc: int = 0, journal_err: bytes = b""):
        self.units, self.unit_files, self.journal_units = units, unit_files, journal_units
        self.journal, self.missing, self.journal_rc, self.journal_err = journal, set(missing), journal_rc, journal_err
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        argv = list(argv)
        self.calls.append(argv)
        if argv[0] in self.missing:
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        if argv[0] == "systemctl":
            out = self.units if "list-units" in argv else self.unit_files
            return subprocess.CompletedProcess(argv, 0, out.encode(), b"")
        if "-F" in argv:
            return subprocess.CompletedProcess(argv, 0, self.journal_units.encode(), b"")
        return subprocess.CompletedProcess(argv, self.journal_rc, self.journal, self.journal_err)


def test_units_of_every_era_and_profiles_in_a_fixed_order():
    runner = FakeRunner(
        units=("clawdbot-gateway.service loaded active running Clawdbot Gateway (v2026.1.24-3)\n"
               "● openclaw-gateway-work.service loaded failed failed OpenClaw Gateway (profile: work, v2026.2.1)\n"
               "nginx-gateway.service loaded active running Some other gateway\n"),
        unit_files="openclaw-gateway.service enabled enabled\nmoltbot-gateway.service disabled enabled\n",
        journal_units="clawdis-gateway.service\nopenclaw-gateway.service\napp-gateway.service\nopenclaw-gateway-dev.service\n",
    )
    units = live_journal.find_gateway_units(True, runner=runner)
    assert units == ["openclaw-gateway.service", "openclaw-gateway-dev.service", "openclaw-gateway-work.service",
                     "moltbot-gateway.service", "clawdbot-gateway.service", "clawdis-gateway.service"]
    assert all("--user" in call for call in runner.calls)
    assert ["journalctl", "--user", "-F", "_SYSTEMD_USER_UNIT", "--no-pager"] in runner.calls


def test_system_scope_asks_for_system_units():
    runner = FakeRunner(journal_units="openclaw-gateway.service\n")
    assert live_journal.find_gateway_units(False, runner=runner) == ["openclaw-gateway.service"]
    assert not any("--user" in call for call in runner.calls)
    assert ["journalctl", "-F", "_SYSTEMD_UNIT", "--no-pager"] in runner.calls


def test_journal_alone_finds_a_removed_unit_when_systemctl_is_missing():
    runner = FakeRunner(journal_units="clawdbot-gateway.service\n", missing=["systemctl"])
    assert live_journal.find_gateway_units(True, runner=runner) == ["clawdbot-gateway.service"]


def test_input_reads_every_discovered_unit_with_since():
    data = orjson.dumps(RECORD) + b"\n"
    runner = FakeRunner(unit_files="openclaw-gateway.service enabled enabled\n",
                        journal_units="clawdbot-gateway.service\n", journal=data)
    inp = live_journal.live_journal_input(None, True, "2h", runner=runner)
    assert inp.name == "journal:openclaw-gateway.service,clawdbot-gateway.service"
    assert inp.data == data and inp.path is None
    assert runner.calls[-1] == ["journalctl", "--user", "-u", "openclaw-gateway.service", "-u",
                                "clawdbot-gateway.service", "-o", "json", "--all", "--no-pager", "--since=-2h"]


def test_named_unit_skips_discovery():
    runner = FakeRunner(journal=orjson.dumps(RECORD) + b"\n")
    inp = live_journal.live_journal_input("openclaw-gateway-work", False, "2026-01-27 19:00", runner=runner)
    assert inp.name == "journal:openclaw-gateway-work.service"
    assert runner.calls == [["journalctl", "-u", "openclaw-gateway-work.service", "-o", "json", "--all",
                             "--no-pager", "--since=2026-01-27 19:00"]]


def test_no_unit_found_is_one_line_error_naming_the_units_tried():
    with pytest.raises(InputError) as err:
        live_journal.live_journal_input(None, False, None, runner=FakeRunner())
    msg = str(err.value)
    assert "\n" not in msg
    for name in ("openclaw-gateway", "moltbot-gateway", "clawdbot-gateway", "clawdis-gateway",
                 "openclaw-gateway-<profile>", "--user"):
        assert name in msg


def test_missing_journalctl_and_failure():
    runner = FakeRunner(missing=["journalctl"])
    with pytest.raises(InputError, match="needs journalctl"):
        live_journal.live_journal_input("openclaw-gateway", True, None, runner=runner)
    runner = FakeRunner(journal_rc=1, journal_err=b"Failed to add match 'x': Invalid argument\n")
    with pytest.raises(InputError, match="journalctl failed: Failed to add match"):
        live_journal.live_journal_input("openclaw-gateway", True, None, runner=runner)


def test_parsed_journal_events_and_empty_journal():
    runner = FakeRunner(journal=orjson.dumps(RECORD) + b"\n")
    parsed = live_journal.parsed_journal("openclaw-gateway", True, "90m", runner=runner)
    assert parsed.format == "journald-json" and parsed.lines == 1
    event = parsed.events.to_dicts()[0]
    assert event["kind"] == "ws_close" and event["code"] == 1005 and event["pid"] == 43079
    assert event["source"] == "journal:openclaw-gateway.service"
    assert any("--since=-90min" in n for n in parsed.notes)
    empty = live_journal.parsed_journal("openclaw-gateway", True, "1h", runner=FakeRunner())
    assert empty.events.height == 0 and empty.notes == ["no journal entries since 1h (user journal)"]


@pytest.mark.parametrize(("given", "expected"), [
    ("2h", "-2h"), ("90m", "-90min"), ("1.5d", "-1.5d"), ("30s", "-30s"), ("45 min", "-45min"),
    ("today", "today"), ("-3h", "-3h"), ("2026-01-27 19:00:00", "2026-01-27 19:00:00"),
])
def test_since_argument(given, expected):
    assert live_journal.journal_since_arg(given) == expected


def test_gateway_unit_name():
    assert live_journal.gateway_unit_name("moltbot-gateway") == "moltbot-gateway.service"
    assert live_journal.gateway_unit_name("openclaw-gateway-work.service") == "openclaw-gateway-work.service"
    assert live_journal.gateway_unit_name("nginx") is None


def test_cli_journal_option_reads_the_live_journal_with_transcripts(monkeypatch):
    """`moltdiag check --journal PATH` joins the unit's journal (faked here) to the transcripts."""
    import json as json_lib
    import subprocess as sp
    from pathlib import Path

    from click.testing import CliRunner

    from moltdiag.cli import main

    seed = Path(__file__).resolve().parent.parent / "fixtures" / "discord-reset-3106"
    lines = [
        ("1769565910000000", "[discord] gateway: Attempting resume with backoff: 1000ms"),
        ("1769565910080000", "[discord] gateway: WebSocket connection closed with code 1005"),
        ("1769566061000000", "[discord] gateway: Attempting resume with backoff: 1000ms"),
        ("1769566061070000", "[discord] gateway: WebSocket connection closed with code 1005"),
        ("1769566065000000", "[EventQueue] Slow listener detected: InteractionEventListener took 4503ms for event "
                             "INTERACTION_CREATE"),
    ]
    journal = "".join(json_lib.dumps({"__REALTIME_TIMESTAMP": ts, "MESSAGE": msg, "_PID": "43079",
                                      "SYSLOG_IDENTIFIER": "node", "_HOSTNAME": "host"}) + "\n" for ts, msg in lines)
    calls = []

    def fake(argv):
        calls.append(list(argv))
        out = journal.encode() if argv[0] == "journalctl" and "-o" in argv else b""
        return sp.CompletedProcess(list(argv), 0, out, b"")

    monkeypatch.setattr(live_journal, "run_command", fake)
    transcripts = seed / "agents" / "main" / "sessions"
    result = CliRunner().invoke(main, ["check", str(transcripts), "--unit", "clawdbot-gateway",
                                       "--journal-since", "2h", "--format", "json"])
    doc = json_lib.loads(result.output)
    assert "unexplained-reset" in {f["rule"] for f in doc["findings"]}
    assert any(i["source"] == "journal:clawdbot-gateway.service" for i in doc["inputs"])
    journal_call = next(c for c in calls if c[0] == "journalctl" and "-o" in c)
    assert "--user" in journal_call and "clawdbot-gateway.service" in journal_call
