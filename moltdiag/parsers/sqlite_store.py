"""OpenClaw's per-agent SQLite store: `agents/<agentId>/agent/openclaw-agent.sqlite` (2026.8+).

Current OpenClaw builds no longer write `sessions/*.jsonl` or `sessions.json`; each agent keeps
its sessions in one SQLite database. The schema was read from the openclaw/openclaw repository,
`src/state/openclaw-agent-schema.sql` (the canonical DDL, `OPENCLAW_AGENT_SCHEMA_SQL`), with the
payload codec in `src/config/sessions/transcript-payload.ts`, the entry types (incl. `reset`) in
`src/config/sessions/session-entry-codec.ts` and the seq allocation (`max(seq)+1`, first seq 0)
in `src/config/sessions/session-accessor.sqlite-transcript-state.ts`. The tables read here:

    transcript_events(session_id, seq, event_json, created_at            -- one transcript
                      [, event_zstd, event_utf8_bytes, navigation_json])  -- event per row
    session_windows(session_id PK, session_key, previous_session_id, reason, session_scope,
                    created_at, updated_at, started_at, ended_at, status, chat_type, channel,
                    model_provider, model, …)        -- older builds: sessions(session_id, session_key, …)
    session_nodes(session_key PK, current_session_id, entry_json, updated_at, …)
                                                     -- older builds: session_routes(session_key, session_id, …)
    session_transcript_archives(session_id, generation, session_key, reason 'deleted'|'reset',
                    encoding 'identity'|'zstd', archive_blob, archive_name, created_at, published_at, …)
    session_transcript_cold_archives(session_id, generation, archive_name, event_count,
                    archived_at, storage 'file'|'sqlite', archive_blob, …)   -- later builds

All times are epoch milliseconds. Tables and columns are feature-detected (`sqlite_master`,
`PRAGMA table_info`), never inferred from `schema_meta.schema_version`; every table but one of
transcript_events / session_windows / sessions / session_nodes / session_routes /
*archives is optional. A SQLite file with none of them raises `InputError` naming the file.
Only plain `SELECT`s run: no JSON1 or `octet_length` (absent from Python 3.11's SQLite 3.40).

Opening, read-only and leaving no trace:

- the file is opened with `file:<path>?mode=ro&immutable=1` (plus `PRAGMA query_only`), which
  takes no locks and never creates `-wal`/`-shm`/`-journal` files beside it;
- a live store in WAL mode keeps its newest transactions in `<db>-wal`, which `immutable`
  ignores. When that file exists and is not empty, the WAL and then the database are copied
  into a private temporary directory and the copy is opened (`mode=ro`), so uncheckpointed
  rows are read; the originals are never opened by SQLite. A note says so;
- input without a usable path (stdin, a decompressed `.gz`, an archive member) is written to a
  private temporary file first. Temporary directories are removed before `parse` returns.

Canonical events (format `sqlite-store`):

- every `transcript_events` row, in (session_id, seq) order, converted entry by entry with the
  JSONL transcript parser's own conversion (`transcript._classify`, `_entry_ts`, header text),
  so a SQLite event yields the same kind/text/role/stop_reason as the same JSONL line:
  header (`version: 4`) -> `session_start`, messages -> `user_message` / `assistant_message` /
  `tool_result` / `reset_prompt` / `reset_notice`, … Differences, all SQLite-specific:
  * `session_id` is the row's `session_id` column (a header whose `id` differs is noted);
  * `session_key` is the key the store gives that session id (session_windows / session_nodes);
  * a user message without a `[message_id: …]` takes its `idempotencyKey` as `message_id`;
  * an entry without an ISO `timestamp` (or inner epoch ms) takes the row's `created_at`;
  * `{"type":"reset","reason":…}` -> kind `session_reset` with text `reset reason=<r> (…)` and the
    reason also in `stop_reason`, when `schema.KINDS` has that kind; until then it is a
    `transcript_entry` with the same text (`reset reason=<r> …`);
  * a row stored compressed (`event_json` NULL, `event_zstd` set; OpenClaw does this for
    events of 1 KiB and more when it saves space) is decoded with Python 3.14's
    `compression.zstd` or the optional `zstandard` package, else with a `zstd` command on PATH
    (all such rows in one process, split by `event_utf8_bytes`); with none of them, or a broken
    frame, its kind/role/time/model come from the row's `navigation_json` projection and the
    text says `[zstd-compressed event, N bytes, not decoded]` (a note counts them).
- every `session_windows` row -> `session_store_entry` (session_key, session_id, channel),
  `ts` = `started_at` (the window start, which moves on a stable-id reset), else `created_at`;
- a `session_nodes` row whose current session id has no window row -> `session_store_entry`
  (`ts` = `updated_at`); otherwise the node only marks its window `current` and lends it the
  channel from its `entry_json`;
- every archive row -> `session_archive` (`ts` = `created_at` / `archived_at`); an archive's
  stored transcript (`identity` blob, or zstd when a codec is present) is converted like
  `transcript_events`, unless the archive was published as a file beside the database (then
  that file's own parser reads it and a note says so).

Addresses: `ParsedSource.source` is the database as given. Each row's `source` names the
table: `<db>!transcript_events/<session_id>` with `line` = the row's `seq` (0-based in OpenClaw,
so a header is usually line 0: `SELECT … WHERE session_id=? AND seq=<line>` finds it);
`<db>!session_windows` / `!session_nodes` with `line` = the SQLite `rowid`;
`<db>!session_transcript_archives/<archive_name>` with `line` 0 for the `session_archive`
event itself and 1-based JSONL line numbers for the archived transcript's entries.
`lines` counts every row (and archived line) read.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from moltdiag import schema
from moltdiag.parsers import transcript as tx
from moltdiag.parsers.base import InputError, InputFile, ParsedSource
from moltdiag.parsers.transcript import base_name, iso_to_us, rows_to_frame, split_lines

FORMAT = "sqlite-store"

SQLITE_MAGIC = b"SQLite format 3\x00"
STORE_NAME = "openclaw-agent.sqlite"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
MAX_EVENT_BYTES = 64 * 1024 * 1024  # refuse to expand a single compressed event beyond this

WINDOW_TABLES = ("session_windows", "sessions")  # current name first
NODE_TABLES = ("session_nodes", "session_routes")
ARCHIVE_TABLES = ("session_transcript_archives", "session_transcript_cold_archives")
KNOWN_TABLES = ("transcript_events", *WINDOW_TABLES, *NODE_TABLES, *ARCHIVE_TABLES)

RESET_KIND = "session_reset"  # proposed for schema.KINDS; emitted only once it is there


# ---------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------


def sniff(path: Path, head: bytes) -> float:
    """SQLite magic + the store's name -> 0.97; any SQLite file whose schema page names
    transcript_events -> 0.9; other SQLite files 0.25 (so `parse` explains what they are)."""
    if not head.startswith(SQLITE_MAGIC):
        return 0.0
    name = base_name(str(path)).lower()
    if name == STORE_NAME or name.startswith(STORE_NAME + "."):  # incl. copies such as .bak
        return 0.97
    if b"transcript_events" in head:
        return 0.9
    return 0.25


# ---------------------------------------------------------------------------------------
# Opening without a trace
# ---------------------------------------------------------------------------------------


def _ro_uri(path: Path, *, immutable: bool) -> str:
    return path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def _usable_path(source: InputFile) -> Path | None:
    return source.disk_path()


@contextlib.contextmanager
def _open_store(source: InputFile, notes: list[str]) -> Iterator[sqlite3.Connection]:
    path = _usable_path(source)
    tmp: str | None = None
    conn: sqlite3.Connection | None = None
    try:
        wal = Path(str(path) + "-wal") if path is not None else None
        wal_size = 0
        if wal is not None:
            try:
                wal_size = wal.stat().st_size if wal.is_file() else 0
            except OSError:
                wal_size = 0
        if path is not None and wal_size == 0:
            uri = _ro_uri(path, immutable=True)
            if Path(str(path) + "-journal").exists():
                notes.append("a -journal file lies beside the database (an interrupted write); "
                              "it was not applied, the database was read as it is on disk")
        else:
            tmp = tempfile.mkdtemp(prefix="moltdiag-sqlite-")
            copy = Path(tmp) / STORE_NAME
            if path is not None and wal is not None:
                # WAL first, then the database: a checkpoint in between only moves pages forward.
                try:
                    (Path(tmp) / (STORE_NAME + "-wal")).write_bytes(wal.read_bytes())
                    copy.write_bytes(path.read_bytes())
                except OSError as exc:
                    raise InputError(f"{source.name}: cannot copy the live store and its WAL "
                                     f"({exc.strerror or exc})") from None
                uri = _ro_uri(copy, immutable=False)
                notes.append(f"live store: {wal.name} ({wal_size} bytes) holds transactions not yet in the "
                              "database; read from a private copy of both so they are included "
                              "(the originals were not opened by SQLite)")
            else:
                copy.write_bytes(source.data)
                uri = _ro_uri(copy, immutable=True)
                notes.append("no on-disk path for this input: read from a private temporary copy")
        try:
            conn = sqlite3.connect(uri, uri=True)
            conn.execute("PRAGMA query_only = 1")
            conn.text_factory = bytes  # decode ourselves: bad UTF-8 must not abort a whole table
        except sqlite3.Error as exc:
            raise InputError(f"{source.name}: not a readable SQLite database ({exc})") from None
        yield conn
    finally:
        if conn is not None:
            conn.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Small converters
# ---------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value:
        return int(value)
    if isinstance(value, (bytes, str)):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _epoch_to_us(value: Any) -> tuple[int | None, str]:
    """Store times are epoch ms; a value below 1e11 can only be seconds (ms would be 1973)."""
    v = _int(value)
    if v is None or v <= 0:
        return None, "none"
    if v < 100_000_000_000:
        return v * 1_000_000, "epoch s"
    if v > 10**15:
        return None, "none"
    return v * 1000, "epoch ms"


def _iso(us: int | None) -> str:
    if us is None:
        return "?"
    return datetime.fromtimestamp(us / 1e6, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=1)
def _zstd_codec():
    """A Python zstd decoder, or None: Python 3.14's compression.zstd, else the 'zstandard' package."""
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+

        return lambda data, size: zstd.decompress(data)
    except ImportError:
        pass
    try:
        import zstandard  # type: ignore[import-not-found]

        return lambda data, size: zstandard.ZstdDecompressor().decompress(data, max_output_size=size or MAX_EVENT_BYTES)
    except ImportError:
        return None


