"""The real clawdbot 2026.1.24 run (`../shared/real-runs/clawdbot-2026.1.24/`) read to the ground truth in its RUN.md.

Everything here goes through the public API (`build_timeline` / `timeline_from_parsed`,
`rules.evaluate` + `load_rules`, the CLI's `check --format json`). The folder is made by
`fixtures/real-run-reproduce/run.sh`-style runs and lives beside the repository, not in it;
without it this module is skipped.

Three views of the same run are checked, because they are what different users have:

- whole   : the whole folder (console output, file log, state dir, sessions.json snapshots
            taken after every step, memory files) — `moltdiag check <folder>`;
- user    : what a user's machine keeps: the state dir (final sessions.json, transcripts,
            commands.log) plus the workspace's session-memory files;
- state   : the state dir alone (no memory files).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from _realrun import R1, S1, S2, S3, S4, S5, S6  # noqa: F401
from moltdiag.cli import main
from moltdiag.correlate.timeline import Timeline, build_timeline, timeline_from_parsed
from moltdiag.parsers import load_inputs, read_input
from moltdiag.rules import evaluate, load_rules

from _realrun import RUN  # noqa: E402
if not (RUN / "RUN.md").is_file():
    pytest.skip(f"real-run corpus not present at {RUN} (it sits at ../shared/real-runs relative to the repo root)",
                allow_module_level=True)

STATE = RUN / "state-dir"
MEMORY = RUN / "workspace" / "memory"
FILE_LOG = RUN / "file-log" / "clawdbot-2026-11-25.log"

MAIN, RESEARCH = "agent:main:main", "agent:main:research"


def utc(h: int, m: int, s: int, ms: int = 0) -> datetime:
    return datetime(2026, 11, 25, h, m, s, ms * 1000, tzinfo=timezone.utc)


# RUN.md "Ground truth": session -> (key, started by, first line (UTC), user msgs, assistant msgs,
# first user message kind, the start of the first user text).
GREETING = "A new session was started via /new or /reset."
TRUTH = {
    S1: (MAIN, None, utc(8, 41, 3, 171), 3, 4, "user_message", "Hello, this is the first message of the original session."),
    S2: (MAIN, "/new", utc(8, 41, 52, 648), 3, 3, "reset_prompt", GREETING),
    S3: (MAIN, "/reset", utc(8, 42, 41, 239), 4, 4, "reset_prompt", GREETING),
    S4: (MAIN, "/new", utc(8, 47, 43, 770), 2, 2, "user_message", "Let's talk about the weekly plan."),
    S5: (MAIN, "/new", utc(8, 48, 11, 708), 2, 2, "reset_prompt", GREETING),
    S6: (MAIN, "/reset", utc(8, 48, 42, 556), 2, 2, "reset_prompt", GREETING),
    R1: (RESEARCH, None, utc(8, 49, 6, 542), 1, 1, "user_message", "A message on a second session key"),
}
ORDER = [S1, S2, S3, S4, S5, S6, R1]
# RUN.md event order: commands.log lines (action, time) and which session each memory file saved.
COMMANDS = [("new", utc(8, 41, 51, 708)), ("reset", utc(8, 42, 41, 79)), ("new", utc(8, 47, 42, 973)),
            ("new", utc(8, 48, 11, 294)), ("reset", utc(8, 48, 42, 424))]
MEMORY_FILES = {"2026-11-25-let-me-check-the-date.md": S1, "2026-11-25-restart-check.md": S3,
                "2026-11-25-reset-test.md": S4}
COMMAND_WINDOW = timedelta(seconds=15)  # the classifier's commands.log tolerance


def _with_memory_files(paths: list[Path]) -> Timeline:
    """Parse `paths` through the dispatcher; memory files it skips (parser not registered yet) directly."""
    parsed, skipped = load_inputs([str(p) for p in paths])
    from moltdiag.parsers import session_memory

    rest = []
    for s in skipped:
        if Path(s.source).parent == MEMORY:
            parsed.append(session_memory.parse(read_input(s.source)))
        else:
            rest.append(s)
    return timeline_from_parsed(parsed, rest)


@pytest.fixture(scope="module")
def whole() -> Timeline:
    tl = build_timeline([str(RUN)])
    # Until the session-memory parser is registered, the directory walk skips the memory files.
    if not tl.events.filter(pl.col("kind") == "session_memory").height:
        tl = _with_memory_files([RUN])
    return tl


@pytest.fixture(scope="module")
def user() -> Timeline:
    return _with_memory_files([STATE, RUN / "workspace"])


@pytest.fixture(scope="module")
def state() -> Timeline:
    return build_timeline([str(STATE)])


def _lifetimes(tl: Timeline) -> dict[str, dict]:
    return {r["session_id"]: r for r in tl.lifetimes.iter_rows(named=True)}


def _command_before(tl: Timeline, start: datetime) -> dict | None:
    """The commands.log line for the key within the classifier's window before a start."""
    cmds = tl.events.filter((pl.col("kind") == "command_log") & (pl.col("ts") <= start)
                            & (pl.col("ts") >= start - COMMAND_WINDOW)).sort("ts")
    return cmds.row(-1, named=True) if cmds.height else None


