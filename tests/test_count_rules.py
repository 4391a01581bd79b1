"""Count rules over several groups at once (rules/engine.py `_run_count`): every group is
counted on its own rows. Found by checking all excerpt fixtures in one run: a lone Telegram 409
and a health monitor that restarted a channel once were reported (another group's counts landed
on their rows) while a real loop of four restarts was missed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from moltdiag.cli import main

EXCERPTS = Path(__file__).resolve().parents[1] / "fixtures" / "excerpts"
CASES = ["discord/health-monitor-loop-51116", "discord/provider-restart-47535",
         "process-and-channels/telegram-conflict-8762", "process-and-channels/whatsapp-440-loop-25591",
         "discord/resume-death-spiral-13688"]
COUNT_RULES = {"health-monitor-restart-loop", "telegram-conflict", "reconnect-storm", "whatsapp-reconnect-loop",
               "crash-loop", "slack-pong-timeout"}


def _findings(*paths: Path) -> list[tuple[str, str, str]]:
    result = CliRunner().invoke(main, ["check", *map(str, paths), "--format", "json", "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    return sorted((f["rule"], f["ts"], f["summary"].split(" between ")[0]) for f in doc["findings"]
                  if f["rule"] in COUNT_RULES)


def test_count_rules_find_the_same_together_as_apart(tmp_path):
    apart = []
    for case in CASES:
        apart += _findings(EXCERPTS / case)
        shutil.copytree(EXCERPTS / case, tmp_path / case.replace("/", "-"))
    together = _findings(tmp_path)
    assert together == sorted(apart)
    assert ("health-monitor-restart-loop", "2026-03-20T14:27:00.000Z",
            "The health monitor restarted discord 4 times") in together
    # below the rule's at_least, never a finding
    assert not any(s.startswith(("1 Telegram", "The health monitor restarted discord 1 ",
                                 "The health monitor restarted discord 2 ")) for _, _, s in together)
