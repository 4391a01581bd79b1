"""`moltdiag collect`: gather a gateway host's evidence into one tarball, redacted by default.

    result = collect(Path("bundle.tar.gz"), CollectOptions(since=timedelta(hours=24)))
    result.manifest["files"]          # what is in the bundle: path, size, sha256, source, redaction

What is collected (spec openclaw-formats.md §1, §2, §8; issue 5 item 6, issue 7 item 5):

- **State dirs of every era**: `$OPENCLAW_STATE_DIR`, `$MOLTBOT_STATE_DIR`, `$CLAWDBOT_STATE_DIR`,
  `$CLAWDIS_STATE_DIR`, `~/.openclaw`, `~/.moltbot`, `~/.moldbot`, `~/.clawdbot`, `~/.clawdis`, profile
  dirs `~/.openclaw-<p>` (`~/.clawdbot-<p>`, `~/.moltbot-<p>`), or only the `--state-dir` dirs given.
  Two names for one directory (the migration leaves `~/.clawdbot` as a link to `~/.openclaw`) are
  collected once. In each: `agents/*/sessions/*.jsonl*` (live, topic, forked, checkpoint and archived
  `.reset.` / `.deleted.` / `.bak.` transcripts), `sessions.json` (+ `sessions.json.bak.<n>`), the
  pre-2026.1.8 `sessions/` folder, `agents/*/agent/openclaw-agent.sqlite` (+ its `-wal`) and archive
  files published beside it, `logs/commands.log*`, `logs/gateway*.log`, `logs/node*.log`;
  the workspace's `memory/*.md` (session-memory files) — the workspace is `<state>/workspace*`, the
  config's `agents.defaults.workspace` / `agents.list[].workspace` / legacy `agent.workspace`, and
  Clawdbot's default `~/clawd`. The config (`openclaw.json`, `clawdbot.json`, `moltbot.json`,
  `moldbot.json`) is read with a tolerant JSON5-lite reader only to find those paths and
  `logging.file`; config files are never copied (they hold tokens and keys), nor are
  `credentials/`, `auth-profiles.json`, `devices/` or anything else not named above.
- **File logs**: `/tmp/openclaw*/**.log` (incl. the `openclaw-<uid>` fallback), `/tmp/moltbot/*.log`,
  `/tmp/moldbot/*.log`, `/tmp/clawdbot/*.log`, the same under `$TMPDIR`, and a `logging.file` set in a config.
- **The gateway unit's journal** (`live_journal`): user units first, then system units; skipped
  with a note when journalctl or a unit is absent.

Safety: sources are only ever opened read-only (`O_RDONLY | O_NOFOLLOW`, `O_NOATIME` when allowed);
SQLite files are read as bytes and only private copies are opened by SQLite. Directories are
walked without following links (`os.walk(followlinks=False)` / `scandir(follow_symlinks=False)`);
a symlinked file or directory inside a collected directory is never followed — it is listed under
`skipped` with its target's place (inside / outside the directory) — and every file's real path
must stay inside the directory it was found in. `--since` keeps files modified in that window.

Redaction (default; `redact=False` copies bytes as they are): one `Redactor` for the whole
bundle, so a pseudonym means the same thing in every file; the host name and the account's user
names are registered first. Transcripts are rewritten line by line with their JSON structure
kept: message bodies (text, thinking, tool arguments and results, compaction summaries) become
`[text: n chars, sha256:…]` with the markers a diagnosis needs kept (reset prompt, `✅ New session
started`, `[message_id: …]`, envelopes with pseudonymised names), idempotency keys and session keys
keep their shape with ids pseudonymised, every other string loses secrets and identifiers.
`sessions.json` and `commands.log` the same way; log files line by line (`redact_text`);
session-memory files keep their header (key pseudonymised) and hash the conversation, and their
LLM-made name slug is replaced by a hash. The journal keeps only the fields moltdiag reads (time,
host pseudonymised, identifier, PID, priority, unit, message redacted). A SQLite store is copied
only without redaction (a live store's `-wal` is merged into a private copy so the one file in
the bundle holds every row); redacted, its transcript rows are exported to one redacted JSONL
per session (plus a `sessions.json` made from its session windows and its archived transcripts
under their archive names) in `<store>.export/`, so moltdiag still reads the sessions.

Bundle: `moltdiag-collect/README.txt`, `moltdiag-collect/manifest.json` (relative paths, sizes,
SHA-256 of what is in the bundle, source path (redacted), source size and SHA-256, mtime,
redaction applied, secrets removed, skipped files with reasons, notes), then the files in path
order. Deterministic: sorted members, each file's own mtime (moltdiag uses it for year
inference), uid/gid 0, no user/group names, gzip header without name or time; `created_at` is
`$SOURCE_DATE_EPOCH` when set. Written to `<output>.part` (mode 0600) and renamed when complete.
"""

from __future__ import annotations

import getpass
import gzip
import hashlib
import io
import os
import re
import shutil
import socket
import sqlite3
import stat
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from moltdiag.parsers.base import InputError

TOP = "moltdiag-collect"
FORMAT_VERSION = 1
SPOOL_MEMORY = 1 << 20
CHUNK = 1 << 20

BRANDS = ("openclaw", "moltbot", "moldbot", "clawdbot", "clawdis")
STATE_ENV = ("OPENCLAW_STATE_DIR", "MOLTBOT_STATE_DIR", "CLAWDBOT_STATE_DIR", "CLAWDIS_STATE_DIR")
CONFIG_NAMES = ("openclaw.json", "moltbot.json", "moldbot.json", "clawdbot.json", "clawdis.json")
STORE_NAME = "openclaw-agent.sqlite"

_TRANSCRIPT_RE = re.compile(r"\.jsonl(?:\.(?:reset|deleted|bak)\.[0-9TZ.:-]+)?$", re.I)
_SESSIONS_JSON_RE = re.compile(r"^sessions\.json(?:\.bak\.\d+)?$", re.I)
_COMMANDS_RE = re.compile(r"^commands\.log(?:\.\d+)?$", re.I)
_LAUNCHD_RE = re.compile(r"^(?:gateway|node)[\w.-]*\.log$", re.I)
_MEMORY_RE = re.compile(r"^[^.].*\.md$", re.I)
_FILE_LOG_DIR_RE = re.compile(r"^(?:openclaw(?:-[\w.-]+)?|moltbot|moldbot|clawdbot)$")

Progress = Callable[[int], None]


# ---------------------------------------------------------------------------------------
# Options, result
# ---------------------------------------------------------------------------------------


@dataclass
class CollectOptions:
    """What to collect. Everything that touches the machine is injectable for tests."""

    state_dirs: Sequence[Path] | None = None  # given dirs (only these); None: discover every era
    since: timedelta | datetime | None = None  # keep files modified at or after now - since / since
    redact: bool = True
    include_text: bool = False  # redacted, but message text kept (secrets still removed)
    journal: bool = True
    unit: str | None = None  # journal unit; None: discover gateway units
    journal_user: bool | None = None  # None: user units, then system units
    journal_since: str | None = None  # journalctl --since text (default: from `since`)
    home: Path | None = None
    env: Mapping[str, str] | None = None
    tmp_roots: Sequence[Path] | None = None  # where /tmp/openclaw* … live (default /tmp and $TMPDIR)
    runner: Any = None  # live_journal.Runner for journalctl / systemctl
    progress: Progress | None = None  # called with the number of source bytes just read
    on_total: Callable[[int], None] | None = None  # called once with the source bytes to read
    now: float | None = None
    hash_key: bytes | None = None  # keyed message hashes (see redact.Redactor)


@dataclass
class CollectResult:
    output: Path
    manifest: dict[str, Any]
    files: int
    source_bytes: int
    bundle_bytes: int  # uncompressed content
    size: int  # the .tar.gz on disk
    seconds: float
    redactor: Any = None  # the Redactor (for an optional --redaction-map), None without redaction