# ---------------------------------------------------------------------------------------
# Sessions: the seven, their starts, what started them
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["whole", "user", "state"])
def test_seven_sessions_with_their_start_times(view, request):
    tl: Timeline = request.getfixturevalue(view)
    life = _lifetimes(tl)
    assert set(life) == set(TRUTH)
    assert tl.lifetimes.height == 7  # one lifetime per id: January builds rotate the id on reset
    for sid, (_, _, start, *_rest) in TRUTH.items():
        assert life[sid]["start"] == start, sid
    assert tl.lifetimes.sort("start")["session_id"].to_list() == ORDER


@pytest.mark.parametrize("view", ["whole", "user", "state"])
def test_what_started_each_session(view, request):
    tl: Timeline = request.getfixturevalue(view)
    life = _lifetimes(tl)
    for sid, (_, started_by, start, _, _, first_kind, first_text) in TRUTH.items():
        row = life[sid]
        assert row["first_user_kind"] == first_kind, sid
        assert row["first_user_text"].startswith(first_text), sid
        cmd = _command_before(tl, start)
        if started_by is None:
            # S1: the first message ever; R1: the first message on agent:main:research.
            assert cmd is None, sid
            assert row["prev_session_id"] is None, sid
        else:
            assert cmd is not None, sid
            assert cmd["text"] == f"{started_by} by cli via webchat", sid
            assert cmd["session_key"] == MAIN
    # `/new <text>`: the text is S4's first user message; there is no greeting prompt.
    s4 = life[S4]
    assert s4["first_user_kind"] == "user_message"
    assert s4["first_user_text"].split("\n")[0] == "Let's talk about the weekly plan."
    # R1's only candidate command (S6's /reset, 24 s earlier) is outside the window and for another key.
    assert _command_before(tl, TRUTH[R1][2]) is None


@pytest.mark.parametrize("view", ["whole", "user", "state"])
def test_transcript_message_counts(view, request):
    tl: Timeline = request.getfixturevalue(view)
    tx = tl.events.filter(pl.col("format") == "transcript")
    for sid, (_, _, _, users, assistants, _, _) in TRUTH.items():
        mine = tx.filter(pl.col("session_id") == sid)
        assert mine.filter(pl.col("kind").is_in(["user_message", "reset_prompt"])).height == users, sid
        assert mine.filter(pl.col("kind").is_in(["assistant_message", "reset_notice"])).height == assistants, sid
    # S1's `[use-tool]` turn: one exec tool result.
    assert tx.filter(pl.col("kind") == "tool_result")["session_id"].to_list() == [S1]


def test_commands_log_lines(whole):
    cmds = whole.events.filter(pl.col("kind") == "command_log").sort("ts")
    assert [(t.split()[0].lstrip("/"), ts) for t, ts in zip(cmds["text"], cmds["ts"])] == COMMANDS
    assert set(cmds["session_key"]) == {MAIN} and set(cmds["channel"]) == {"webchat"}


