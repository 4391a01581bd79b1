"""`moltdiag collect` (issue 5 item 6, issue 7 item 5): discovery across eras, redaction, links not
followed, sources untouched, a manifest that matches the bundle, and a bundle that moltdiag reads
back to the same sessions and findings as the directories it came from.

The fake home holds a Clawdbot-era state dir copied from the real run (`../shared/real-runs/`,
mtimes kept), an OpenClaw 2026.9 state dir with the SQLite fixture, workspaces with session-memory
files, file logs under a fake /tmp, symlinks pointing outside, and planted secrets and names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from moltdiag import collect as col
from moltdiag.cli import main
from moltdiag.cli_collect import collect as collect_cmd
from moltdiag.parsers import transcript
from moltdiag.parsers.base import InputError, InputFile

REPO = Path(__file__).resolve().parents[1]
from _realrun import RUN  # noqa: E402
SQLITE_STATE = REPO / "fixtures" / "openclaw-2026.9-sqlite" / "state"
STORE = "agents/main/agent/openclaw-agent.sqlite"
USER = "zebulon"
HOST = "zebhost"
SECRETS = ("sk-ant-api03-Zq9PlantedAnthropicKey0123456789abcdefABCDEF", "ghp_PlantedGithubToken0123456789abcdefABCD",
           "AKIAPLANTEDKEY123456", "zebulon-secret-token-123", "loopback-test-token-0001")
PRIVATE = (USER, HOST, "zebulon@example.org", "dentist-plans", "OUTSIDE-MARKER-7f3a", "Nightly backup")
NEW_SID = "c0ffee00-1111-4222-8333-444455556666"
PLANT_SID = "5eed5eed-aaaa-4bbb-8ccc-ddddeeeeffff"


def need_run() -> None:
    if not (RUN / "RUN.md").is_file():
        pytest.skip(f"real-run corpus not present at {RUN} (it sits at ../shared/real-runs beside the repo)")


def planted_transcript() -> str:
    lines = [
        {"type": "session", "version": 3, "id": PLANT_SID, "timestamp": "2026-11-25T09:00:00.000Z",
         "cwd": f"/home/{USER}/clawd"},
        {"type": "message", "id": "aa000001", "parentId": None, "timestamp": "2026-11-25T09:00:01.000Z",
         "message": {"role": "user", "content": [{"type": "text", "text":
                     f"I am {USER} on {HOST}.lan, mail me at zebulon@example.org; key {SECRETS[0]}\n"
                     "[message_id: run-1795600000000000001]"}], "timestamp": 1795600801000}},
        {"type": "message", "id": "aa000002", "parentId": "aa000001", "timestamp": "2026-11-25T09:00:02.000Z",
         "message": {"role": "assistant", "content": [
             {"type": "text", "text": f"Stored {SECRETS[1]} for you."},
             {"type": "toolCall", "id": "toolu_1", "name": "exec",
              "arguments": {"command": f"export AWS_ACCESS_KEY_ID={SECRETS[2]}; cat /home/{USER}/notes"}}],
             "provider": "anthropic", "model": "claude-opus-4-5", "stopReason": "toolUse",
             "timestamp": 1795600802000}},
        {"type": "message", "id": "aa000003", "parentId": "aa000002", "timestamp": "2026-11-25T09:00:03.000Z",
         "message": {"role": "toolResult", "toolCallId": "toolu_1", "toolName": "exec",
                     "content": [{"type": "text", "text": f"token={SECRETS[3]} host {HOST}"}],
                     "details": {"stdout": f"/home/{USER}/notes"}, "isError": False, "timestamp": 1795600803000}},
    ]
    return "".join(orjson.dumps(line).decode() + "\n" for line in lines)


def build_home(tmp_path: Path, *, links: bool = True, clawdbot: bool = True) -> dict[str, Path]:
    home = tmp_path / "home" / USER
    tmproot = tmp_path / "tmproot"
    outside = tmp_path / "outside"
    home.mkdir(parents=True)
    tmproot.mkdir()
    outside.mkdir()
    (outside / "stolen.jsonl").write_text('{"type":"session","version":3,"id":"0dd0dd00-0000-4000-8000-000000000000",'
                                          '"timestamp":"2026-11-25T09:00:00.000Z","cwd":"OUTSIDE-MARKER-7f3a"}\n')
    (outside / "sessions").mkdir()
    shutil.copy2(outside / "stolen.jsonl", outside / "sessions" / "0dd0dd00-0000-4000-8000-000000000000.jsonl")

    # OpenClaw 2026.9: SQLite store, commands.log, JSON5 config naming a workspace outside the state dir
    oc = home / ".openclaw"
    shutil.copytree(SQLITE_STATE, oc, copy_function=shutil.copy2)
    (oc / "openclaw.json").write_text(
        "// OpenClaw config (JSON5)\n{\n  agents: { defaults: { workspace: '~/work-ws', }, },\n"
        f"  gateway: {{ auth: {{ token: '{SECRETS[3]}' }} }},\n}}\n")
    (oc / "credentials").mkdir()
    (oc / "credentials" / "discord.json").write_text(json.dumps({"token": SECRETS[3]}))
    (oc / "agents" / "main" / "agent" / "auth-profiles.json").write_text(json.dumps({"key": SECRETS[0]}))
    ws = home / "work-ws" / "memory"
    ws.mkdir(parents=True)
    (ws / "2026-09-14-dentist-plans.md").write_text(
        "# Session: 2026-09-14 09:10:00 UTC\n\n- **Session Key**: agent:main:main\n"
        "- **Session ID**: 3b8f1d2a-6c4e-4f7a-9d21-5e0c8b7a4f13\n- **Source**: webchat\n\n"
        f"## Conversation Summary\n\nuser: {USER} needs the dentist at 10:30\nassistant: Noted, {USER}.\n")

    paths = {"home": home, "tmproot": tmproot, "outside": outside, "openclaw": oc, "workspace": home / "work-ws"}
    if clawdbot:
        need_run()
        cb = home / ".clawdbot"
        shutil.copytree(RUN / "state-dir", cb, copy_function=shutil.copy2)
        sessions = cb / "agents" / "main" / "sessions"
        (sessions / f"{PLANT_SID}.jsonl").write_text(planted_transcript())
        (sessions / "sessions.json.lock").write_text('{"pid": 1}')
        (cb / "clawdbot.json").write_text(json.dumps({"agents": {"defaults": {"workspace": "~/clawd"}},
                                                      "gateway": {"auth": {"token": SECRETS[4]}}}))
        shutil.copytree(RUN / "workspace" / "memory", home / "clawd" / "memory", copy_function=shutil.copy2)
        (tmproot / "clawdbot").mkdir()
        shutil.copy2(RUN / "file-log" / "clawdbot-2026-11-25.log", tmproot / "clawdbot")
        paths["clawdbot"] = cb
    logdir = tmproot / "openclaw-1000"
    logdir.mkdir()
    (logdir / "openclaw-2026-09-14.log").write_text(
        '{"time":"2026-09-14T09:00:05.000+00:00","level":"info","subsystem":"gateway","hostname":"' + HOST + '",'
        '"message":"[gateway] listening on ws://127.0.0.1:18789 (PID 4242)"}\n'
        '{"time":"2026-09-14T09:00:06.000+00:00","level":"info","subsystem":"gateway","hostname":"' + HOST + '",'
        f'"message":"[gateway] agent workspace /home/{USER}/work-ws"}}\n')
    os.utime(logdir / "openclaw-2026-09-14.log", (1789376406, 1789376406))
    if links:
        # links inside collected directories: never followed
        os.symlink(outside / "stolen.jsonl", oc / "agents" / "main" / "agent" / "0dd0dd00-0000-4000-8000-000000000000.jsonl")
        os.symlink(outside, oc / "agents" / "evil")
        (oc / "agents" / "second").mkdir()
        os.symlink(outside / "sessions", oc / "agents" / "second" / "sessions")
        os.symlink(outside, tmproot / "openclaw")
        os.symlink(outside / "stolen.jsonl", logdir / "stolen.log")
        if clawdbot:
            os.symlink(outside / "stolen.jsonl", paths["clawdbot"] / "agents" / "main" / "sessions" / "link.jsonl")
    return paths


def snapshot(*roots: Path) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for name in sorted(dirnames + filenames):
                p = Path(dirpath) / name
                st = os.lstat(p)
                if os.path.islink(p):
                    out[str(p)] = ("link", os.readlink(p))
                elif p.is_file():
                    out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_size)
                else:
                    out[str(p)] = ("dir", st.st_mtime_ns)
    return out


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def options(paths: dict[str, Path], **kw) -> col.CollectOptions:
    base = dict(home=paths["home"], env={}, tmp_roots=[paths["tmproot"]], journal=False)
    base.update(kw)
    return col.CollectOptions(**base)


def check_json(*targets: Path) -> dict:
    result = CliRunner().invoke(main, ["check", *map(str, targets), "--format", "json", "--fail-on", "none"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def source_targets(paths: dict[str, Path]) -> list[Path]:
    out = [paths["openclaw"], paths["tmproot"] / "openclaw-1000", paths["workspace"]]
    if "clawdbot" in paths:
        out += [paths["clawdbot"], paths["tmproot"] / "clawdbot", paths["home"] / "clawd"]
    return out


def findings(doc: dict) -> list[tuple]:
    return [(f["rule"], f["severity"], f["ts"], f["session_id"], f["summary"],
             [(Path(e["source"].split("!")[-1]).name, e["line"], e["kind"], e["text"]) for e in f["evidence"]])
            for f in doc["findings"]]


# ---------------------------------------------------------------------------------------------


def test_redacted_bundle_manifest_secrets_links_and_untouched_sources(tmp_path):
    paths = build_home(tmp_path)
    before = snapshot(tmp_path / "home", paths["tmproot"], paths["outside"])
    bundle = tmp_path / "out" / "bundle.tar.gz"
    result = col.collect(bundle, options(paths))
    assert snapshot(tmp_path / "home", paths["tmproot"], paths["outside"]) == before  # nothing touched, nothing left

    files = members(bundle)
    top = col.TOP + "/"
    assert list(files)[:2] == [top + "README.txt", top + "manifest.json"]
    names = list(files)[2:]
    assert names == sorted(names)
    manifest = json.loads(files[top + "manifest.json"])
    assert manifest == result.manifest and manifest["redacted"] is True
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == {n[len(top):] for n in names}
    for path, entry in listed.items():
        data = files[top + path]
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert not path.startswith("/") and ".." not in path.split("/") and not any(
            p.startswith(".") for p in path.split("/"))
        assert "redaction" in entry and entry["source"]
    expected = {
        "state/openclaw/logs/commands.log",
        "state/openclaw/agents/main/agent/openclaw-agent.sqlite.export/3b8f1d2a-6c4e-4f7a-9d21-5e0c8b7a4f13.jsonl",
        "state/openclaw/agents/main/agent/openclaw-agent.sqlite.export/sessions.json",
        "state/openclaw/agents/main/agent/openclaw-agent.sqlite.export/"
        "0e4d7c21-8a5b-4f3e-b6d9-1c2a3e4f5a6b.jsonl.deleted.2026-09-13T23-30-00.000Z",
        "state/clawdbot/agents/main/sessions/sessions.json",
        f"state/clawdbot/agents/main/sessions/{PLANT_SID}.jsonl",
        "state/clawdbot/agents/main/sessions/2dd2d3d0-20f1-4000-a951-4d4c52c06bea.jsonl",
        "state/clawdbot/logs/commands.log",
        "file-logs/clawdbot/clawdbot-2026-11-25.log",
        "file-logs/openclaw-1000/openclaw-2026-09-14.log",
    }
    assert expected <= set(listed)
    assert len([p for p in listed if p.startswith("state/clawdbot/agents/main/sessions/")]) == 9  # 8 + sessions.json
    # the SQLite store itself is not in a redacted bundle; the manifest says what was done instead
    assert not any(p.endswith(".sqlite") for p in listed)
    export = listed["state/openclaw/agents/main/agent/openclaw-agent.sqlite.export/sessions.json"]
    assert export["kind"] == "sqlite-export" and "not copied" in export["note"]
    assert export["source"] == f"~/.openclaw/{STORE}"
    assert export["source_sha256"] == hashlib.sha256((paths["openclaw"] / STORE).read_bytes()).hexdigest()
    # session-memory files: both workspaces, names without their talk-derived slug
    memory = sorted(p for p in listed if "/memory/" in p)
    assert len(memory) == 4 and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.md", Path(p).name) for p in memory)
    assert {p.split("/memory/")[0] for p in memory} == {"workspaces/clawd", "workspaces/work-ws"}
    # never collected: configs, credentials, auth profiles, lock files
    for p in listed:
        assert not p.endswith((".json.lock", "openclaw.json", "clawdbot.json", "auth-profiles.json"))
        assert "credentials" not in p
    # links: listed as skipped, never followed
    skipped = {s["source"]: s["reason"] for s in manifest["skipped"]}
    outside_links = [s for s, r in skipped.items() if "symbolic link (target outside" in r]
    assert len(outside_links) == 5, skipped  # 2 file links, 2 directory links, 1 link in a file-log dir
    assert any("temp dir" in r for r in skipped.values())  # /tmp/openclaw -> elsewhere
    # no secret, user name, host name, planted e-mail, memory slug or outside content anywhere
    blob = b"\n".join(files.values())
    for needle in (*SECRETS, *PRIVATE):
        assert needle.encode() not in blob, needle
    assert b"[REDACTED:" in blob and b"[text: " in blob
    assert manifest["redaction"]["secret_markers"] >= 1
    assert "user" in manifest["redaction"]["pseudonyms"] and "host" in manifest["redaction"]["pseudonyms"]
    # transcript structure kept: still JSON lines, the reset prompt and message ids survive
    planted = files[f"{top}state/clawdbot/agents/main/sessions/{PLANT_SID}.jsonl"].decode().splitlines()
    rows = [orjson.loads(line) for line in planted]
    assert rows[0]["id"] == PLANT_SID and rows[0]["cwd"].startswith("/home/user-")
    assert rows[1]["message"]["content"][0]["text"].endswith("[message_id: run-1795600000000000001]")
    reset = files[f"{top}state/clawdbot/agents/main/sessions/8b95442f-2dab-4baf-8e90-ec4a3a2241b5.jsonl"]
    assert b"A new session was started via /new or /reset" in reset
    readme = files[top + "README.txt"].decode()
    assert "REDACTED" in readme and "moltdiag timeline bundle.tar.gz" in readme
    # permissions and ownership of members
    with tarfile.open(bundle, "r:gz") as tar:
        for m in tar.getmembers():
            assert (m.uid, m.gid, m.uname, m.gname, m.mode) == (0, 0, "", "", 0o644)
    assert (bundle.stat().st_mode & 0o777) == 0o600
    assert not list(bundle.parent.glob("*.part"))


def test_member_mtimes_are_the_sources(tmp_path):
    paths = build_home(tmp_path, links=False)
    bundle = tmp_path / "b.tar.gz"
    col.collect(bundle, options(paths, redact=False))
    src = paths["clawdbot"] / "logs" / "commands.log"
    with tarfile.open(bundle, "r:gz") as tar:
        info = tar.getmember(f"{col.TOP}/state/clawdbot/logs/commands.log")
    assert info.mtime == int(src.stat().st_mtime)


def test_no_redact_bundle_reads_back_exactly(tmp_path):
    paths = build_home(tmp_path, links=False)
    before = snapshot(tmp_path / "home", paths["tmproot"])
    bundle = tmp_path / "exact.tar.gz"
    result = col.collect(bundle, options(paths, redact=False))
    assert snapshot(tmp_path / "home", paths["tmproot"]) == before
    files = members(bundle)
    store = files[f"{col.TOP}/state/openclaw/{STORE}"]
    assert store == (paths["openclaw"] / STORE).read_bytes()  # no -wal: the exact bytes
    entry = next(f for f in result.manifest["files"] if f["path"] == f"state/openclaw/{STORE}")
    assert entry["sha256"] == entry["source_sha256"] and "redaction" not in entry
    assert b"NOT REDACTED" in files[f"{col.TOP}/README.txt"]

    original = check_json(*source_targets(paths))
    readback = check_json(bundle)
    assert readback["sessions"] == original["sessions"]
    assert findings(readback) == findings(original)
    assert readback["summary"]["kinds"] == original["summary"]["kinds"]
    assert readback["summary"]["events"] == original["summary"]["events"]
    assert len(original["sessions"]) >= 10


def _transcript_knows_reset() -> bool:
    line = b'{"type":"reset","reason":"new","id":"r1","timestamp":"2026-09-14T09:10:00.012Z"}\n'
    parsed = transcript.parse(InputFile(name="3b8f1d2a-6c4e-4f7a-9d21-5e0c8b7a4f13.jsonl", data=line))
    return "session_reset" in parsed.events["kind"].to_list()


def test_redacted_bundle_reads_back_to_the_same_sessions_and_kinds(tmp_path):
    paths = build_home(tmp_path, links=False)
    bundle = tmp_path / "redacted.tar.gz"
    col.collect(bundle, options(paths))
    original = check_json(*source_targets(paths))
    readback = check_json(bundle)
    assert {s["session_id"] for s in readback["sessions"]} == {s["session_id"] for s in original["sessions"]}
    kinds = set(original["summary"]["kinds"])
    if not _transcript_knows_reset():
        # SQLite reset events travel as JSONL `{"type":"reset"}` lines; until transcript.py maps
        # them to session_reset like sqlite_store does, they read back as transcript_entry.
        kinds = (kinds - {"session_reset"}) | {"transcript_entry"}
    assert set(readback["summary"]["kinds"]) == kinds
    assert [f["rule"] for f in readback["findings"]] == [f["rule"] for f in original["findings"]]
    keys = {s["session_id"]: s["session_key"] for s in readback["sessions"]}
    assert keys["0e4d7c21-8a5b-4f3e-b6d9-1c2a3e4f5a6b"] == "agent:main:cron:nightly-backup"
    assert keys["3b8f1d2a-6c4e-4f7a-9d21-5e0c8b7a4f13"] == "agent:main:main"


def test_deterministic_bytes(tmp_path, monkeypatch):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    one, two = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    col.collect(one, options(paths))
    col.collect(two, options(paths))
    assert one.read_bytes() == two.read_bytes()
    assert json.loads(members(one)[f"{col.TOP}/manifest.json"])["created_at"] == "2026-09-21T14:13:20Z"


def test_since_keeps_recent_files_only(tmp_path):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    now = 1789380000.0  # 2026-09-14T10:00Z
    old = paths["openclaw"] / "logs" / "commands.log"
    os.utime(old, (now - 3 * 86400, now - 3 * 86400))
    os.utime(paths["openclaw"] / STORE, (now - 3600, now - 3600))
    result = col.collect(tmp_path / "b.tar.gz", options(paths, since=timedelta(hours=24), now=now))
    listed = {f["path"] for f in result.manifest["files"]}
    assert "state/openclaw/logs/commands.log" not in listed
    assert any(p.startswith(f"state/openclaw/{STORE}.export/") for p in listed)
    assert any(s["source"] == "~/.openclaw/logs/commands.log" and "before --since" in s["reason"]
               for s in result.manifest["skipped"])
    assert result.manifest["since"] == "86400s"
    assert any("modified before --since" in n for n in result.manifest["notes"])


def test_discovery_every_era_env_profiles_and_migration_link(tmp_path):
    home = tmp_path / "h"
    for name in (".openclaw", ".moltbot", ".openclaw-work", ".clawdbot-old", "custom-state"):
        (home / name).mkdir(parents=True)
    os.symlink(home / ".openclaw", home / ".clawdbot")  # what the OpenClaw migration leaves behind
    (home / ".openclaw-notadir").write_text("x")
    env = {"OPENCLAW_STATE_DIR": str(home / "custom-state"), "CLAWDBOT_STATE_DIR": "~/.moltbot",
           "MOLTBOT_STATE_DIR": str(home / "missing")}
    dirs = col.discover_state_dirs(home, env)
    assert [(d.path.name, d.how, d.era, d.label) for d in dirs] == [
        ("custom-state", "$OPENCLAW_STATE_DIR", "openclaw", "custom-state"),
        (".moltbot", "$CLAWDBOT_STATE_DIR", "clawdbot", "moltbot"),
        (".openclaw", "default", "openclaw", "openclaw"),
        (".openclaw-work", "profile work", "openclaw", "openclaw-work"),
        (".clawdbot-old", "profile old", "clawdbot", "clawdbot-old"),
    ]
    assert dirs[2].aliases == [f"{home / '.clawdbot'} (default)"]


def test_migration_link_is_collected_once(tmp_path):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    os.symlink(paths["openclaw"], paths["home"] / ".clawdbot")
    result = col.collect(tmp_path / "b.tar.gz", options(paths))
    assert [d["label"] for d in result.manifest["state_dirs"]] == ["state/openclaw"]
    assert result.manifest["state_dirs"][0]["same_as"]
    assert any("same directory" in n for n in result.manifest["notes"])


@pytest.mark.parametrize(("text", "expected"), [
    ('{"agents":{"defaults":{"workspace":"~/w"}}}', ["~/w"]),
    ("// c\n{ agents: { defaults: { workspace: '~/w', }, list: [ { id: 'x', workspace: \"/srv/x\" }, ], }, "
     "/* block */ logging: { file: '/var/log/oc.log' } }", ["~/w", "/srv/x"]),
    ("{ agent: { workspace: '~/old' } }", ["~/old"]),
    ("{ broken: [ workspace: '~/still-found' ", ["~/still-found"]),
])
def test_config_reader_finds_workspaces(tmp_path, text, expected):
    cfg = tmp_path / "openclaw.json"
    cfg.write_text(text)
    workspaces, _ = col._config_paths(col.read_config(cfg))
    assert workspaces == expected


def test_json5_lite():
    text = "{ a: 1, 'b': 'it\\'s', \"c\": [1, 2,], // x\n d: /* y */ \"u\\\"v\", }"
    assert orjson.loads(col.json5_to_json(text)) == {"a": 1, "b": "it's", "c": [1, 2], "d": 'u"v'}


def test_live_store_wal_is_merged_or_exported(tmp_path):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    db = paths["openclaw"] / STORE
    stage = tmp_path / "stage"
    stage.mkdir()
    shutil.copy2(db, stage / db.name)
    writer = sqlite3.connect(stage / db.name)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    rows = [
        (0, {"type": "session", "version": 4, "id": NEW_SID, "timestamp": "2026-09-14T11:00:00.000Z", "cwd": "/w"}),
        (1, {"type": "message", "id": "bb000001", "parentId": None, "timestamp": "2026-09-14T11:00:01.000Z",
             "message": {"role": "user", "content": f"only in the WAL, from {USER}", "idempotencyKey": "chat-9"}}),
    ]
    with writer:
        for seq, obj in rows:
            writer.execute("INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?,?,?,?)",
                           (NEW_SID, seq, orjson.dumps(obj).decode(), 1789383600000 + seq))
    wal = Path(str(stage / db.name) + "-wal")
    assert wal.stat().st_size > 0
    shutil.copy2(stage / db.name, db)
    shutil.copy2(wal, Path(str(db) + "-wal"))  # a live store, caught mid-flight
    writer.close()
    before = snapshot(paths["openclaw"])

    exact = tmp_path / "exact.tar.gz"
    result = col.collect(exact, options(paths, redact=False))
    entry = next(f for f in result.manifest["files"] if f["path"] == f"state/openclaw/{STORE}")
    assert entry["wal_size"] > 0 and "merged" in entry["note"]
    files = members(exact)
    assert not any(n.endswith("-wal") for n in files)
    merged = tmp_path / "merged.sqlite"
    merged.write_bytes(files[f"{col.TOP}/state/openclaw/{STORE}"])
    conn = sqlite3.connect(f"file:{merged}?mode=ro&immutable=1", uri=True)
    assert conn.execute("SELECT count(*) FROM transcript_events WHERE session_id=?", (NEW_SID,)).fetchone() == (2,)
    conn.close()

    redacted = tmp_path / "redacted.tar.gz"
    col.collect(redacted, options(paths))
    files = members(redacted)
    new = files[f"{col.TOP}/state/openclaw/{STORE}.export/{NEW_SID}.jsonl"]
    assert b"only in the WAL" not in new and USER.encode() not in new and b'"idempotencyKey":"chat-9"' in new
    assert snapshot(paths["openclaw"]) == before  # originals: same bytes, no -shm, WAL untouched


class FakeJournal:
    def __init__(self, data: bytes):
        self.data = data
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        argv = list(argv)
        self.calls.append(argv)
        if argv[0] == "systemctl":
            return subprocess.CompletedProcess(argv, 0, b"openclaw-gateway.service enabled enabled\n", b"")
        if "-F" in argv:
            return subprocess.CompletedProcess(argv, 0, b"", b"")
        return subprocess.CompletedProcess(argv, 0, self.data, b"")


def journal_lines() -> bytes:
    base = {"__CURSOR": "s=1;i=1", "__REALTIME_TIMESTAMP": "1789376405000000", "__MONOTONIC_TIMESTAMP": "1",
            "_BOOT_ID": "deb41e52398949dcb14c4a25cb000177", "_MACHINE_ID": "3d1219c7c4c5404aaa1f6d2a48adfda4",
            "_HOSTNAME": HOST, "PRIORITY": "6", "SYSLOG_IDENTIFIER": "node", "_PID": "4242",
            "_CMDLINE": f"/home/{USER}/.nvm/node openclaw gateway", "_SYSTEMD_USER_UNIT": "openclaw-gateway.service"}
    recs = [
        {**base, "MESSAGE": "2026-09-14T09:00:05.000+00:00 [gateway] listening on ws://127.0.0.1:18789 (PID 4242)"},
        {**base, "__REALTIME_TIMESTAMP": "1789376406000000",
         "MESSAGE": f"2026-09-14T09:00:06.000+00:00 [gateway] config OPENCLAW_GATEWAY_TOKEN={SECRETS[3]} host {HOST}"},
        {**base, "__REALTIME_TIMESTAMP": "1789376407000000",
         "MESSAGE": list(b"\x1b[31m2026-09-14T09:00:07.000+00:00 [discord] gateway: WebSocket connection closed "
                         b"with code 1006\x1b[39m")},
    ]
    return b"".join(orjson.dumps(r) + b"\n" for r in recs)


def test_journal_is_collected_redacted_and_readable(tmp_path):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    runner = FakeJournal(journal_lines())
    bundle = tmp_path / "b.tar.gz"
    result = col.collect(bundle, options(paths, journal=True, runner=runner, journal_since="24h"))
    assert result.manifest["journal"]["units"] == ["openclaw-gateway.service"]
    assert result.manifest["journal"]["scope"] == "user"
    assert runner.calls[-1][-1] == "--since=-24h"
    data = members(bundle)[f"{col.TOP}/journal/openclaw-gateway.service.json"]
    with tarfile.open(bundle, "r:gz") as tar:  # the member's time is its last entry's, not "now"
        assert tar.getmember(f"{col.TOP}/journal/openclaw-gateway.service.json").mtime == 1789376407
    for needle in (USER, HOST, SECRETS[3], "_MACHINE_ID", "_CMDLINE", "__CURSOR"):
        assert needle.encode() not in data, needle
    records = [orjson.loads(line) for line in data.splitlines()]
    assert set(records[0]) <= set(col.JOURNAL_FIELDS) and records[0]["_PID"] == "4242"
    doc = CliRunner().invoke(main, ["timeline", str(bundle), "--format", "jsonl", "--kind", "ws_close,gateway_start"],
                             catch_exceptions=False)
    events = [orjson.loads(line) for line in doc.output.splitlines()]
    journal = [e for e in events if "journal/" in e["source"]]
    assert [(e["kind"], e["code"], e["pid"]) for e in journal] == [("gateway_start", None, 4242), ("ws_close", 1006, 4242)]


def test_journal_absent_is_a_note_not_an_error(tmp_path):
    paths = build_home(tmp_path, links=False, clawdbot=False)

    def nothing(argv):
        raise FileNotFoundError(2, "No such file or directory", argv[0])

    result = col.collect(tmp_path / "b.tar.gz", options(paths, journal=True, runner=nothing))
    assert result.manifest["journal"] is None
    note = next(n for n in result.manifest["notes"] if n.startswith("journal not collected"))
    assert "no gateway unit found" in note


def test_cli_collect_and_one_line_errors(tmp_path, monkeypatch):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    monkeypatch.setenv("HOME", str(paths["home"]))
    for var in col.STATE_ENV:
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()
    out = tmp_path / "cli.tar.gz"
    result = runner.invoke(collect_cmd, ["-o", str(out), "--tmp-root", str(paths["tmproot"]), "--no-journal",
                                         "--since", "36500d"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "redacted" in result.output
    assert json.loads(members(out)[f"{col.TOP}/manifest.json"])["state_dirs"][0]["path"] == "~/.openclaw"

    empty = tmp_path / "empty-home"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    result = runner.invoke(collect_cmd, ["-o", str(tmp_path / "x.tar.gz"), "--tmp-root", str(empty), "--no-journal"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("moltdiag: error: nothing to collect")
    assert not (tmp_path / "x.tar.gz").exists()

    result = runner.invoke(collect_cmd, ["--state-dir", str(tmp_path / "nope"), "-o", str(tmp_path / "y.tar.gz")])
    assert result.exit_code == 2
    result = runner.invoke(collect_cmd, ["--since", "yesterdayish", "-o", str(tmp_path / "z.tar.gz")])
    assert result.exit_code == 2 and "--since" in result.output
    result = runner.invoke(collect_cmd, ["-o", str(tmp_path / "z.zip"), "--no-journal"])
    assert result.exit_code == 2 and "tar.gz" in result.output


def test_cli_state_dir_only_and_redaction_map(tmp_path, monkeypatch):
    paths = build_home(tmp_path, links=False, clawdbot=False)
    monkeypatch.setenv("HOME", str(paths["home"]))
    out, mapping = tmp_path / "s.tar.gz", tmp_path / "map.json"
    result = CliRunner().invoke(collect_cmd, ["--state-dir", str(paths["openclaw"]), "-o", str(out), "-q",
                                              "--tmp-root", str(tmp_path / "none"), "--no-journal",
                                              "--redaction-map", str(mapping)])
    assert result.exit_code == 0, result.output
    manifest = json.loads(members(out)[f"{col.TOP}/manifest.json"])
    assert [d["found_by"] for d in manifest["state_dirs"]] == ["--state-dir"]
    assert USER in json.loads(mapping.read_text())
    assert USER.encode() not in out.read_bytes()


def test_memory_redaction_keeps_header_and_hashes_talk():
    red_col = col._Collector(col.CollectOptions(), "/tmp")
    src = col._MemSource(
        b"# Session: 2026-01-27 19:05:10 UTC\n\n- **Session Key**: agent:main:discord:channel:1460000000000000001\n"
        b"- **Session ID**: 7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33\n- **Source**: discord\n\n"
        b"## Conversation Summary\n\nuser: A new session was started via /new or /reset. Say hi.\n"
        b"[message_id: 1460000000000000099]\nassistant: Hello there, how are you?\n", None)
    sink = col._Sink("/tmp")
    col._Collector._memory(red_col, src, sink)
    sink.file.seek(0)
    text = sink.file.read().decode()
    assert "- **Session ID**: 7d1c0e9a-2b4f-4c1e-9a55-3f0b6a1d2c33" in text
    assert "agent:main:discord:channel:discord-id-1" in text and "1460000000000000001" not in text
    assert "user: A new session was started via /new or /reset." in text
    assert "Hello there" not in text and "assistant: [text: " in text
    assert col.redact_memory_name("2026-01-27-divorce-lawyer.md").startswith("2026-01-27-")
    assert "divorce" not in col.redact_memory_name("2026-01-27-divorce-lawyer.md")
    assert col.redact_memory_name("2026-01-27-1905.md") == "2026-01-27-1905.md"


def test_bundle_stays_readable_when_given_as_a_directory_too(tmp_path):
    """Unpacked, the bundle is a directory moltdiag reads like the tarball."""
    paths = build_home(tmp_path, links=False, clawdbot=False)
    bundle = tmp_path / "b.tar.gz"
    col.collect(bundle, options(paths, redact=False))
    target = tmp_path / "unpacked"
    with tarfile.open(bundle, "r:gz") as tar:
        tar.extractall(target, filter="data")
    a, b = check_json(bundle), check_json(target)
    assert a["sessions"] == b["sessions"]


def test_input_error_when_state_dir_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        col.collect(tmp_path / "b.tar.gz", col.CollectOptions(state_dirs=[f], journal=False, tmp_roots=[]))


def test_parse_since():
    assert col.parse_since("24h") == timedelta(hours=24)
    assert col.parse_since("90m") == timedelta(minutes=90)
    assert col.parse_since("1w") == timedelta(days=7)
    when = col.parse_since("2026-01-27T19:00:00Z")
    assert when == datetime(2026, 1, 27, 19, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        col.parse_since("soonish")
