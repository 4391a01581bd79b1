"""The rule catalogue: every file loads, every sample passes, broken rule files fail with FILE:LINE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moltdiag.cli import main
from moltdiag.rules.model import RuleError, catalogue_files, load_rule, load_rules
from moltdiag.rules.selftest import run_samples

CATALOGUE = load_rules()


@pytest.mark.parametrize("rule", CATALOGUE, ids=[r.id for r in CATALOGUE])
def test_every_sample_of_every_rule(rule):
    results = run_samples(rule)
    assert results, f"{rule.id} has no samples"
    failed = [f"{r.polarity} {r.name}: {r.detail}" for r in results if not r.ok]
    assert not failed, failed


def test_file_names_match_ids_and_ids_are_unique():
    ids = [load_rule(p).id for p in catalogue_files()]
    assert ids == [p.stem for p in catalogue_files()]
    assert len(ids) == len(set(ids))


def test_rules_list_json_lists_the_catalogue():
    result = CliRunner().invoke(main, ["rules", "list", "--format", "json"])
    assert result.exit_code == 0
    listed = {r["id"] for r in json.loads(result.output)}
    assert listed == {r.id for r in CATALOGUE}
    assert {"unexplained-reset", "replayed-interaction", "reconnect-storm", "carbon-stale-ack-loop"} <= listed


def test_rules_test_command_passes():
    result = CliRunner().invoke(main, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith(" 0 failed")


GOOD = (Path(__file__).parent.parent / "moltdiag/rules/catalogue/reconnect-storm.toml").read_text()


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda t: t.replace('severity = "warning"', 'severity = "loud"'), "severity must be one of"),
        (lambda t: t.replace('kinds = ["ws_close"]', 'kinds = ["ws_closed"]'), "unknown kind(s) ws_closed"),
        (lambda t: t.replace('window = "5m"', 'window = "five minutes"'), "bad duration"),
        (lambda t: t.replace('at_least = 5', 'at_least = 5\nwithin = "1s"'), "`within` is not a `count` correlation key"),
        (lambda t: t.replace("[[negative]]", "[[negatives]]"), "unknown key 'negatives'"),
        (lambda t: t.split("[[negative]]")[0], "needs at least one [[positive]] and one [[negative]]"),
        (lambda t: t.replace('group_by = ["host", "channel"]', 'group_by = ["hostname"]'), "unknown field 'hostname'"),
        (lambda t: t.replace('id = "reconnect-storm"', 'id = "Reconnect_Storm"'), "not kebab-case"),
    ],
)
def test_broken_rule_files_name_file_and_line(tmp_path, edit, message):
    path = tmp_path / "reconnect-storm.toml"
    path.write_text(edit(GOOD))
    with pytest.raises(RuleError) as err:
        load_rule(path)
    assert str(err.value).startswith(f"{path}:")
    assert message in str(err.value)


def test_user_rules_directory_replaces_a_shipped_id_and_adds_new_ones(tmp_path):
    (tmp_path / "reconnect-storm.toml").write_text(GOOD.replace("at_least = 5", "at_least = 50"))
    (tmp_path / "my-storm.toml").write_text(GOOD.replace('id = "reconnect-storm"', 'id = "my-storm"'))
    rules = {r.id: r for r in load_rules([str(tmp_path)])}
    assert rules["reconnect-storm"].correlate["at_least"] == 50
    assert "my-storm" in rules


def test_broken_user_rule_is_a_one_line_cli_error(tmp_path):
    (tmp_path / "bad.toml").write_text("id = 'bad'\n[match\n")
    result = CliRunner().invoke(main, ["rules", "list", "--rules", str(tmp_path)])
    assert result.exit_code == 2
    assert str(tmp_path / "bad.toml") in result.output and "Traceback" not in result.output