# ---------------------------------------------------------------------------------------
# Session keys: which evidence names them
# ---------------------------------------------------------------------------------------


def test_keys_whole_folder(whole):
    life = _lifetimes(whole)
    for sid, (key, *_rest) in TRUTH.items():
        assert life[sid]["session_key"] == key, sid
        assert life[sid]["key_how"] != "unknown", sid
    # The chain of replacements under agent:main:main.
    assert [life[s]["prev_session_id"] for s in ORDER] == [None, S1, S2, S3, S4, S5, None]


def test_keys_state_dir_plus_memory_files(user):
    """The final sessions.json names only S6 and R1; commands.log names S2–S6 (a /new or /reset
    just before each start); only the session-memory file of the first /new names S1."""
    life = _lifetimes(user)
    for sid, (key, *_rest) in TRUTH.items():
        assert life[sid]["session_key"] == key, sid
    assert life[S1]["key_how"] == "named by session-memory"
    assert life[S3]["key_how"] == life[S4]["key_how"] == "named by session-memory"
    assert life[S2]["key_how"] == life[S5]["key_how"] == "commands.log or session-memory file just before the start"
    assert life[S6]["key_how"] == life[R1]["key_how"] == "named by sessions-json"
    assert [life[s]["prev_session_id"] for s in ORDER] == [None, S1, S2, S3, S4, S5, None]


def test_keys_state_dir_alone_leave_the_first_session_unknown(state):
    """Without the memory files nothing names S1's key: it is not in the final store (its key
    moved on to S2…S6), no /new or /reset precedes it, and its first message is WebChat text
    without a Discord envelope. It still comes out as S2's predecessor (orphan matched by time)."""
    life = _lifetimes(state)
    assert life[S1]["session_key"] is None and life[S1]["key_how"] == "unknown"
    for sid in (S2, S3, S4, S5, S6):
        assert life[sid]["session_key"] == MAIN, sid
    assert life[R1]["session_key"] == RESEARCH
    assert life[S2]["prev_session_id"] == S1


def test_memory_files_name_the_session_each_new_left(user):
    mem = user.events.filter(pl.col("kind") == "session_memory").sort("ts")
    assert mem.height == 3
    by_file = {Path(r["source"]).name: r for r in mem.iter_rows(named=True)}
    assert {name: r["session_id"] for name, r in by_file.items()} == MEMORY_FILES
    life = _lifetimes(user)
    new_times = [ts for action, ts in COMMANDS if action == "new"]
    for name, row in by_file.items():
        assert row["session_key"] == MAIN and row["channel"] == "webchat"
        # Written by a /new: the header time (whole seconds, UTC) is that command's second.
        assert any(timedelta(0) <= t - row["ts"] < timedelta(seconds=1) for t in new_times), name
        # …and the session it saved is the predecessor of the session that /new started.
        successor = next(s for s in ORDER if life[s]["prev_session_id"] == row["session_id"])
        assert TRUTH[successor][1] == "/new" and life[successor]["start"] > row["ts"]
    # In this version the hook does not write on /reset: S2 and S5 (left by /reset) have none.
    assert not set(mem["session_id"]) & {S2, S5}


# ---------------------------------------------------------------------------------------
# The gateway's two runs
# ---------------------------------------------------------------------------------------