@dataclass
class StateDir:
    path: Path  # as found
    real: Path
    how: str  # "$OPENCLAW_STATE_DIR", "default", "profile <p>", "--state-dir"
    era: str
    label: str = ""
    aliases: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One file (or the journal) to put in the bundle."""

    dest: str  # bundle path below TOP
    kind: str  # transcript, sessions-json, sqlite-store, commands-log, gateway-log, file-log, session-memory, journal
    source: Path | None
    root: Path | None  # real directory it must stay inside
    size: int
    mtime: float
    wal: Path | None = None
    data: bytes | None = None  # in-memory source (the journal)
    shown: str = ""  # source as shown in the manifest (before redaction)


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def parse_since(text: str | None, *, now: float | None = None) -> timedelta | datetime | None:
    """`24h`, `90m`, `2d`, `1w`, `30s` → timedelta; an absolute time (`2026-01-27 19:00`, ISO) →
    aware datetime (a time without zone is this machine's local time). Raises ValueError."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*", text)
    if m:
        value, unit = float(m.group(1)), m.group(2) or "s"
        factor = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
        return timedelta(seconds=value * factor)
    from dateutil import parser as dateparser

    try:
        when = dateparser.parse(text)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is neither a duration (24h, 90m, 2d) nor a time (2026-01-27 19:00)") from None
    return when if when.tzinfo else when.astimezone()


def _cutoff(since: timedelta | datetime | None, now: float) -> float | None:
    if since is None:
        return None
    if isinstance(since, timedelta):
        return now - since.total_seconds()
    return since.timestamp()


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _label(name: str) -> str:
    name = name.lstrip(".") or "state"
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _era(name: str) -> str:
    low = name.lower()
    for brand in BRANDS:
        if brand in low:
            return brand
    return "unknown"


# ---------------------------------------------------------------------------------------
# Config (JSON5-lite, read only for paths)
# ---------------------------------------------------------------------------------------


def json5_to_json(text: str) -> str:
    """JSON5-lite → JSON: comments, trailing commas, unquoted keys, single-quoted strings."""
    out: list[str] = []
    i, n = 0, len(text)
    last = ""  # last significant character written

    def skip_space(j: int) -> int:
        while j < n:
            if text[j].isspace():
                j += 1
            elif text.startswith("//", j):
                k = text.find("\n", j)
                j = n if k < 0 else k
            elif text.startswith("/*", j):
                k = text.find("*/", j + 2)
                j = n if k < 0 else k + 2
            else:
                break
        return j

    while i < n:
        c = text[i]
        if c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    pair = text[j:j + 2]
                    buf.append("'" if pair == "\\'" else pair)
                    j += 2
                    continue
                buf.append('\\"' if text[j] == '"' else text[j])
                j += 1
            out.append('"' + "".join(buf) + '"')
            last = '"'
            i = j + 1
            continue
        if c.isspace() or text.startswith("//", i) or text.startswith("/*", i):
            j = skip_space(i)
            out.append(" ")
            i = j
            continue
        if c == ",":
            j = skip_space(i + 1)
            if j < n and text[j] in "}]":
                i = j
                continue
            out.append(",")
            last = ","
            i += 1
            continue
        if (c.isalpha() or c in "_$") and last in ("{", ","):
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            k = skip_space(j)
            if k < n and text[k] == ":":
                out.append('"' + text[i:j] + '"')
                last = '"'
                i = j
                continue
        out.append(c)
        if not c.isspace():
            last = c
        i += 1
    return "".join(out)


def read_config(path: Path) -> Any:
    """A config file as an object (JSON, then JSON5-lite), or None. Never copied anywhere."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for attempt in (text, None):
        try:
            return orjson.loads(attempt if attempt is not None else json5_to_json(text))
        except (orjson.JSONDecodeError, TypeError):
            continue
    return {"_unparsed": text}


def _config_paths(cfg: Any) -> tuple[list[str], list[str]]:
    """(workspace paths, logging.file paths) named in a config."""
    workspaces: list[str] = []
    logs: list[str] = []
    if isinstance(cfg, dict) and "_unparsed" in cfg:
        text = cfg["_unparsed"]
        workspaces += re.findall(r"""["']?workspace["']?\s*:\s*["']([^"'\n]+)["']""", text)
        return workspaces, logs
    if not isinstance(cfg, dict):
        return workspaces, logs

    def get(obj: Any, *keys: str) -> Any:
        for key in keys:
            obj = obj.get(key) if isinstance(obj, dict) else None
        return obj

    for value in (get(cfg, "agents", "defaults", "workspace"), get(cfg, "agent", "workspace")):
        if isinstance(value, str) and value.strip():
            workspaces.append(value.strip())
    agents_list = get(cfg, "agents", "list")
    if isinstance(agents_list, list):
        for agent in agents_list:
            ws = agent.get("workspace") if isinstance(agent, dict) else None
            if isinstance(ws, str) and ws.strip():
                workspaces.append(ws.strip())
    log_file = get(cfg, "logging", "file")
    if isinstance(log_file, str) and log_file.strip():
        logs.append(log_file.strip())
    return workspaces, logs


def _expand(value: str, home: Path, base: Path) -> Path:
    if value == "~" or value.startswith("~/"):
        return home / value[2:]
    p = Path(value)
    return p if p.is_absolute() else base / p


# ---------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------


def discover_state_dirs(home: Path | None = None, env: Mapping[str, str] | None = None) -> list[StateDir]:
    """State dirs of every era on this machine, one per real directory, in a fixed order."""
    home = home or Path.home()
    env = os.environ if env is None else env
    candidates: list[tuple[Path, str, str]] = []
    for var in STATE_ENV:
        value = env.get(var)
        if value and value.strip():
            candidates.append((_expand(value.strip(), home, home), f"${var}", _era(var)))
    for brand in BRANDS:
        candidates.append((home / f".{brand}", "default", brand))
    for brand in ("openclaw", "moltbot", "moldbot", "clawdbot"):
        try:
            profiles = sorted(home.glob(f".{brand}-*"))
        except OSError:
            profiles = []
        for p in profiles:
            candidates.append((p, f"profile {p.name[len(brand) + 2:]}", brand))
    return _dedupe(candidates)


def _dedupe(candidates: list[tuple[Path, str, str]]) -> list[StateDir]:
    out: list[StateDir] = []
    by_real: dict[str, StateDir] = {}
    for path, how, era in candidates:
        try:
            if not path.is_dir():
                continue
            real = Path(os.path.realpath(path))
        except OSError:
            continue
        known = by_real.get(str(real))
        if known is not None:
            if str(path) != str(known.path):
                known.aliases.append(f"{path} ({how})")
            continue
        sd = StateDir(path=path, real=real, how=how, era=era)
        by_real[str(real)] = sd
        out.append(sd)
    used: set[str] = set()
    for sd in out:
        base = _label(sd.path.name)
        label, n = base, 2
        while label in used:
            label, n = f"{base}-{n}", n + 1
        used.add(label)
        sd.label = label
    return out


class _Plan:
    def __init__(self, home: Path, cutoff: float | None):
        self.home = home
        self.cutoff = cutoff
        self.items: list[Item] = []
        self.skipped: list[dict[str, str]] = []
        self.notes: list[str] = []
        self.seen: set[str] = set()  # real paths already planned
        self.old = 0

    def skip(self, path: Path | str, reason: str) -> None:
        entry = {"source": str(path), "reason": reason}
        if entry not in self.skipped:
            self.skipped.append(entry)

    def shown(self, path: Path) -> str:
        try:
            rel = path.relative_to(self.home)
        except ValueError:
            return str(path)
        return "~/" + str(rel)

    def add_file(self, path: Path, root: Path, dest: str, kind: str, *, wal: Path | None = None) -> None:
        """Plan one regular file (never a link, never outside `root`)."""
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.skip(self.shown(path), f"cannot read: {exc.strerror or exc}")
            return
        if stat.S_ISLNK(st.st_mode):
            self.skip_link(path, root)
            return
        if not stat.S_ISREG(st.st_mode):
            self.skip(self.shown(path), "not a regular file")
            return
        real = os.path.realpath(path)
        if not _inside(real, str(root)):
            self.skip(self.shown(path), "real path is outside the directory it was found in: not followed")
            return
        if real in self.seen:
            return
        mtime = st.st_mtime
        size = st.st_size
        if wal is not None:
            try:
                wst = os.lstat(wal)
                if stat.S_ISREG(wst.st_mode) and _inside(os.path.realpath(wal), str(root)):
                    mtime, size = max(mtime, wst.st_mtime), size + wst.st_size
                else:
                    wal = None
            except OSError:
                wal = None
        if self.cutoff is not None and mtime < self.cutoff:
            self.old += 1
            self.skip(self.shown(path), f"modified {_iso(mtime)}, before --since")
            return
        self.seen.add(real)
        self.items.append(Item(dest=dest, kind=kind, source=path, root=root, size=size, mtime=mtime, wal=wal,
                               shown=self.shown(path)))

    def skip_link(self, path: Path, root: Path) -> None:
        try:
            target = os.path.realpath(path)
        except OSError:
            target = ""
        where = "inside" if target and _inside(target, str(root)) else "outside"
        self.skip(self.shown(path), f"symbolic link (target {where} the directory): not followed")


def _linked(path: Path, plan: _Plan, root: Path) -> bool:
    """True (and listed as skipped) when a directory inside a collected one is a symbolic link."""
    if os.path.islink(path):
        plan.skip_link(path, root)
        return True
    return False


def _dirs(path: Path, plan: _Plan, root: Path, *, report: Callable[[str], bool] = lambda name: True,
          top: bool = False) -> list[Path]:
    """Real subdirectories of `path` (links whose name `report` accepts are listed as skipped;
    no link is ever entered). `path` itself may be a link only when it is the directory given."""
    out: list[Path] = []
    if not top and _linked(path, plan, root):
        return out
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return out
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_symlink():
            try:
                if report(e.name) and os.path.isdir(e.path):
                    plan.skip_link(Path(e.path), root)
            except OSError:
                pass
            continue
        if e.is_dir(follow_symlinks=False):
            out.append(Path(e.path))
    return out


def _files(path: Path, plan: _Plan, root: Path, match: Callable[[str], bool]) -> list[Path]:
    """Matching names directly in `path` (links included: add_file refuses them with a reason)."""
    if _linked(path, plan, root):
        return []
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for e in entries:
        if e.name.startswith(".") or not match(e.name):
            continue
        if e.is_dir(follow_symlinks=False):
            continue
        out.append(Path(e.path))
    return out


def _is_transcript(name: str) -> bool:
    return bool(_TRANSCRIPT_RE.search(name)) and not name.endswith((".tmp", ".lock"))


def _is_session_file(name: str) -> bool:
    return _is_transcript(name) or bool(_SESSIONS_JSON_RE.match(name))


def _plan_state_dir(sd: StateDir, plan: _Plan, home: Path, workspaces: dict[str, tuple[Path, str]]) -> None:
    root = sd.real  # containment is checked against the real directory
    top = sd.path  # paths are built (and shown) under the name it was found by
    prefix = f"state/{sd.label}"

    def add(p: Path, kind: str, **kw: Any) -> None:
        plan.add_file(p, root, f"{prefix}/{p.relative_to(top)}", kind, **kw)

    for agents_dir in [top / "agents"]:
        for agent in _dirs(agents_dir, plan, root):
            for p in _files(agent / "sessions", plan, root, _is_session_file):
                add(p, "sessions-json" if _SESSIONS_JSON_RE.match(p.name) else "transcript")
            adir = agent / "agent"
            for p in _files(adir, plan, root, lambda n: n == STORE_NAME):
                wal = Path(str(p) + "-wal")
                add(p, "sqlite-store", wal=wal if os.path.lexists(wal) else None)
                if os.path.lexists(str(p) + "-journal"):
                    plan.notes.append(f"{plan.shown(p)}-journal exists (an interrupted SQLite write); "
                                      "not applied, not copied")
            for p in _files(adir, plan, root, _is_transcript):
                add(p, "transcript")
    for p in _files(top / "sessions", plan, root, _is_session_file):
        add(p, "sessions-json" if _SESSIONS_JSON_RE.match(p.name) else "transcript")
    for p in _files(top / "logs", plan, root, lambda n: bool(_COMMANDS_RE.match(n) or _LAUNCHD_RE.match(n))):
        add(p, "commands-log" if _COMMANDS_RE.match(p.name) else "gateway-log")

    # workspaces: inside the state dir, named by the config, Clawdbot's default ~/clawd
    is_ws = lambda name: name == "workspace" or name.startswith("workspace-")  # noqa: E731
    found: list[Path] = [d for d in _dirs(top, plan, root, report=is_ws, top=True) if is_ws(d.name)]
    for name in CONFIG_NAMES:
        cfg_path = top / name
        if not cfg_path.is_file():
            continue
        ws_values, log_values = _config_paths(read_config(cfg_path))
        for value in ws_values:
            found.append(_expand(value, home, top))
        for value in log_values:
            p = _expand(value, home, top)
            if os.path.lexists(p):
                parent = Path(os.path.realpath(p.parent))
                plan.add_file(p, parent, f"file-logs/config-{sd.label}/{p.name}", "file-log")
    if sd.era in ("clawdbot", "moltbot", "moldbot", "clawdis"):
        found.append(home / "clawd")
    for ws in found:
        try:
            if not ws.is_dir():
                continue
            real = Path(os.path.realpath(ws))
        except OSError:
            continue
        if str(real) in workspaces:
            continue
        if _inside(str(real), str(root)):
            dest = f"{prefix}/{real.relative_to(root)}"
        else:
            dest = f"workspaces/{_label(ws.name)}"
            n = 2
            while any(d == dest for d, _ in workspaces.values()):
                dest, n = f"workspaces/{_label(ws.name)}-{n}", n + 1
        workspaces[str(real)] = (ws, dest)


def _plan_workspace(ws: Path, dest: str, plan: _Plan) -> None:
    mem = ws / "memory"
    try:
        if os.path.islink(mem):
            plan.skip_link(mem, Path(os.path.realpath(ws)))
            return
        if not mem.is_dir():
            return
    except OSError:
        return
    root = Path(os.path.realpath(mem))
    for p in _files(mem, plan, root, lambda n: bool(_MEMORY_RE.match(n))):
        plan.add_file(p, root, f"{dest}/memory/{p.name}", "session-memory")


def default_tmp_roots(env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    roots = [Path("/tmp")]
    tmpdir = env.get("TMPDIR")
    if tmpdir and os.path.realpath(tmpdir) != os.path.realpath("/tmp"):
        roots.append(Path(tmpdir))
    return roots


def _plan_file_logs(roots: Sequence[Path], plan: _Plan) -> list[str]:
    used: list[str] = []
    for troot in roots:
        try:
            entries = sorted(os.scandir(troot), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if not _FILE_LOG_DIR_RE.match(e.name):
                continue
            path = Path(e.path)
            if e.is_symlink():
                plan.skip(str(path), "symbolic link in the temp dir (OpenClaw refuses those too): not followed")
                continue
            if not e.is_dir(follow_symlinks=False):
                continue
            root = Path(os.path.realpath(path))
            used.append(str(path))
            recursive = e.name.startswith("openclaw")
            label = _label(e.name) if len(roots) == 1 or troot == roots[0] else f"{_label(troot.name)}-{_label(e.name)}"
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False, onerror=None):
                dirnames.sort()
                if not recursive:
                    dirnames[:] = []
                for d in list(dirnames):
                    if os.path.islink(os.path.join(dirpath, d)):
                        plan.skip_link(Path(dirpath) / d, root)
                for name in sorted(filenames):
                    if not name.endswith(".log") or name.startswith("."):
                        continue
                    p = Path(dirpath) / name
                    rel = p.relative_to(path)
                    plan.add_file(p, root, f"file-logs/{label}/{rel}", "file-log")
    return used


# ---------------------------------------------------------------------------------------
# Reading sources safely
# ---------------------------------------------------------------------------------------


class _Source:
    """A source file opened read-only without following links; hashes what is read."""

    def __init__(self, path: Path, root: Path | None, progress: Progress | None):
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
        noatime = getattr(os, "O_NOATIME", 0)
        try:
            fd = os.open(path, flags | noatime)
        except PermissionError:
            fd = os.open(path, flags)  # O_NOATIME needs ownership
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise OSError(f"{path}: not a regular file")
        if root is not None and not _inside(os.path.realpath(path), str(root)):
            os.close(fd)
            raise OSError(f"{path}: outside {root}")
        self.file = os.fdopen(fd, "rb", buffering=CHUNK)
        self.hash = hashlib.sha256()
        self.size = 0
        self.progress = progress

    def _count(self, data: bytes) -> bytes:
        self.hash.update(data)
        self.size += len(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data

    def read(self, n: int = -1) -> bytes:
        return self._count(self.file.read(n))

    def lines(self) -> Iterator[bytes]:
        for line in self.file:
            yield self._count(line)

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _MemSource(_Source):
    def __init__(self, data: bytes, progress: Progress | None):  # noqa: D107 - same interface
        self.file = io.BytesIO(data)  # type: ignore[assignment]
        self.hash = hashlib.sha256()
        self.size = 0
        self.progress = progress


class _Sink:
    def __init__(self, workdir: str):
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, dir=workdir)
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.hash.update(data)
        self.size += len(data)


@dataclass
class _Out:
    dest: str
    sink: _Sink
    mtime: float
    entry: dict[str, Any]


# ---------------------------------------------------------------------------------------
# Redaction of structured files
# ---------------------------------------------------------------------------------------

_STRUCTURAL = frozenset({
    "type", "id", "parentId", "timestamp", "role", "provider", "model", "modelId", "api", "stopReason",
    "customType", "toolName", "toolCallId", "thinkingLevel", "version", "reason", "firstKeptEntryId",
    "sessionId", "action", "source", "chatType", "lastChannel", "channel", "surface", "modelApi",
    "__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "_PID",
    "_COMM", "_TRANSPORT", "_SYSTEMD_UNIT", "_SYSTEMD_USER_UNIT", "USER_UNIT", "UNIT", "SYSLOG_PID",
})
_SESSION_KEY_FIELDS = frozenset({"sessionKey", "session_key", "key"})
_MESSAGE_ID_FIELDS = frozenset({"idempotencyKey", "message_id", "messageId"})
_ID_FIELDS = frozenset({"senderId", "sender_id", "userId", "chatId", "peerId"})
JOURNAL_FIELDS = ("__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID", "PRIORITY", "SYSLOG_IDENTIFIER",
                  "SYSLOG_PID", "_PID", "_COMM", "_TRANSPORT", "_HOSTNAME", "_SYSTEMD_UNIT", "_SYSTEMD_USER_UNIT",
                  "USER_UNIT", "UNIT", "MESSAGE")
REDACTED_MARK = "[REDACTED:"
# Bundle path components that are layout, never redacted (agent ids, labels and names are).
_DEST_WORDS = frozenset({"state", "agents", "sessions", "agent", "logs", "workspace", "workspaces", "memory",
                         "file-logs", "journal", *BRANDS})


class _JsonRedactor:
    """Redacts JSON documents leaf by leaf, keeping their structure."""

    def __init__(self, red: Any):
        from moltdiag.redact import redact_secrets

        self.red = red
        self.secrets = redact_secrets

    # leaves ------------------------------------------------------------------------------
    def body(self, text: str, role: str | None, kind: str | None) -> str:
        return self.red.redact_message_text(text, role, kind=kind) or text

    def leaf(self, key: str | None, value: str, hint: str | None = None) -> str:
        if not value:
            return value
        if key in _STRUCTURAL:
            return self.secrets(value) or value
        if key in _SESSION_KEY_FIELDS and ":" in value and " " not in value:
            return self.red.redact_session_key(value) or value
        if key in _MESSAGE_ID_FIELDS:
            return self.red.redact_message_id(value) or value
        if key in _ID_FIELDS and " " not in value.strip():
            return self.red.classify_id(self.secrets(value) or value, hint)
        if key is None:
            return self.red.redact_text(value) or value
        # in JSON context, so that the key-aware patterns ("token": …, "label": …) apply
        snippet = orjson.dumps({key: value}).decode()
        try:
            new = orjson.loads(self.red.redact_text(snippet))
            if isinstance(new, dict) and isinstance(new.get(key), str):
                return new[key]
        except orjson.JSONDecodeError:
            pass
        return self.red.redact_text(value) or value

    def generic(self, value: Any, key: str | None = None, hint: str | None = None) -> Any:
        if isinstance(value, str):
            return self.leaf(key, value, hint)
        if isinstance(value, dict):
            return {k: self.generic(v, k, hint) for k, v in value.items()}
        if isinstance(value, list):
            return [self.generic(v, key, hint) for v in value]
        return value

    def hashed(self, value: Any, role: str | None) -> Any:
        """Every string leaf is a message body (tool arguments, tool details)."""
        if isinstance(value, str):
            return self.body(value, role, None)
        if isinstance(value, dict):
            return {k: self.hashed(v, role) for k, v in value.items()}
        if isinstance(value, list):
            return [self.hashed(v, role) for v in value]
        return value

    # transcripts ---------------------------------------------------------------------------
    def block(self, b: Any, role: str | None, kind: str | None) -> Any:
        if isinstance(b, str):
            return self.body(b, role, kind)
        if not isinstance(b, dict):
            return b
        btype = b.get("type")
        out: dict[str, Any] = {}
        for k, v in b.items():
            if k in ("text", "thinking") and isinstance(v, str):
                out[k] = self.body(v, role, kind)
            elif k in ("arguments", "partialJson", "input", "content", "details"):
                out[k] = self.hashed(v, role)
            elif k == "data" and btype == "image" and isinstance(v, str):
                out[k] = f"[image data removed: {len(v)} chars]"
            elif k == "source" and isinstance(v, dict) and "data" in v:
                out[k] = {**self.generic({kk: vv for kk, vv in v.items() if kk != "data"}, k),
                          "data": f"[image data removed: {len(str(v.get('data')))} chars]"}
            elif k == "thinkingSignature":
                out[k] = v
            else:
                out[k] = self.generic(v, k)
        return out

    def message(self, msg: dict[str, Any], kind: str | None, role: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in msg.items():
            if k == "content":
                if isinstance(v, str):
                    out[k] = self.body(v, role, kind)
                elif isinstance(v, list):
                    out[k] = [self.block(b, role, kind) for b in v]
                else:
                    out[k] = self.hashed(v, role)
            elif k == "details":
                out[k] = self.hashed(v, role)
            elif k == "errorMessage" and isinstance(v, str):
                out[k] = self.red.redact_text(v)
            else:
                out[k] = self.generic(v, k)
        return out

    def transcript_entry(self, obj: dict[str, Any]) -> dict[str, Any]:
        from moltdiag.parsers import transcript as tx

        etype = obj.get("type")
        kind = role = None
        if etype == "message" and isinstance(obj.get("message"), dict):
            cls = tx._classify(obj, "")
            kind, role = cls.get("kind"), cls.get("role")
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if k == "message" and isinstance(v, dict):
                out[k] = self.message(v, kind, role)
            elif k == "summary":
                out[k] = self.body(v, None, "compaction") if isinstance(v, str) else self.hashed(v, None)
            elif k == "content" and etype == "custom_message":
                out[k] = self.body(v, None, None) if isinstance(v, str) else \
                    [self.block(b, None, None) for b in v] if isinstance(v, list) else self.hashed(v, None)
            elif k == "data" and etype == "custom" and obj.get("customType") != "model-snapshot":
                out[k] = self.hashed(v, None)
            else:
                out[k] = self.generic(v, k)
        return out

    def command_line(self, obj: dict[str, Any]) -> dict[str, Any]:
        hint = obj.get("source") if isinstance(obj.get("source"), str) else None
        hint = hint.split(":")[0].lower() if hint else None
        return {k: self.generic(v, k, hint) for k, v in obj.items()}

    def session_store(self, store: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, entry in store.items():
            new_key = self.red.redact_session_key(key) if isinstance(key, str) else key
            out[new_key] = self.generic(entry, None) if not isinstance(entry, dict) else \
                {k: self.generic(v, k) for k, v in entry.items()}
        return out

    def journal_record(self, obj: dict[str, Any]) -> dict[str, Any]:
        from moltdiag.parsers.journald_json import field_text

        out: dict[str, Any] = {}
        for name in JOURNAL_FIELDS:
            if name not in obj:
                continue
            value = field_text(obj[name])
            if value is None:
                out[name] = None
            elif name == "_HOSTNAME":
                out[name] = self.red.redact_host(value)
            elif name == "MESSAGE":
                out[name] = self.red.redact_text(value)
            else:
                out[name] = self.leaf(name, value)
        return out


_MEM_MSG = re.compile(r"^(?P<role>user|assistant|toolResult|system|tool): ?(?P<body>.*)$")
_MEM_KEY = re.compile(r"^(?P<pre>- \*\*Session Key\*\*: )(?P<key>\S+)\s*$")
_MEM_KEEP = re.compile(r"^(?:# Session: .*|- \*\*(?:Session ID|Source|Reason)\*\*: \S+|## .*|\s*)$")
_MEM_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?P<slug>.*)\.md$")


def redact_memory_name(name: str) -> str:
    """`2026-01-27-divorce-lawyer.md` → `2026-01-27-<8 hex>.md` (the slug is made from the talk)."""
    m = _MEM_NAME.match(name)
    if not m:
        return "memory-" + hashlib.sha256(name.encode()).hexdigest()[:8] + ".md"
    slug = m["slug"]
    if re.fullmatch(r"(?:-\d{4})?", slug):  # no slug, or the HHMM fallback
        return name
    return f"{m['date']}-{hashlib.sha256(slug.encode()).hexdigest()[:8]}.md"


# ---------------------------------------------------------------------------------------
# The collector
# ---------------------------------------------------------------------------------------


class _Collector:
    def __init__(self, opts: CollectOptions, workdir: str):
        self.opts = opts
        self.workdir = workdir
        self.notes: list[str] = []
        self.red: Any = None  # a moltdiag.redact.Redactor when redacting
        self.jr: Any = None  # its _JsonRedactor
        if opts.redact:
            from moltdiag.redact import Redactor

            self.red = Redactor(include_text=opts.include_text, hash_key=opts.hash_key)
            self.jr = _JsonRedactor(self.red)

    # shown paths -------------------------------------------------------------------------
    def shown(self, text: str) -> str:
        if self.red is None:
            return text
        parts = text.split("/")
        if len(parts) >= 2 and parts[-2] == "memory" and parts[-1].endswith(".md"):
            parts[-1] = redact_memory_name(parts[-1])
        return self.red.redact_text("/".join(parts)) or text

    def dest(self, item: Item) -> str:
        dest = item.dest
        if self.red is not None:
            parts = dest.split("/")
            if item.kind == "session-memory":
                parts[-1] = redact_memory_name(parts[-1])
            parts = [p if p in _DEST_WORDS else (self.red.redact_text(p) or p) for p in parts]
            dest = "/".join(_label(p) if i < len(parts) - 1 else re.sub(r"[/\\\x00]", "_", p)
                            for i, p in enumerate(parts))
        return dest

    # one item ------------------------------------------------------------------------------
    def process(self, item: Item) -> list[_Out]:
        progress = self.opts.progress
        if item.kind == "sqlite-store":
            return self.sqlite(item)
        sink = _Sink(self.workdir)
        src: _Source = _MemSource(item.data, progress) if item.data is not None else \
            _Source(item.source, item.root, progress)  # type: ignore[arg-type]
        redaction = None
        before = after = 0
        with src:
            if self.red is None:
                while True:
                    chunk = src.read(CHUNK)
                    if not chunk:
                        break
                    sink.write(chunk)
            else:
                handler = {
                    "transcript": self._json_lines(self.jr.transcript_entry),
                    "commands-log": self._json_lines(self.jr.command_line),
                    "journal": self._json_lines(self.jr.journal_record),
                    "session-memory": self._memory,
                    "sessions-json": self._sessions_json,
                }.get(item.kind, self._text_lines)
                before, after, redaction = handler(src, sink)
        entry = self.entry(item, sink, src, redaction, after - before)
        return [_Out(self.dest(item), sink, item.mtime, entry)]

    def entry(self, item: Item, sink: _Sink, src: _Source | None, redaction: str | None, secrets: int,
              *, dest: str | None = None) -> dict[str, Any]:
        e: dict[str, Any] = {
            "path": dest or self.dest(item), "kind": item.kind, "size": sink.size, "sha256": sink.hash.hexdigest(),
            "mtime": _iso(item.mtime), "source": self.shown(item.shown),
        }
        if src is not None:
            e["source_size"] = src.size
            e["source_sha256"] = src.hash.hexdigest()
        if self.red is not None:
            e["redaction"] = redaction
            e["secret_markers"] = max(secrets, 0)
        return e

    # text handlers: (source, sink) -> (marks before, marks after, description) ---------------
    @staticmethod
    def _decode(raw: bytes) -> tuple[str, str]:
        """(line without its end, the end)"""
        text = raw.decode("utf-8", errors="replace")
        body = text.rstrip("\r\n")
        return body, text[len(body):]

    def _text_lines(self, src: _Source, sink: _Sink) -> tuple[int, int, str]:
        red = self.red
        before = after = 0
        for raw in src.lines():
            body, end = self._decode(raw)
            before += body.count(REDACTED_MARK)
            new = red.redact_text(body) or body
            after += new.count(REDACTED_MARK)
            sink.write((new + end).encode("utf-8"))
        return before, after, "log lines: secrets removed, hosts / users / ids / addresses pseudonymised" + \
            ("" if self.opts.include_text else ", message text in known shapes hashed")

    def _json_lines(self, fn: Callable[[dict[str, Any]], dict[str, Any]]):
        def handler(src: _Source, sink: _Sink) -> tuple[int, int, str]:
            before = after = 0
            for raw in src.lines():
                body, end = self._decode(raw)
                before += body.count(REDACTED_MARK)
                obj: Any = None
                if body.strip().startswith("{"):
                    try:
                        obj = orjson.loads(body)
                    except orjson.JSONDecodeError:
                        obj = None
                if isinstance(obj, dict):
                    new = orjson.dumps(fn(obj)).decode()
                elif body.strip():
                    new = self.red.redact_text(body) or body
                else:
                    new = body
                after += new.count(REDACTED_MARK)
                sink.write((new + end).encode("utf-8"))
            what = {
                self.jr.transcript_entry: "transcript: JSON structure kept; message bodies "
                + ("kept" if self.opts.include_text else "hashed (markers kept)")
                + ", ids / keys pseudonymised, secrets removed",
                self.jr.command_line: "commands.log: session keys and sender ids pseudonymised",
                self.jr.journal_record: "journal: only " + ", ".join(JOURNAL_FIELDS)
                + " kept; host pseudonymised, MESSAGE redacted like log lines",
            }.get(fn, "JSON lines redacted")
            return before, after, what
        return handler

    def _sessions_json(self, src: _Source, sink: _Sink) -> tuple[int, int, str]:
        data = src.read()
        text = data.decode("utf-8", errors="replace")
        before = text.count(REDACTED_MARK)
        store: Any = None
        for attempt in (text, None):
            try:
                store = orjson.loads(attempt if attempt is not None else json5_to_json(text))
                break
            except orjson.JSONDecodeError:
                continue
        if isinstance(store, dict):
            import json

            new = json.dumps(self.jr.session_store(store), indent=2, ensure_ascii=False) + "\n"
            what = "sessions.json: keys and values pseudonymised / secrets removed, structure kept"
        else:
            new = "".join((self.red.redact_text(line) or line) + "\n" for line in text.splitlines())
            what = "sessions.json not readable as JSON: redacted line by line"
        sink.write(new.encode("utf-8"))
        return before, new.count(REDACTED_MARK), what

    def _memory(self, src: _Source, sink: _Sink) -> tuple[int, int, str]:
        from moltdiag.parsers.transcript import RESET_PROMPT_MARKERS

        red = self.red
        lines = [self._decode(raw) for raw in src.lines()]
        before = sum(b.count(REDACTED_MARK) for b, _ in lines)
        out: list[str] = []
        pending: list[tuple[str, str]] = []  # (body line, end) of the message being read
        role = ""

        def flush() -> None:
            nonlocal pending
            if not pending:
                return
            body = "\n".join(b for b, _ in pending)
            kind = {"user": "user_message", "assistant": "assistant_message"}.get(role, "tool_result")
            if role == "user" and any(m in body for m in RESET_PROMPT_MARKERS):
                kind = "reset_prompt"
            new = red.redact_message_text(body, role if role != "tool" else "toolResult", kind=kind) or body
            new_lines = new.split("\n")
            for i, nl in enumerate(new_lines):
                prefix = f"{role}: " if i == 0 else ""
                out.append(prefix + nl + (pending[min(i, len(pending) - 1)][1] or "\n"))
            pending = []

        in_summary = False
        for body, end in lines:
            if body.startswith("## "):
                flush()
                in_summary = body.strip().lower().startswith("## conversation")
                out.append(body + end)
                continue
            m = _MEM_MSG.match(body) if in_summary else None
            if m:
                flush()
                role = m["role"]
                pending = [(m["body"], end)]
                continue
            if in_summary and pending:
                pending.append((body, end))
                continue
            km = _MEM_KEY.match(body)
            if km:
                out.append(km["pre"] + (red.redact_session_key(km["key"]) or km["key"]) + end)
            elif _MEM_KEEP.match(body):
                out.append(body + end)
            else:
                out.append((red.redact_text(body) or body) + end)
        flush()
        text = "".join(out)
        sink.write(text.encode("utf-8"))
        return before, text.count(REDACTED_MARK), "session-memory file: header kept (key pseudonymised), " + \
            ("conversation redacted" if self.opts.include_text else "conversation hashed") + \
            ", name slug replaced by a hash"

    # SQLite ----------------------------------------------------------------------------------
    def _copy_store(self, item: Item, tmp: Path) -> tuple[Path, _Source, _Source | None]:
        """Private copies of the store (and its WAL, read first); the originals only read."""
        wal_src = None
        if item.wal is not None:
            wal_src = _Source(item.wal, item.root, self.opts.progress)
            with wal_src, open(tmp / (STORE_NAME + "-wal"), "wb") as out:
                shutil.copyfileobj(_Reader(wal_src), out, CHUNK)
        db_src = _Source(item.source, item.root, self.opts.progress)  # type: ignore[arg-type]
        copy = tmp / STORE_NAME
        with db_src, open(copy, "wb") as out:
            shutil.copyfileobj(_Reader(db_src), out, CHUNK)
        return copy, db_src, wal_src

    def sqlite(self, item: Item) -> list[_Out]:
        tmp = Path(tempfile.mkdtemp(prefix="store-", dir=self.workdir))
        try:
            copy, db_src, wal_src = self._copy_store(item, tmp)
            sources = {"source_sha256": db_src.hash.hexdigest(), "source_size": db_src.size}
            if wal_src is not None:
                sources["wal_sha256"] = wal_src.hash.hexdigest()
                sources["wal_size"] = wal_src.size
            if self.red is None:
                return [self._sqlite_copy(item, copy, wal_src, sources)]
            return self._sqlite_export(item, copy, wal_src, sources)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _sqlite_copy(self, item: Item, copy: Path, wal_src: _Source | None, sources: dict[str, Any]) -> _Out:
        sink = _Sink(self.workdir)
        note = "copied as is"
        if wal_src is not None and wal_src.size > 0:
            snap = copy.parent / "snapshot.sqlite"
            try:
                src = sqlite3.connect(copy)  # the private copy, never the original
                dst = sqlite3.connect(snap)
                with dst:
                    src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                dst.close()
                src.close()
                copy = snap
                note = (f"live store: its -wal ({wal_src.size} bytes) was merged into a private copy, which is what "
                        "the bundle holds (the originals were only read)")
            except sqlite3.Error as exc:
                note = f"copied as is; merging its -wal failed ({exc}), uncheckpointed rows are missing"
        with open(copy, "rb") as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                sink.write(chunk)
        entry = self.entry(item, sink, None, None, 0)
        entry.update(sources)
        entry["note"] = note
        return _Out(self.dest(item), sink, item.mtime, entry)

    def _sqlite_export(self, item: Item, copy: Path, wal_src: _Source | None, sources: dict[str, Any]) -> list[_Out]:
        from moltdiag.parsers import sqlite_store as ss

        live = wal_src is not None and wal_src.size > 0
        uri = copy.resolve().as_uri() + ("?mode=ro" if live else "?mode=ro&immutable=1")
        base = self.dest(item) + ".export"
        outs: list[_Out] = []
        notes: list[str] = []
        try:
            conn = sqlite3.connect(uri, uri=True)
            conn.execute("PRAGMA query_only = 1")
            conn.text_factory = bytes
        except sqlite3.Error as exc:
            raise InputError(f"{item.shown}: not a readable SQLite database ({exc})") from None
        try:
            tables = ss._tables(conn, item.shown)
            sessions: dict[str, list[str]] = {}
            undecoded = 0
            te = tables.get("transcript_events")
            if te and {"session_id", "seq"} <= set(te):
                cols = ["session_id", "seq", "event_json", "event_zstd", "event_utf8_bytes", "navigation_json"]
                sel = ", ".join(f'"{c}"' if c in te else "NULL" for c in cols)
                for sid_b, _seq, ej, ez, nbytes, nav in conn.execute(
                        f'SELECT {sel} FROM transcript_events ORDER BY "session_id", "seq"'):
                    sid = ss._text(sid_b) or "unknown-session"
                    text = ss._text(ej)
                    if text is None and isinstance(ez, bytes) and ez:
                        data, _why = ss._decompress(ez, ss._int(nbytes))
                        if data is not None:
                            text = data.decode("utf-8", errors="replace")
                        else:
                            undecoded += 1
                            skel = ss._skeleton(ss._text(nav), ss._int(nbytes) or len(ez))
                            text = orjson.dumps(skel).decode() if skel is not None else None
                    if text is not None:
                        sessions.setdefault(sid, []).append(text)
            for sid in sorted(sessions):
                outs.append(self._export_lines(item, f"{base}/{_label(sid)}.jsonl", sessions[sid]))
            if undecoded:
                notes.append(f"{undecoded} zstd-compressed event(s) not decoded here: exported from navigation_json "
                             "(kind, role, time; text placeholder)")
            store = self._windows_store(conn, tables, ss)
            if store:
                sink = _Sink(self.workdir)
                import json

                sink.write((json.dumps(self.jr.session_store(store), indent=2, ensure_ascii=False)
                            + "\n").encode())
                e = self.entry(item, sink, None,
                               "session windows / nodes as a sessions.json (key → current session id)",
                               0, dest=f"{base}/sessions.json")
                e["kind"] = "sqlite-export"
                outs.append(_Out(e["path"], sink, item.mtime, e))
            for name, lines in self._archives(conn, tables, ss, notes):
                outs.append(self._export_lines(item, f"{base}/{name}", lines))
        except sqlite3.Error as exc:
            notes.append(f"reading stopped: {exc}")
        finally:
            conn.close()
        what = ("SQLite store not copied (redacted bundle): transcript rows exported to redacted JSONL, one file per "
                "session, session windows to sessions.json, archived transcripts under their archive names")
        for o in outs:
            o.entry.update(sources)
            o.entry["note"] = "; ".join([what, *notes])
        if not outs:
            self.notes.append(f"{self.shown(item.shown)}: nothing exportable in the SQLite store" +
                              (f" ({'; '.join(notes)})" if notes else ""))
        if live:
            self.notes.append(f"{self.shown(item.shown)}: its -wal was read from a private copy, so uncheckpointed "
                              "rows are included")
        return outs

    def _export_lines(self, item: Item, dest: str, lines: list[str]) -> _Out:
        sink = _Sink(self.workdir)
        after = 0
        for text in lines:
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError:
                obj = None
            new = orjson.dumps(self.jr.transcript_entry(obj)).decode() if isinstance(obj, dict) else \
                (self.red.redact_text(text) or text)
            new = new.replace("\n", "\\n")
            after += new.count(REDACTED_MARK)
            sink.write((new + "\n").encode("utf-8"))
        e = self.entry(item, sink, None, "transcript rows: JSON kept; bodies "
                       + ("kept" if self.opts.include_text else "hashed") + ", ids pseudonymised, secrets removed",
                       after, dest=dest)
        e["kind"] = "sqlite-export"
        return _Out(dest, sink, item.mtime, e)

    @staticmethod
    def _windows_store(conn: sqlite3.Connection, tables: dict[str, list[str]], ss: Any) -> dict[str, Any]:
        store: dict[str, dict[str, Any]] = {}
        wt = next((t for t in ss.WINDOW_TABLES
                   if t in tables and {"session_id", "session_key"} <= set(tables[t])), None)
        best: dict[str, tuple[int, dict[str, Any]]] = {}
        if wt:
            cols = ["session_id", "session_key", "updated_at", "started_at", "created_at", "chat_type", "channel"]
            sel = ", ".join(f'"{c}"' if c in tables[wt] else "NULL" for c in cols)
            for sid, key, upd, start, created, chat, chan in conn.execute(f'SELECT {sel} FROM "{wt}"'):
                sid_s, key_s = ss._text(sid), ss._text(key)
                if not sid_s or not key_s:
                    continue
                when = ss._int(upd) or ss._int(start) or ss._int(created) or 0
                entry: dict[str, Any] = {"sessionId": sid_s, "updatedAt": when or None}
                if ss._text(chat):
                    entry["chatType"] = ss._text(chat)
                if ss._text(chan):
                    entry["lastChannel"] = ss._text(chan)
                if key_s not in best or when >= best[key_s][0]:
                    best[key_s] = (when, entry)
        nt = next((t for t in ss.NODE_TABLES if t in tables and "session_key" in tables[t]), None)
        if nt:
            sid_col = "current_session_id" if "current_session_id" in tables[nt] else "session_id"
            if sid_col in tables[nt]:
                upd = '"updated_at"' if "updated_at" in tables[nt] else "NULL"
                for key, sid, when in conn.execute(f'SELECT "session_key", "{sid_col}", {upd} FROM "{nt}"'):
                    key_s, sid_s = ss._text(key), ss._text(sid)
                    if not key_s or not sid_s:
                        continue
                    prev = best.get(key_s)
                    if prev is None or prev[1]["sessionId"] != sid_s:
                        best[key_s] = (ss._int(when) or 0, {"sessionId": sid_s, "updatedAt": ss._int(when)})
        # a key whose only session was archived (deleted cron run …) keeps its archived id
        for at in ss.ARCHIVE_TABLES:
            cols = tables.get(at) or []
            if not {"session_id", "session_key"} <= set(cols):
                continue
            when_col = '"created_at"' if "created_at" in cols else '"archived_at"' if "archived_at" in cols else "NULL"
            for sid, key, when in conn.execute(f'SELECT "session_id", "session_key", {when_col} FROM "{at}"'):
                key_s, sid_s = ss._text(key), ss._text(sid)
                if key_s and sid_s and key_s not in best:
                    best[key_s] = (ss._int(when) or 0, {"sessionId": sid_s, "updatedAt": ss._int(when)})
        for key in sorted(best):
            store[key] = best[key][1]
        return store

    @staticmethod
    def _archives(conn: sqlite3.Connection, tables: dict[str, list[str]], ss: Any,
                  notes: list[str]) -> Iterator[tuple[str, list[str]]]:
        used: set[str] = set()
        for table in ss.ARCHIVE_TABLES:
            cols = tables.get(table)
            if not cols or "archive_blob" not in cols or "session_id" not in cols:
                continue
            want = ["session_id", "archive_name", "reason", "encoding", "created_at", "archived_at", "archive_blob"]
            sel = ", ".join(f'"{c}"' if c in cols else "NULL" for c in want)
            for sid, name, reason, enc, created, archived, blob in conn.execute(f'SELECT {sel} FROM "{table}"'):
                if not isinstance(blob, bytes) or not blob:
                    continue
                sid_s = ss._text(sid) or "unknown"
                aname = ss._text(name)
                if not aname or "/" in aname or aname.startswith("."):
                    when = ss._int(created) or ss._int(archived)
                    stamp = datetime.fromtimestamp(when / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%f")[:-3] \
                        + "Z" if when else "0000-00-00T00-00-00.000Z"
                    aname = f"{sid_s}.jsonl.{(ss._text(reason) or 'deleted')}.{stamp}"
                data: bytes | None = blob
                if (ss._text(enc) or "").lower() == "zstd" or blob.startswith(ss.ZSTD_MAGIC):
                    data, why = ss._decompress(blob, None)
                    if data is None:
                        notes.append(f"{table}: archive {aname} not decoded ({why})")
                        continue
                if aname in used:
                    continue
                used.add(aname)
                text = data.decode("utf-8", errors="replace")
                yield aname, [line for line in text.splitlines() if line.strip()]


class _Reader:
    """File-like adapter for shutil.copyfileobj over a _Source."""

    def __init__(self, src: _Source):
        self.src = src

    def read(self, n: int = -1) -> bytes:
        return self.src.read(n)


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def plan_collection(opts: CollectOptions) -> tuple[list[StateDir], list[Item], list[dict[str, str]], list[str],
                                                  list[str], int]:
    """(state dirs, items, skipped, notes, file-log dirs, files older than --since) without reading anything."""
    home = opts.home or Path.home()
    env = os.environ if opts.env is None else opts.env
    now = opts.now if opts.now is not None else time.time()
    plan = _Plan(home, _cutoff(opts.since, now))
    if opts.state_dirs is not None:
        cands = []
        for d in opts.state_dirs:
            p = Path(d).expanduser()
            if not p.is_dir():
                raise InputError(f"{d}: not a directory (--state-dir)")
            cands.append((p, "--state-dir", _era(p.name)))
        dirs = _dedupe(cands)
    else:
        dirs = discover_state_dirs(home, env)
    workspaces: dict[str, tuple[Path, str]] = {}
    for sd in dirs:
        for alias in sd.aliases:
            plan.notes.append(f"{alias} is the same directory as {plan.shown(sd.path)}: collected once")
        _plan_state_dir(sd, plan, home, workspaces)
    for ws, dest in workspaces.values():
        _plan_workspace(ws, dest, plan)
    roots = list(opts.tmp_roots) if opts.tmp_roots is not None else default_tmp_roots(env)
    log_dirs = _plan_file_logs(roots, plan)
    return dirs, plan.items, plan.skipped, plan.notes, log_dirs, plan.old


def _journal_item(opts: CollectOptions, notes: list[str]) -> tuple[Item | None, dict[str, Any] | None]:
    from moltdiag import live_journal

    since = opts.journal_since
    if since is None and opts.since is not None:
        since = (f"{int(opts.since.total_seconds())}s" if isinstance(opts.since, timedelta)
                 else opts.since.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    scopes = [opts.journal_user] if opts.journal_user is not None else [True, False]
    errors: list[str] = []
    no_unit: list[str] = []
    for user in scopes:
        try:
            inp = live_journal.live_journal_input(opts.unit, user, since, runner=opts.runner)
        except InputError as exc:
            if "no gateway unit found" in str(exc):
                no_unit.append("user" if user else "system")
            else:
                errors.append(str(exc))
            continue
        if not inp.data.strip():
            errors.append(f"{inp.name}: no entries{f' since {since}' if since else ''}")
            continue
        units = inp.name.split(":", 1)[1]
        scope = "user" if user else "system"
        info = {"units": units.split(","), "scope": scope, "since": since,
                "command": " ".join(live_journal.journal_command(units.split(","), user, since))}
        name = "journal/" + _label(units.replace(",", "+")) + ".json"
        return Item(dest=name, kind="journal", source=None, root=None, size=len(inp.data),
                    mtime=_last_entry_time(inp.data) or (opts.now if opts.now is not None else time.time()),
                    data=inp.data, shown=inp.name), info
    if no_unit:
        errors.insert(0, f"no gateway unit found in the {' or '.join(no_unit)} journal "
                         f"(tried {', '.join(live_journal.TRIED)}); name one with --unit")
    notes.append("journal not collected: " + "; ".join(errors))
    return None, None


def _last_entry_time(data: bytes) -> float | None:
    """The journal text's last `__REALTIME_TIMESTAMP` (s), so the member's mtime is stable."""
    for line in reversed(data.rstrip().splitlines()[-50:]):
        try:
            value = orjson.loads(line).get("__REALTIME_TIMESTAMP")
            return int(value) / 1e6
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
            continue
    return None


def collect(output: Path, opts: CollectOptions | None = None) -> CollectResult:
    """Write the bundle to `output` (a .tar.gz). Raises InputError when there is nothing to collect."""
    opts = opts or CollectOptions()
    started = time.monotonic()
    output = Path(output)
    dirs, items, skipped, notes, log_dirs, old = plan_collection(opts)
    journal_info = None
    if opts.journal:
        item, journal_info = _journal_item(opts, notes)
        if item is not None:
            items.append(item)
    else:
        notes.append("journal not collected (--no-journal)")
    if not items:
        looked = ", ".join(f"~/.{b}" for b in BRANDS[:4]) + ", $OPENCLAW_STATE_DIR, ~/.openclaw-<profile>"
        where = ", ".join(str(d) for d in opts.state_dirs) if opts.state_dirs is not None else looked
        extra = f"; {len(skipped)} file(s) skipped (e.g. {skipped[0]['reason']})" if skipped else ""
        raise InputError(f"nothing to collect: no state dir, file log or gateway journal found "
                         f"(looked in {where}){extra}; pass --state-dir DIR")
    if old:
        notes.append(f"{old} file(s) modified before --since were left out")
    if opts.on_total is not None:
        opts.on_total(sum(i.size for i in items))
    output.parent.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="moltdiag-collect-")
    try:
        col = _Collector(opts, workdir)
        if col.red is not None:
            _prime(col.red, opts, dirs)
        outs: list[_Out] = []
        for item in sorted(items, key=lambda i: i.dest):
            try:
                outs.extend(col.process(item))
            except OSError as exc:
                why = getattr(exc, "strerror", None) or exc
                skipped.append({"source": item.shown, "reason": f"cannot read: {why}"})
        outs.sort(key=lambda o: o.dest)
        notes.extend(col.notes)
        manifest = _manifest(opts, col, dirs, log_dirs, journal_info, outs, skipped, notes,
                             source_bytes=sum(i.size for i in items))
        readme = _readme(manifest).encode("utf-8")
        manifest_bytes = orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
        stamp = max([o.mtime for o in outs] or [0.0])
        size = _write_tar(output, [("README.txt", io.BytesIO(readme), len(readme), stamp),
                                   ("manifest.json", io.BytesIO(manifest_bytes), len(manifest_bytes), stamp)]
                          + [(o.dest, o.sink.file, o.sink.size, o.mtime) for o in outs])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return CollectResult(output=output, manifest=manifest, files=len(outs),
                         source_bytes=sum(i.size for i in items), bundle_bytes=sum(o.sink.size for o in outs),
                         size=size, seconds=time.monotonic() - started, redactor=col.red)


def _prime(red: Any, opts: CollectOptions, dirs: list[StateDir]) -> None:
    """Register this machine's host name and the account's user names before any file is read."""
    names: list[str] = []
    try:
        names.append(getpass.getuser())
    except (OSError, KeyError):
        pass
    home = opts.home or Path.home()
    names.append(home.name)
    for sd in dirs:
        for part in (sd.path, sd.real):
            m = re.search(r"/(?:home|Users)/([^/]+)", str(part))
            if m:
                names.append(m.group(1))
    for name in names:
        if _primable(name):
            red.user(name)
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    if _primable(host.split(".")[0]):
        red.host(host.split(".")[0])
        if "." in host:
            red.host(host)


# Words that are structure, not identity: a host or account named like this is not registered
# up front (it would be replaced as a whole word in every path and log line).
_NOT_NAMES = frozenset({"main", "agent", "agents", "sessions", "session", "logs", "state", "workspace", "memory",
                        "journal", "node", "gateway", "localhost", "root", "user", "admin", "ubuntu", "debian", "pi"})


def _primable(name: str) -> bool:
    low = name.casefold().strip()
    return bool(low) and low not in _NOT_NAMES and not any(b in low for b in BRANDS) and low not in (".", "/")


def _manifest(opts: CollectOptions, col: _Collector, dirs: list[StateDir], log_dirs: list[str],
              journal: dict[str, Any] | None, outs: list[_Out], skipped: list[dict[str, str]],
              notes: list[str], *, source_bytes: int) -> dict[str, Any]:
    from moltdiag import __version__

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    created = float(epoch) if epoch and epoch.isdigit() else time.time()
    shown = col.shown
    home = opts.home or Path.home()

    def show_path(p: Path) -> str:
        try:
            return shown("~/" + str(Path(p).relative_to(home)))
        except ValueError:
            return shown(str(p))

    since = opts.since
    doc: dict[str, Any] = {
        "format": "moltdiag-collect",
        "format_version": FORMAT_VERSION,
        "moltdiag_version": __version__,
        "created_at": _iso(created),
        "redacted": col.red is not None,
        "include_text": bool(opts.include_text and col.red is not None),
        "since": (f"{int(since.total_seconds())}s" if isinstance(since, timedelta)
                  else _iso(since.timestamp()) if isinstance(since, datetime) else None),
        "state_dirs": [{"label": f"state/{sd.label}", "path": show_path(sd.path), "found_by": sd.how, "era": sd.era,
                        "same_as": [shown(a) for a in sd.aliases]} for sd in dirs],
        "file_log_dirs": [shown(d) for d in log_dirs],
        "journal": journal,
        "files": [o.entry for o in outs],
        "skipped": [{"source": shown(s["source"]), "reason": s["reason"]} for s in skipped],
        "notes": [shown(n) for n in notes],
        "totals": {"files": len(outs), "bytes": sum(o.sink.size for o in outs), "source_bytes": source_bytes},
        "never_collected": "config files (openclaw.json, clawdbot.json, moltbot.json …), credentials/, "
                           "auth-profiles.json, devices/, and anything not listed in files",
    }
    if col.red is not None:
        counts = {ns: len(m) for ns, m in col.red.mapping_by_kind().items()}
        doc["redaction"] = {
            "what": "secrets removed ([REDACTED:<type>]); message text " + (
                "kept" if opts.include_text else "replaced by length + sha256 prefix") + "; hosts, users, e-mail "
                "addresses, phone numbers, IP addresses and chat ids replaced by consistent pseudonyms; "
                "best effort — review before sharing",
            "pseudonyms": dict(sorted(counts.items())),
            "secret_markers": sum(o.entry.get("secret_markers", 0) for o in outs),
        }
    return doc


def _readme(manifest: dict[str, Any]) -> str:
    redacted = manifest["redacted"]
    lines = [
        "moltdiag collect bundle",
        "=======================",
        "",
        f"Made by moltdiag {manifest['moltdiag_version']} at {manifest['created_at']}.",
        f"{manifest['totals']['files']} files, {manifest['totals']['bytes']} bytes; every file, its size, SHA-256,",
        "source and the redaction applied are listed in manifest.json.",
        "",
        "Read it with moltdiag as it is (no need to unpack):",
        "",
        "    moltdiag timeline bundle.tar.gz",
        "    moltdiag check bundle.tar.gz",
        "    moltdiag report bundle.tar.gz -o report.md",
        "",
    ]
    if redacted:
        lines += [
            "REDACTED (the default): secrets were removed, message text "
            + ("was kept" if manifest["include_text"] else "was replaced by its length and a hash")
            + ", and host",
            "names, user names, e-mail addresses, phone numbers, IP addresses and chat ids were replaced",
            "by consistent pseudonyms. Redaction is best effort: look through the files before you post",
            "them publicly. SQLite session stores are not copied when redacting; their transcript rows",
            "were exported to redacted JSONL files (see manifest.json).",
        ]
    else:
        lines += [
            "NOT REDACTED (--no-redact): the files are exact copies and hold message text, names, ids,",
            "and possibly secrets. Do not post this bundle publicly; share it only with people you trust.",
        ]
    lines += [
        "",
        "Never collected: config files (openclaw.json, clawdbot.json, moltbot.json …), credentials,",
        "auth profiles, device pairings, and anything else not listed in manifest.json.",
        "",
    ]
    return "\n".join(lines)


def _write_tar(output: Path, members: list[tuple[str, BinaryIO, int, float]]) -> int:
    """Deterministic .tar.gz; returns its size. Written to `<output>.part`, then renamed."""
    part = output.with_name(output.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for name, fileobj, size, mtime in members:
                        info = tarfile.TarInfo(f"{TOP}/{name}")
                        info.size = size
                        info.mtime = int(mtime)
                        info.mode = 0o644
                        info.uid = info.gid = 0
                        info.uname = info.gname = ""
                        info.type = tarfile.REGTYPE
                        fileobj.seek(0)
                        tar.addfile(info, fileobj)
        os.replace(part, output)
    except BaseException:
        try:
            os.unlink(part)
        except OSError:
            pass
        raise
    return output.stat().st_size