def _zstd_cli() -> str | None:
    return shutil.which("zstd")


def zstd_available() -> str | None:
    """How compressed rows will be decoded here: 'python', 'cli' or None."""
    return "python" if _zstd_codec() is not None else ("cli" if _zstd_cli() else None)


_NO_CODEC = "no zstd codec (Python 3.14's compression.zstd, the 'zstandard' package or a zstd command)"


def _cli_decode(data: bytes) -> bytes | None:
    cli = _zstd_cli()
    if cli is None:
        return None
    try:
        done = subprocess.run([cli, "-d", "-c", "-q"], input=data, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _decompress(blob: bytes, size: int | None) -> tuple[bytes | None, str | None]:
    """One zstd frame -> (bytes, None) or (None, why not)."""
    if size is not None and not (0 < size <= MAX_EVENT_BYTES):
        return None, f"implausible recorded size {size}"
    codec = _zstd_codec()
    if codec is not None:
        try:
            out = codec(blob, size)
        except Exception as exc:  # codecs raise their own error types
            return None, f"zstd frame not decodable ({exc})"
    elif _zstd_cli() is not None:
        out = _cli_decode(blob)
        if out is None:
            return None, "zstd frame not decodable (zstd command failed)"
    else:
        return None, _NO_CODEC
    if size is not None and len(out) != size:
        return None, f"decoded {len(out)} bytes, the row records {size}"
    return out, None


def _cli_batch(frames: list[tuple[bytes, int | None]]) -> list[bytes | None]:
    """Decode many frames with one zstd process: concatenated frames decode to the concatenated
    payloads, split by each row's recorded size. A failed batch falls back to one call per frame."""
    sizes = [n for _, n in frames]
    if frames and all(n is not None and 0 < n <= MAX_EVENT_BYTES for n in sizes):
        out = _cli_decode(b"".join(b for b, _ in frames))
        if out is not None and len(out) == sum(sizes):  # type: ignore[arg-type]
            parts, at = [], 0
            for n in sizes:
                parts.append(out[at:at + n])  # type: ignore[operator]
                at += n  # type: ignore[operator]
            return parts
    return [_decompress(b, n)[0] for b, n in frames]


# ---------------------------------------------------------------------------------------
# One transcript event -> one canonical row
# ---------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, source: InputFile, notes: list[str]):
        self.name = source.name
        self.notes = notes
        self.reset_kind = RESET_KIND if RESET_KIND in schema.KINDS else None
        self.keys: dict[str, str] = {}  # session_id -> session_key
        self.header_mismatch: set[str] = set()
        self.undecoded = 0
        self.undecoded_why: str | None = None


def _header_row(obj: dict[str, Any]) -> dict[str, Any]:
    us, how = iso_to_us(obj.get("timestamp"))
    desc = f"session header v{obj.get('version', '?')} cwd={obj.get('cwd', '?')}"
    if obj.get("parentSession"):
        desc += f" parentSession={obj['parentSession']}"
    return {
        "ts": us, "ts_note": f"transcript timestamp ({how})" if us is not None else None,
        "kind": "session_start", "text": desc,
    }


def _reset_row(obj: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
    us, note = tx._entry_ts(obj)
    row = tx.reset_fields(obj)
    if not ctx.reset_kind:  # an older schema module without the kind
        row = {"kind": "transcript_entry", "text": row["text"]}
    return {"ts": us, "ts_note": note, **row}


def _convert(obj: Any, raw: str, ctx: _Ctx) -> dict[str, Any]:
    """kind/text/ts fields of one decoded transcript event (no address, no session id)."""
    if not isinstance(obj, dict):
        return {"ts": None, "ts_note": None, "kind": "unparsed", "text": raw}
    if tx._is_header(obj):
        return _header_row(obj)
    if obj.get("type") == "reset":
        return _reset_row(obj, ctx)
    us, note = tx._entry_ts(obj)
    row = tx._classify(obj, raw)
    row.update({"ts": us, "ts_note": note})
    msg = obj.get("message")
    if row.get("role") == "user" and not row.get("message_id") and isinstance(msg, dict):
        key = msg.get("idempotencyKey")
        if isinstance(key, str) and key:
            row["message_id"] = key
    return row


def _skeleton(nav_json: str | None, nbytes: int) -> dict[str, Any] | None:
    """Rebuild an entry's envelope from OpenClaw's navigation_json projection of a compressed row:
    {version, report, navigation:{type,id,parentId,timestamp,reason,…,message:{role,idempotencyKey}},
     model:{…, message:{role,provider,model,timestamp,stopReason,toolName,isError,content:[calls]}}}."""
    if not nav_json:
        return None
    try:
        meta = orjson.loads(nav_json)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(meta, dict):
        return None
    nav = meta.get("navigation") if isinstance(meta.get("navigation"), dict) else {}
    model = meta.get("model") if isinstance(meta.get("model"), dict) else {}
    if not nav and not model:
        return None
    obj: dict[str, Any] = {**model, **nav}
    placeholder = {"type": "text", "text": f"[zstd-compressed event, {nbytes} bytes, not decoded]"}
    if obj.get("type") == "message":
        msg: dict[str, Any] = {}
        for part in (model.get("message"), nav.get("message")):
            if isinstance(part, dict):
                msg.update(part)
        calls = msg.get("content") if isinstance(msg.get("content"), list) else []
        msg["content"] = [placeholder, *[c for c in calls if isinstance(c, dict) and c.get("type") == "toolCall"]]
        obj["message"] = msg
    elif obj.get("type") in ("compaction", "branch_summary"):
        obj["summary"] = placeholder["text"]
    elif obj.get("type") == "custom_message":
        obj["content"] = placeholder["text"]
    return obj


def _undecoded_fields(blob: bytes, size: int | None, nav: Any, ctx: _Ctx, why: str | None) -> dict[str, Any]:
    ctx.undecoded += 1
    ctx.undecoded_why = ctx.undecoded_why or why
    skel = _skeleton(_text(nav), size or len(blob))
    if skel is None:
        return {"ts": None, "ts_note": None, "kind": "unparsed",
                "text": f"[zstd-compressed transcript event, {len(blob)} bytes stored, not decoded: {why or _NO_CODEC}]"}
    row = _convert(skel, orjson.dumps(skel).decode(), ctx)
    if row.get("ts_note"):
        row["ts_note"] += "; compressed row, facts from navigation_json"
    return row


def _payload_fields(text: str | None, ctx: _Ctx) -> dict[str, Any]:
    if text is None:
        return {"ts": None, "ts_note": None, "kind": "unparsed", "text": "[transcript event row without payload]"}
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError:
        obj = None
    return _convert(obj, text, ctx)


def _event_fields(raw_json: Any, blob: Any, nbytes: Any, nav: Any, ctx: _Ctx, *, defer: bool) -> dict[str, Any]:
    """Fields of one transcript_events row. With `defer` (no Python codec, a zstd command present)
    a compressed row gets its navigation_json skeleton now and is decoded in one batch later."""
    text = _text(raw_json)
    if text is None and isinstance(blob, bytes) and blob:
        size = _int(nbytes)
        if defer:
            return _undecoded_fields(blob, size, nav, ctx, None)
        data, why = _decompress(blob, size)
        if data is None:
            return _undecoded_fields(blob, size, nav, ctx, why)
        text = data.decode("utf-8", errors="replace")
    return _payload_fields(text, ctx)


def _finish(row: dict[str, Any], *, sid: str | None, src: str, line: int, created: Any, ctx: _Ctx,
            key: str | None = None) -> dict[str, Any]:
    if row.get("ts") is None:
        us, how = _epoch_to_us(created)
        if us is not None:
            row["ts"] = us
            row["ts_note"] = f"row created_at ({how}, UTC)"
        elif not row.get("ts_note"):
            row["ts_note"] = "no timestamp in row"
    row.update({
        "source": src, "line": line, "format": FORMAT, "session_id": sid,
        "session_key": key or (ctx.keys.get(sid) if sid else None),
    })
    return row


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


def _tables(conn: sqlite3.Connection, name: str) -> dict[str, list[str]]:
    try:
        names = [_text(r[0]) for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
        return {n: [_text(c[1]) for c in conn.execute(f'PRAGMA table_info("{n}")')] for n in names if n}
    except sqlite3.Error as exc:
        raise InputError(f"{name}: not a readable SQLite database ({exc})") from None


def _select(conn: sqlite3.Connection, table: str, have: list[str], want: list[str], *, order: str = "",
            rowid: bool = False) -> tuple[list[str], Iterator[tuple]]:
    """SELECT the wanted columns that exist (missing ones come back as NULL)."""
    cols = [f'"{c}"' if c in have else "NULL" for c in want]
    if rowid:
        cols.insert(0, "rowid")
    sql = f'SELECT {", ".join(cols)} FROM "{table}"' + (f" ORDER BY {order}" if order else "")
    try:
        return ["rowid", *want] if rowid else want, conn.execute(sql)
    except sqlite3.OperationalError:
        if not rowid:
            raise
        # WITHOUT ROWID table: number the rows ourselves
        cur = conn.execute(f'SELECT {", ".join(cols[1:])} FROM "{table}"' + (f" ORDER BY {order}" if order else ""))
        return ["rowid", *want], ((i, *r) for i, r in enumerate(cur, 1))


def _rows(conn, table, have, want, *, order="", rowid=False, ctx: _Ctx, damaged: list[str]) -> Iterator[dict[str, Any]]:
    """Dicts of rows; a read error stops this table (rows before it are kept) and is noted."""
    n = 0
    try:
        names, cur = _select(conn, table, have, want, order=order, rowid=rowid)
        for r in cur:
            n += 1
            yield dict(zip(names, r))
    except sqlite3.Error as exc:
        damaged.append(f"{table}: reading stopped after {n} row(s): {exc}")
        ctx.notes.append(damaged[-1])


def _channel_of(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    for value in (
        entry.get("lastChannel"),
        (entry.get("origin") or {}).get("provider") if isinstance(entry.get("origin"), dict) else None,
        (entry.get("deliveryContext") or {}).get("channel") if isinstance(entry.get("deliveryContext"), dict) else None,
        entry.get("channel"),
    ):
        if isinstance(value, str) and value:
            return value.lower()
    return None


def _json_obj(value: Any) -> Any:
    t = _text(value)
    if not t:
        return None
    try:
        return orjson.loads(t)
    except orjson.JSONDecodeError:
        return None


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------


def parse(source: InputFile) -> ParsedSource:
    if not source.data.startswith(SQLITE_MAGIC):
        raise InputError(f"{source.name}: not a SQLite database (no 'SQLite format 3' header)")
    notes: list[str] = []
    ctx = _Ctx(source, notes)
    rows: list[dict[str, Any]] = []
    damaged: list[str] = []
    count = 0
    name = source.name

    with _open_store(source, notes) as conn:
        tables = _tables(conn, name)
        te = tables.get("transcript_events")
        if te is not None and not ({"session_id", "seq"} <= set(te) and ({"event_json", "event_zstd"} & set(te))):
            notes.append(f"transcript_events has unexpected columns ({', '.join(te)}); not read")
            te = None
        windows = next(((t, tables[t]) for t in WINDOW_TABLES
                        if t in tables and {"session_id", "session_key"} <= set(tables[t])), None)
        nodes = next(((t, tables[t]) for t in NODE_TABLES
                      if t in tables and "session_key" in tables[t]
                      and ({"current_session_id", "session_id"} & set(tables[t]))), None)
        archives = [(t, tables[t]) for t in ARCHIVE_TABLES if t in tables and "session_id" in tables[t]]
        if te is None and windows is None and nodes is None and not archives:
            shown = ", ".join(sorted(tables)) or "none"
            raise InputError(f"{name}: SQLite database, but not an OpenClaw agent store "
                             f"(no {', '.join(KNOWN_TABLES[:3])} … table; tables: {shown})")
        present = [t for t in KNOWN_TABLES if t in tables]
        missing = [t for t in ("transcript_events", "session_windows", "session_nodes", "session_transcript_archives")
                   if t not in tables]
        notes.append("OpenClaw agent store; tables read: " + ", ".join(present)
                     + (f"; absent (optional): {', '.join(missing)}" if missing else ""))

        # -- session windows and nodes first: they give every session id its key ----------
        window_rows: list[dict[str, Any]] = []
        if windows is not None:
            wt, wcols = windows
            want = ["session_id", "session_key", "session_scope", "reason", "previous_session_id", "created_at",
                    "updated_at", "started_at", "ended_at", "status", "chat_type", "channel", "model_provider",
                    "model", "display_name"]
            for r in _rows(conn, wt, wcols, want, order='"session_id"', rowid=True, ctx=ctx, damaged=damaged):
                count += 1
                window_rows.append(r)
                sid, key = _text(r["session_id"]), _text(r["session_key"])
                if sid and key:
                    ctx.keys[sid] = key
        node_rows: list[dict[str, Any]] = []
        current: dict[str, str] = {}  # session_key -> current session id
        if nodes is not None:
            nt, ncols = nodes
            sid_col = "current_session_id" if "current_session_id" in ncols else "session_id"
            for r in _rows(conn, nt, ncols, ["session_key", sid_col, "entry_json", "updated_at", "created_at"],
                           order='"session_key"', rowid=True, ctx=ctx, damaged=damaged):
                count += 1
                r["_sid"] = _text(r[sid_col])
                node_rows.append(r)
                key = _text(r["session_key"])
                if key and r["_sid"]:
                    current[key] = r["_sid"]
                    ctx.keys.setdefault(r["_sid"], key)

        # -- transcript events ------------------------------------------------------------
        sessions: set[str] = set()
        defer = _zstd_codec() is None and _zstd_cli() is not None
        pending: list[tuple[int, bytes, int | None, Any]] = []  # (row index, frame, size, created_at)
        if te is not None:
            want = ["session_id", "seq", "event_json", "created_at", "event_zstd", "event_utf8_bytes", "navigation_json"]
            for r in _rows(conn, "transcript_events", te, want, order='"session_id", "seq"', ctx=ctx, damaged=damaged):
                count += 1
                sid = _text(r["session_id"])
                seq = _int(r["seq"])
                sessions.add(sid or "")
                compressed = r["event_json"] is None and isinstance(r["event_zstd"], bytes) and bool(r["event_zstd"])
                if compressed and defer:
                    pending.append((len(rows), r["event_zstd"], _int(r["event_utf8_bytes"]), r["created_at"]))
                fields = _event_fields(r["event_json"], r["event_zstd"], r["event_utf8_bytes"], r["navigation_json"],
                                       ctx, defer=defer)
                if fields["kind"] == "session_start" and sid:
                    hid = _header_id(r["event_json"])
                    if hid and hid != sid and sid not in ctx.header_mismatch:
                        ctx.header_mismatch.add(sid)
                        notes.append(f"transcript_events: header id {hid} differs from the row's session_id {sid}; "
                                     "the row's session_id is used")
                rows.append(_finish(fields, sid=sid, src=f"{name}!transcript_events/{sid}",
                                    line=seq if seq is not None else -1, created=r["created_at"], ctx=ctx))
        if pending:
            decoded = _cli_batch([(frame, size) for _, frame, size, _ in pending])
            done = 0
            for (idx, _, _, created), data in zip(pending, decoded):
                if data is None:
                    continue
                old = rows[idx]
                fields = _payload_fields(data.decode("utf-8", errors="replace"), ctx)
                rows[idx] = _finish(fields, sid=old["session_id"], src=old["source"], line=old["line"],
                                    created=created, ctx=ctx)
                done += 1
            ctx.undecoded -= done
            if done:
                notes.append(f"{done} compressed transcript event(s) decoded with the zstd command ({_zstd_cli()})")
            if ctx.undecoded:
                ctx.undecoded_why = "zstd frame not decodable (zstd command failed)"

        # -- windows -> session_store_entry -----------------------------------------------
        windowed: set[str] = set()
        node_by_key = {_text(n["session_key"]): n for n in node_rows}
        for r in window_rows:
            sid, key = _text(r["session_id"]), _text(r["session_key"])
            windowed.add(sid or "")
            start_us, start_how = _epoch_to_us(r["started_at"])
            created_us, created_how = _epoch_to_us(r["created_at"])
            ts, note = (start_us, f"{windows[0]}.started_at ({start_how}, UTC)") if start_us is not None else \
                (created_us, f"{windows[0]}.created_at ({created_how}, UTC)") if created_us is not None else \
                (None, f"no start time in {windows[0]}")
            node = node_by_key.get(key)
            channel = (_text(r["channel"]) or "").lower() or _channel_of(_json_obj(node["entry_json"]) if node else None)
            bits = [f"scope {_text(r['session_scope'])}" if r["session_scope"] is not None else None,
                    f"started {_iso(start_us)}" if start_us is not None else None,
                    f"created {_iso(created_us)}" if created_us is not None else None,
                    f"updated {_iso(_epoch_to_us(r['updated_at'])[0])}" if r["updated_at"] is not None else None,
                    f"ended {_iso(_epoch_to_us(r['ended_at'])[0])}" if r["ended_at"] is not None else None,
                    f"reason {_text(r['reason'])}" if r["reason"] is not None else None,
                    f"previous {_text(r['previous_session_id'])}" if r["previous_session_id"] is not None else None,
                    f"status {_text(r['status'])}" if r["status"] is not None else None,
                    f"chat {_text(r['chat_type'])}" if r["chat_type"] is not None else None,
                    f"model {_text(r['model_provider']) or '?'}/{_text(r['model']) or '?'}"
                    if r["model"] is not None or r["model_provider"] is not None else None,
                    "current" if key is not None and current.get(key) == sid else None]
            rows.append({
                "ts": ts, "ts_note": note, "source": f"{name}!{windows[0]}", "line": _int(r["rowid"]),
                "format": FORMAT, "kind": "session_store_entry", "session_id": sid, "session_key": key,
                "channel": channel or None,
                "text": f"{key} -> {sid} (session window: {', '.join(b for b in bits if b)})",
            })

        # -- nodes whose current id has no window -----------------------------------------
        for r in node_rows:
            sid, key = r["_sid"], _text(r["session_key"])
            if sid in windowed:
                continue
            us, how = _epoch_to_us(r["updated_at"])
            rows.append({
                "ts": us, "ts_note": f"{nodes[0]}.updated_at ({how}, UTC)" if us is not None else f"no time in {nodes[0]}",
                "source": f"{name}!{nodes[0]}", "line": _int(r["rowid"]), "format": FORMAT,
                "kind": "session_store_entry", "session_id": sid, "session_key": key,
                "channel": _channel_of(_json_obj(r["entry_json"])),
                "text": f"{key} -> {sid} ({nodes[0]}: current session id; no session window row)",
            })

        # -- archives -------------------------------------------------------------------------
        for at, acols in archives:
            count += _read_archives(conn, at, acols, source, rows, ctx, damaged)

    if ctx.undecoded:
        notes.append(f"{ctx.undecoded} compressed transcript event(s) not decoded ({ctx.undecoded_why}); "
                     "their kind, role, model and time come from navigation_json, their text is a placeholder")
    resets = sum(1 for r in rows if r["kind"] == "transcript_entry" and str(r["text"]).startswith("reset reason="))
    if resets:
        notes.append(f"{resets} reset event(s) emitted as transcript_entry 'reset reason=…' "
                     f"(the schema has no '{RESET_KIND}' kind yet)")
    if te is not None:
        notes.append(f"transcript_events: {len(sessions)} session(s); line = seq (0-based), "
                     "source = <db>!transcript_events/<session_id>")
    if damaged and not rows:
        raise InputError(f"{name}: SQLite store is damaged, nothing readable ({damaged[0]})")
    return ParsedSource(source=name, format=FORMAT, events=rows_to_frame(rows), lines=count, notes=notes,
                        mtime=source.mtime())


def _header_id(raw: Any) -> str | None:
    obj = _json_obj(raw)
    return obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None


def _read_archives(conn, table: str, cols: list[str], source: InputFile, rows: list[dict[str, Any]], ctx: _Ctx,
                   damaged: list[str]) -> int:
    name = source.name
    cold = table == "session_transcript_cold_archives"
    want = ["session_id", "generation", "session_key", "reason", "encoding", "archive_name", "created_at",
            "archived_at", "published_at", "event_count", "storage", "archive_blob"]
    here = source.path.parent if source.path is not None else None
    count = 0
    for r in _rows(conn, table, cols, want, order='"session_id"', ctx=ctx, damaged=damaged):
        count += 1
        sid = _text(r["session_id"])
        key = _text(r["session_key"]) or ctx.keys.get(sid or "")
        aname = _text(r["archive_name"]) or f"{sid}@{_text(r['generation']) or '?'}"
        src = f"{name}!{table}/{aname}"
        when = r["archived_at"] if cold else r["created_at"]
        us, how = _epoch_to_us(when)
        if cold:
            what = (f"cold-archived ({_text(r['storage']) or '?'} storage, {_int(r['event_count'])} events) "
                    f"as {aname}")
        else:
            pub_us = _epoch_to_us(r["published_at"])[0]
            what = (f"archived ({_text(r['reason']) or '?'}) as {aname}, encoding {_text(r['encoding']) or '?'}, "
                    + (f"published {_iso(pub_us)}" if pub_us is not None else "not published as a file"))
        if r["generation"] is not None:
            what += f", generation {_text(r['generation'])}"
        rows.append({
            "ts": us, "ts_note": f"{table}.{'archived_at' if cold else 'created_at'} ({how}, UTC)" if us is not None
            else f"no time in {table}", "source": src, "line": 0, "format": FORMAT, "kind": "session_archive",
            "session_id": sid, "session_key": key, "text": what,
        })
        blob = r["archive_blob"]
        if not isinstance(blob, bytes) or not blob:
            continue
        if here is not None and _text(r["archive_name"]) and (here / aname).is_file():
            ctx.notes.append(f"{table}: {aname} is also a file beside the database; its transcript is read from "
                             "that file, not from the blob")
            continue
        data: bytes | None = blob
        if (_text(r["encoding"]) or "").lower() == "zstd" or blob.startswith(ZSTD_MAGIC):
            data, why = _decompress(blob, None)
            if data is None:
                ctx.notes.append(f"{table}: transcript of {aname} not decoded ({why})")
                continue
        for i, raw in enumerate(split_lines(data.decode("utf-8", errors="replace")), 1):
            if not raw.strip():
                continue
            count += 1
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                obj = None
            fields = _convert(obj, raw, ctx)
            rows.append(_finish(fields, sid=sid, src=src, line=i, created=None, ctx=ctx, key=key))
    return count