def test_gateway_runs_and_sigterm_stops_in_the_file_log(whole):
    log = whole.events.filter(pl.col("source") == str(FILE_LOG))
    starts = log.filter(pl.col("kind") == "gateway_start").sort("ts")
    assert list(zip(starts["pid"], starts["ts"])) == [(19184, utc(8, 40, 5, 610)), (23110, utc(8, 45, 49, 28))]
    sigterm = log.filter((pl.col("kind") == "gateway_stop") & pl.col("text").str.contains("SIGTERM")).sort("ts")
    signals = sigterm.filter(pl.col("text").str.starts_with("signal SIGTERM"))
    assert signals["ts"].to_list() == [utc(8, 43, 25, 130), utc(8, 49, 14, 749)]
    assert sigterm.height == 4  # "signal SIGTERM received" + "received SIGTERM; shutting down", twice
    # every stop and start of the console output agrees with the file log
    for run, pid, start, stop in (("run1", 19184, utc(8, 40, 5, 610), utc(8, 43, 25, 130)),
                                  ("run2", 23110, utc(8, 45, 49, 28), utc(8, 49, 14, 749))):
        con = whole.events.filter(pl.col("source") == str(RUN / "console" / f"gateway-{run}.stdout"))
        assert con.filter(pl.col("kind") == "gateway_start").select("pid", "ts").rows() == [(pid, start)]
        assert stop in con.filter(pl.col("kind") == "gateway_stop")["ts"].to_list()


def test_s3_spans_the_restart(whole):
    s3 = whole.events.filter((pl.col("session_id") == S3) & pl.col("kind").is_in(["user_message", "reset_prompt"]))
    times = s3["ts"].to_list()
    assert any(t < utc(8, 43, 25, 130) for t in times) and any(t > utc(8, 45, 49, 28) for t in times)


# ---------------------------------------------------------------------------------------
# Refused commands: RUN.md documents none in this run
# ---------------------------------------------------------------------------------------


def test_no_refused_commands(whole):
    """RUN.md lists no refused or unauthorised /new or /reset: every command came from the
    authorised `cli` sender over WebChat and every one is in commands.log (5 lines)."""
    assert whole.events.filter(pl.col("kind") == "command_refused").height == 0
    assert not whole.events.filter(pl.col("text").str.contains("(?i)unauthorized sender|not authorized to reset")).height
    assert whole.events.filter(pl.col("kind") == "command_log").height == 5


# ---------------------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------------------


def test_check_whole_folder_raises_no_reset_findings():
    result = CliRunner().invoke(main, ["check", str(RUN), "--format", "json", "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    rules = {f["rule"] for f in doc["findings"]}
    assert "unexplained-reset" not in rules and "replayed-interaction" not in rules
    assert {"unexplained-reset", "replayed-interaction"} <= set(doc["summary"]["rules_evaluated"])
    # The restart between the two runs is reported, as it happened.
    restart = [f for f in doc["findings"] if f["rule"] == "gateway-restart"]
    assert restart and restart[0]["ts"] == "2026-11-25T08:43:25.130Z"
    assert {s["session_id"] for s in doc["sessions"]} == set(TRUTH)
    # The memory files are read once the parser is registered, and only then.
    from moltdiag.parsers import PARSER_MODULES

    read = {Path(i["source"]).name for i in doc["inputs"] if i["format"] == "session-memory"}
    skipped = {Path(s["source"]).name for s in doc["skipped"]}
    if "session_memory" in PARSER_MODULES:
        assert read == set(MEMORY_FILES) and not skipped & set(MEMORY_FILES)
    else:
        assert set(MEMORY_FILES) <= skipped


@pytest.mark.parametrize("view", ["whole", "user", "state"])
def test_no_reset_findings_in_any_view(view, request):
    tl: Timeline = request.getfixturevalue(view)
    run = evaluate(load_rules(), tl)
    assert "unexplained-reset" in run.evaluated and "replayed-interaction" in run.evaluated
    assert not [f for f in run.findings if f.rule in ("unexplained-reset", "replayed-interaction")]


def test_without_commands_log_memory_files_explain_the_new_commands():
    """Transcripts, memory files and the file log only: the /new <text> reset (S4, no prompt)
    is explained by the session-memory file the /new hook wrote just before it."""
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(RUN / "state-dir" / "agents"), str(RUN / "workspace"),
                                  str(RUN / "file-log"), "--format", "json"])
    doc = json.loads(result.output)
    assert not [f for f in doc["findings"] if f["rule"] in ("unexplained-reset", "replayed-interaction")]
    keys = {s["session_id"]: s["session_key"] for s in doc["sessions"]}
    assert keys[S4] == keys[S5] == "agent:main:main" and keys[R1] == "agent:main:research"
