"""OpenClaw 2026.9 SQLite store reader: fixture ground truth, read-only guarantees, schema
variations, damaged and foreign SQLite files, sniffing."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import orjson
import polars as pl
import pytest

from moltdiag import schema
from moltdiag.parsers import parser_modules, read_input, sniff as registry_sniff, sqlite_store, transcript
from moltdiag.parsers.base import InputError, InputFile
from moltdiag.schema import FULL_SCHEMA

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "openclaw-2026.9-sqlite"
DB = FIX / "state" / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
SID = "3b8f1d2a-6c4e-4f7a-9d21-5e0c8b7a4f13"
ARCHIVED_SID = "0e4d7c21-8a5b-4f3e-b6d9-1c2a3e4f5a6b"
KEY = "agent:main:main"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parse_path(p: Path):
    return sqlite_store.parse(InputFile(name=str(p), data=p.read_bytes(), path=p))


def transcript_rows(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("source").cast(pl.String).str.contains("!transcript_events/")).sort("line")


def resets(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("text").str.starts_with("reset reason=")).sort("ts")


def copy_state(tmp_path: Path) -> Path:
    dst = tmp_path / "state"
    shutil.copytree(FIX / "state", dst, copy_function=shutil.copy2)
    return dst / "agents" / "main" / "agent" / "openclaw-agent.sqlite"


def snapshot(directory: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(directory.iterdir())}


def make_db(path: Path, script: str, rows: list[tuple[str, tuple]] = ()) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    for sql, args in rows:
        conn.execute(sql, args)
    conn.commit()
    conn.close()
    return path


def ev(obj: dict) -> str:
    return orjson.dumps(obj).decode()


HEADER = {"type": "session", "version": 4, "id": "s-1", "timestamp": "2026-09-01T08:00:00.000Z", "cwd": "/w"}
USER = {"type": "message", "id": "a1", "parentId": None, "timestamp": "2026-09-01T08:00:01.000Z",
        "message": {"role": "user", "content": "hi", "timestamp": 1788249601000, "idempotencyKey": "k-1"}}


# ---------------------------------------------------------------------------------------
# The fixture reads to its ground truth
# ---------------------------------------------------------------------------------------


def test_fixture_ground_truth():
    res = parse_path(DB)
    df = res.events
    assert res.format == "sqlite-store" and res.source == str(DB)
    assert df.schema == pl.Schema(FULL_SCHEMA)
    assert res.unparsed == 0
    assert set(df["kind"]) <= set(schema.KINDS) | {sqlite_store.RESET_KIND}

    tr = transcript_rows(df)
    assert tr["line"].to_list() == list(range(16))  # line = seq, 0-based
    assert set(tr["session_id"]) == {SID}  # the id is stable across /new and /reset
    assert set(tr["session_key"]) == {KEY}
    assert set(tr["source"]) == {f"{DB}!transcript_events/{SID}"}
    kinds = dict(zip(tr["line"], tr["kind"]))
    assert kinds[0] == "session_start" and tr["text"][0] == "session header v4 cwd=/home/alice/.openclaw/workspace"
    assert [kinds[i] for i in (4, 6, 11, 14)] == ["user_message"] * 4
    assert [kinds[i] for i in (5, 7, 9, 12, 15)] == ["assistant_message"] * 5
    assert kinds[8] == "tool_result"
    assert tr.filter(pl.col("role") == "user")["message_id"].to_list() == ["chat-0001", "chat-0002", "chat-0003", "chat-0004"]
    assert tr["ts"][0] == utc(2026, 9, 14, 9, 0, 0)

    # the compressed row: kind, role, model stop reason and time always; the text when a codec exists
    row9 = tr.filter(pl.col("line") == 9).row(0, named=True)
    assert (row9["role"], row9["stop_reason"], row9["ts"]) == ("assistant", "stop", utc(2026, 9, 14, 9, 2, 2, 900000))
    if sqlite_store.zstd_available():
        assert row9["text"].startswith("Today is 2026-09-14 (Monday)")
    else:
        assert row9["text"] == "[zstd-compressed event, 2371 bytes, not decoded]"

    # two reset events with their reasons and times
    rs = resets(df)
    assert rs["line"].to_list() == [10, 13]
    assert rs["ts"].to_list() == [utc(2026, 9, 14, 9, 10, 0, 12000), utc(2026, 9, 14, 9, 20, 0, 9000)]
    assert rs["text"].to_list() == ["reset reason=new (/new or sessions.reset)",
                                    "reset reason=reset (/reset or sessions.reset)"]
    assert set(rs["session_id"]) == {SID}
    if sqlite_store.RESET_KIND in schema.KINDS:
        assert rs["kind"].to_list() == ["session_reset"] * 2 and rs["stop_reason"].to_list() == ["new", "reset"]
    else:
        assert rs["kind"].to_list() == ["transcript_entry"] * 2
        assert any("2 reset event(s) emitted as transcript_entry" in n for n in res.notes)

    # the window: key, scope, start time moved by the last reset
    win = df.filter(pl.col("kind") == "session_store_entry")
    assert win.height == 1
    w = win.row(0, named=True)
    assert (w["session_id"], w["session_key"], w["channel"], w["line"]) == (SID, KEY, "webchat", 1)
    assert w["source"] == f"{DB}!session_windows"
    assert w["ts"] == utc(2026, 9, 14, 9, 20, 0, 9000)
    assert "scope shared-main" in w["text"] and "created 2026-09-14T09:00:00.000Z" in w["text"]
    assert w["text"].endswith("current)")

    # the archive of a deleted cron session, and its stored transcript
    arc = df.filter(pl.col("kind") == "session_archive").row(0, named=True)
    name = f"{ARCHIVED_SID}.jsonl.deleted.2026-09-13T23-30-00.000Z"
    assert (arc["session_id"], arc["session_key"], arc["line"]) == (ARCHIVED_SID, "agent:main:cron:nightly-backup", 0)
    assert arc["source"] == f"{DB}!session_transcript_archives/{name}"
    assert arc["ts"] == utc(2026, 9, 13, 23, 30)
    assert arc["text"].startswith(f"archived (deleted) as {name}, encoding identity, not published")
    old = df.filter((pl.col("session_id") == ARCHIVED_SID) & (pl.col("kind") != "session_archive")).sort("line")
    assert old["kind"].to_list() == ["session_start", "user_message", "assistant_message"]
    assert old["line"].to_list() == [1, 2, 3]
    assert set(old["session_key"]) == {"agent:main:cron:nightly-backup"}

    assert res.lines == 16 + 1 + 1 + 1 + 3  # events, window, node, archive row, archived lines
    assert res.mtime == DB.stat().st_mtime


def test_same_rows_as_the_jsonl_parser():
    """A transcript event read from SQLite becomes the same canonical row as the same JSONL line."""
    conn = sqlite3.connect(f"file:{DB}?mode=ro&immutable=1", uri=True)
    lines = [r[0] for r in conn.execute(
        "SELECT event_json FROM transcript_events WHERE event_json IS NOT NULL ORDER BY seq")]
    conn.close()
    jl = transcript.parse(InputFile(name=f"{SID}.jsonl", data="\n".join(lines).encode())).events
    sq = transcript_rows(parse_path(DB).events).filter(pl.col("line") != 9)
    cols = ["ts", "kind", "role", "stop_reason", "text"]
    # Reset entries included: both readers share transcript.reset_fields.
    assert sq.select(cols).to_dicts() == jl.select(cols).to_dicts()
    assert "session_reset" in jl["kind"].to_list()


def test_regenerating_the_fixture_gives_the_same_store(tmp_path):
    spec = importlib.util.spec_from_file_location("make_store", FIX / "make_store.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    db, cmd = mod.build(tmp_path)
    assert cmd.read_bytes() == (FIX / "state" / "logs" / "commands.log").read_bytes()
    dump = lambda p: list(sqlite3.connect(f"file:{p}?mode=ro&immutable=1", uri=True).iterdump())  # noqa: E731
    assert dump(db) == dump(DB)
    committed = DB.read_bytes()
    if int.from_bytes(committed[96:100], "big") == sqlite3.sqlite_version_info[0] * 1_000_000 + \
            sqlite3.sqlite_version_info[1] * 1000 + sqlite3.sqlite_version_info[2]:
        assert db.read_bytes() == committed  # same SQLite: byte-identical
    assert sorted(p.name for p in db.parent.iterdir()) == ["openclaw-agent.sqlite"]


# ---------------------------------------------------------------------------------------
# Read-only: no -wal/-shm, bytes and mtime unchanged
# ---------------------------------------------------------------------------------------


def test_reading_leaves_no_trace(tmp_path):
    db = copy_state(tmp_path)
    before = snapshot(db.parent)
    res = parse_path(db)
    assert res.event_count == 21
    assert snapshot(db.parent) == before  # same names (no -wal/-shm/-journal), bytes and mtimes
    assert not any("private copy" in n for n in res.notes)


def test_input_without_path_uses_a_private_temporary_copy(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    res = sqlite_store.parse(InputFile(name="<stdin>", data=DB.read_bytes(), path=None))
    assert res.event_count == 21 and res.source == "<stdin>"
    assert any("temporary copy" in n for n in res.notes)
    assert list(scratch.iterdir()) == []  # removed again


def test_gzipped_store(tmp_path):
    gz = tmp_path / "agents" / "main" / "agent" / "openclaw-agent.sqlite.gz"
    gz.parent.mkdir(parents=True)
    gz.write_bytes(gzip.compress(DB.read_bytes(), mtime=0))
    inp = read_input(str(gz))
    mod, score = registry_sniff(inp, parser_modules())
    assert mod is sqlite_store and score >= 0.9
    res = sqlite_store.parse(inp)
    assert res.event_count == 21
    assert sorted(p.name for p in gz.parent.iterdir()) == ["openclaw-agent.sqlite.gz"]


def test_live_store_with_uncheckpointed_wal(tmp_path):
    db = tmp_path / "openclaw-agent.sqlite"
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.executescript("CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, "
                         "event_json TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (session_id, seq));")
    writer.execute("INSERT INTO transcript_events VALUES ('s-1', 0, ?, 1788249600000)", (ev(HEADER),))
    writer.commit()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.execute("INSERT INTO transcript_events VALUES ('s-1', 1, ?, 1788249601000)", (ev(USER),))
    writer.commit()  # committed, only in the -wal file
    try:
        assert (tmp_path / "openclaw-agent.sqlite-wal").stat().st_size > 0
        before = snapshot(tmp_path)
        res = parse_path(db)
        assert snapshot(tmp_path) == before
        assert transcript_rows(res.events)["kind"].to_list() == ["session_start", "user_message"]
        assert any("live store" in n and "-wal" in n for n in res.notes)
    finally:
        writer.close()


# ---------------------------------------------------------------------------------------
# Schema variations (feature detection)
# ---------------------------------------------------------------------------------------


def test_store_without_optional_tables(tmp_path):
    """Older layout: transcript_events only, event_json NOT NULL, no compression columns."""
    db = make_db(tmp_path / "openclaw-agent.sqlite",
                 "CREATE TABLE transcript_events (session_id TEXT NOT NULL, seq INTEGER NOT NULL, "
                 "event_json TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (session_id, seq)) STRICT;",
                 [("INSERT INTO transcript_events VALUES ('s-1', ?, ?, ?)", (i, ev(e), 1788249600000 + i))
                  for i, e in enumerate([HEADER, USER, {"type": "reset", "id": "a2", "parentId": "a1",
                                                         "reason": "daily"}, "not json"])]
                 + [("INSERT INTO transcript_events VALUES ('s-1', 4, '{not json', 1788249604000)", ())])
    res = parse_path(db)
    df = res.events
    assert df["kind"].to_list()[:2] == ["session_start", "user_message"]
    assert df["message_id"][1] == "k-1" and df["session_key"].null_count() == df.height
    rs = resets(df).row(0, named=True)
    assert rs["text"] == "reset reason=daily (daily reset time)"
    assert rs["ts"] == utc(2026, 9, 1, 8, 0, 0, 2000) and rs["ts_note"] == "row created_at (epoch ms, UTC)"
    bad = df.filter(pl.col("kind") == "unparsed")
    assert bad["line"].to_list() == [3, 4] and bad["text"].to_list() == ['"not json"', "{not json"]
    assert res.unparsed == 2
    assert any("absent (optional): session_windows, session_nodes, session_transcript_archives" in n for n in res.notes)


def test_earlier_table_names_sessions_and_session_routes(tmp_path):
    db = make_db(tmp_path / "openclaw-agent.sqlite", """
        CREATE TABLE sessions (session_id TEXT PRIMARY KEY, session_key TEXT NOT NULL,
                               created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE session_routes (session_key TEXT PRIMARY KEY, session_id TEXT NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE transcript_events (session_id TEXT, seq INTEGER, event_json TEXT, created_at INTEGER);
    """, [("INSERT INTO sessions VALUES ('s-1', 'agent:main:main', 1788249600000, 1788249601000)", ()),
          ("INSERT INTO session_routes VALUES ('agent:main:discord:channel:9', 's-2', 1788249700000)", ()),
          ("INSERT INTO transcript_events VALUES ('s-1', 0, ?, 1788249600000)", (ev(HEADER),))])
    df = parse_path(db).events
    store = df.filter(pl.col("kind") == "session_store_entry").sort("ts")
    assert store.select("session_id", "session_key").rows() == [("s-1", "agent:main:main"),
                                                                 ("s-2", "agent:main:discord:channel:9")]
    assert store["ts"].to_list() == [utc(2026, 9, 1, 8), utc(2026, 9, 1, 8, 1, 40)]
    assert store["source"].to_list() == [f"{db}!sessions", f"{db}!session_routes"]
    assert transcript_rows(df)["session_key"].to_list() == ["agent:main:main"]


def test_header_id_differing_from_row_session_id_is_noted(tmp_path):
    db = make_db(tmp_path / "openclaw-agent.sqlite",
                 "CREATE TABLE transcript_events (session_id TEXT, seq INTEGER, event_json TEXT, created_at INTEGER);",
                 [("INSERT INTO transcript_events VALUES ('other-id', 0, ?, 0)", (ev(HEADER),))])
    res = parse_path(db)
    assert res.events["session_id"].to_list() == ["other-id"]
    assert any("header id s-1 differs" in n for n in res.notes)


def test_session_reset_kind_once_the_schema_has_it(monkeypatch):
    monkeypatch.setitem(schema.KINDS, "session_reset", "reset event inside a stable-id transcript (reason)")
    rs = resets(parse_path(DB).events)
    assert rs["kind"].to_list() == ["session_reset", "session_reset"]
    assert rs["stop_reason"].to_list() == ["new", "reset"]


def test_compressed_row_without_any_codec(monkeypatch):
    monkeypatch.setattr(sqlite_store, "_zstd_codec", lambda: None)
    monkeypatch.setattr(sqlite_store, "_zstd_cli", lambda: None)
    res = parse_path(DB)
    row = transcript_rows(res.events).filter(pl.col("line") == 9).row(0, named=True)
    assert row["kind"] == "assistant_message" and row["stop_reason"] == "stop"
    assert row["text"] == "[zstd-compressed event, 2371 bytes, not decoded]"
    assert row["ts"] == utc(2026, 9, 14, 9, 2, 2, 900000)
    assert row["ts_note"] == "transcript timestamp (UTC); compressed row, facts from navigation_json"
    assert any("1 compressed transcript event(s) not decoded (no zstd codec" in n for n in res.notes)


def test_broken_compressed_row_keeps_its_facts(tmp_path):
    db = copy_state(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE transcript_events SET event_zstd = ? WHERE seq = 9", (b"\x28\xb5\x2f\xfd" + b"\xff" * 40,))
    conn.execute("UPDATE transcript_events SET event_zstd = x'00', navigation_json = NULL WHERE seq = 12")
    conn.execute("UPDATE transcript_events SET event_json = NULL WHERE seq = 12")
    conn.commit()
    conn.close()
    res = parse_path(db)
    tr = transcript_rows(res.events)
    row9 = tr.filter(pl.col("line") == 9).row(0, named=True)
    assert row9["kind"] == "assistant_message" and "not decoded" in row9["text"]
    row12 = tr.filter(pl.col("line") == 12).row(0, named=True)
    assert row12["kind"] == "unparsed" and row12["text"].startswith("[zstd-compressed transcript event, 1 bytes stored")
    assert row12["ts"] == utc(2026, 9, 14, 9, 10, 8, 100000)  # created_at
    assert any("2 compressed transcript event(s) not decoded" in n for n in res.notes)


# ---------------------------------------------------------------------------------------
# Foreign and damaged files
# ---------------------------------------------------------------------------------------


def test_sqlite_file_that_is_not_a_store(tmp_path):
    db = make_db(tmp_path / "main.sqlite", "CREATE TABLE chunks (id TEXT PRIMARY KEY, text TEXT); "
                                           "CREATE TABLE sessions (id TEXT PRIMARY KEY);")
    head = db.read_bytes()[:65536]
    assert 0 < sqlite_store.sniff(db, head) <= 0.3
    with pytest.raises(InputError) as err:
        parse_path(db)
    msg = str(err.value)
    assert msg.startswith(f"{db}: SQLite database, but not an OpenClaw agent store")
    assert "tables: chunks, sessions" in msg and "\n" not in msg


@pytest.mark.parametrize("cut", ["header", "half", "garbage"])
def test_damaged_file_is_one_input_error_naming_it(tmp_path, cut):
    data = DB.read_bytes()
    bad = tmp_path / "openclaw-agent.sqlite"
    bad.write_bytes({"header": data[:60], "half": data[: len(data) // 2],
                     "garbage": sqlite_store.SQLITE_MAGIC + bytes(range(256)) * 20}[cut])
    before = snapshot(tmp_path)
    with pytest.raises(InputError) as err:
        parse_path(bad)
    msg = str(err.value)
    assert msg.startswith(f"{bad}: ") and "\n" not in msg
    assert "malformed" in msg or "not a database" in msg
    assert snapshot(tmp_path) == before


def test_not_sqlite_at_all():
    with pytest.raises(InputError, match=r"^x\.sqlite: not a SQLite database"):
        sqlite_store.parse(InputFile(name="x.sqlite", data=b'{"type":"session"}\n'))


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------


def test_sniff_positive_and_negative(tmp_path):
    head = DB.read_bytes()[:65536]
    assert sqlite_store.sniff(DB, head) >= 0.95
    assert sqlite_store.sniff(Path("backup/openclaw-agent.sqlite.bak"), head) >= 0.95
    assert sqlite_store.sniff(Path("copy-of-store.db"), head) >= 0.85  # the schema page names transcript_events
    assert sqlite_store.sniff(Path("openclaw-agent.sqlite-wal"), b"\x37\x7f\x06\x82" + bytes(28)) == 0.0
    assert sqlite_store.sniff(Path("openclaw-agent.sqlite"), b'{"type":"session","id":"x"}\n') == 0.0
    assert sqlite_store.sniff(Path("x.jsonl"), b"") == 0.0
    # the registry picks this parser for the store, and no other parser claims SQLite bytes
    inp = InputFile(name=str(DB), data=DB.read_bytes(), path=DB)
    mod, score = registry_sniff(inp, parser_modules())
    assert mod is sqlite_store and score >= 0.95
    assert all(m.sniff(DB, head) == 0.0 for m in parser_modules() if m is not sqlite_store)
