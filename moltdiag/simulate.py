"""A deterministic generator of realistic OpenClaw gateway inputs, at any size, with
injected incidents of every rule family and a ground-truth file that names them.

    from moltdiag.simulate import generate
    truth = generate("out/", lines=8_000_000, seed=7)        # or size="800MB"

What it writes under OUTDIR (every path is also listed in ground-truth.json):

    logs/journal-short.txt          journalctl --user -u clawdbot-gateway -o short (with host); node
                                    lines carry the gateway's own ISO-UTC console stamp
                                    (Clawdbot >= 2026.1.17), systemd's lines do not (spec formats §8.3.3)
    logs/journal.json               the same entries as `journalctl -o json` (§8.3.2/§8.3.3)
    logs/clawdbot-YYYY-MM-DD.log    the gateway's tslog JSON file log (§8.1.2): the same node
                                    entries, systemd's lines absent, channel messages in file form
    state/agents/main/sessions/     <sessionId>.jsonl transcripts (§4) and sessions.json (§3)
    ground-truth.json               every injected incident and control: rule ids it must (or
                                    must not) raise, its time range, and the lines it consists of

The journal is a long-running multi-channel gateway (Discord, Telegram, WhatsApp, Slack) on one
host: background noise lines (`[ws] ⇄ res` RPC lines, webchat connects, `[diagnostic]` heartbeats,
session-state and lane lines, cron, WhatsApp web heartbeats, sub-deadline slow listeners) at a
steady rate, benign near-misses between incidents (one isolated 1006 resume, one lone Slack pong
miss, one lone Telegram 409, one WhatsApp 408, one Carbon self-close, a 1.4 s listener), and
incidents placed in slots six hours apart so that no rule window (≤ 1 h) can join two of them.

Incident families (rule ids they must raise in brackets; `+` = raised as a consequence):
Carbon 0.14 stale-ACK loop [carbon-stale-ack-loop, +reconnect-storm]; resume death spiral with
1006/1005 and `connection stalled: no HELLO` [resume-death-spiral, +reconnect-storm]; fatal 4014
followed by the operator's restart [fatal-close-code, +gateway-restart]; systemd crash loop
[crash-loop, +gateway-restart]; slow INTERACTION_CREATE listener [slow-listener]; interaction
expired [interaction-expired, +slow-listener]; duplicate inbound message ids in one transcript or
across two [duplicate-inbound]; provider restart mid-run [provider-restart]; health-monitor restart
loop [health-monitor-restart-loop, +provider-restart]; Telegram 409 conflicts [telegram-conflict];
Telegram polling stall [telegram-polling-stall]; WhatsApp 440 / 499 loops
[whatsapp-reconnect-loop]; Slack pong timeouts [slack-pong-timeout]; systemctl / SIGUSR1 restart
[gateway-restart]; clock stepped back [clock-integrity]; native /new with a fresh snowflake during
a flap loop, the #3106 shape [unexplained-reset, +carbon-stale-ack-loop, +slow-listener]; /new from
an interaction created minutes earlier inside a disconnect [replayed-interaction,
unexplained-reset, +…]. Negative controls: typed /new on a quiet gateway and a daily reset of the
main DM session must raise no unexplained-reset; every background session key that was rotated by
the daily reset is a control too.

Determinism: every choice comes from one `random.Random(seed)` (structure, ids, texts) and from
a 32-bit integer hash of the row number salted from it (the bulk background, vectorised with
Polars). Same seed and parameters → byte-identical files.

Speed: the journal is produced in chunks of `CHUNK` background rows; each chunk is built, merged
with the incident rows that fall into it, rendered by Polars string expressions to every requested
format and appended to the files, so memory stays bounded whatever the size.

All ids, names, hosts and texts are invented; shapes follow shared/spec/openclaw-formats.md and
openclaw-events.md as fixtures/make_fixtures.py does. Strings the spec does not give verbatim
(the cron and WhatsApp-heartbeat noise lines) are marked `invented` below; no rule reads them.
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl

from moltdiag.knowledge.openclaw_texts import MAIN_SESSION_SYSTEM_BLOCK, RESET_NOTICE_PREFIX, RESET_PROMPT_2026_01_20
from moltdiag.knowledge.snowflake import DISCORD_EPOCH_MS

__all__ = ["FORMATS", "DEFAULT_FORMATS", "SimConfig", "generate", "parse_size"]

FORMATS = ("short", "json", "file-log", "transcripts")
DEFAULT_FORMATS = FORMATS

BRAND = "clawdbot"
VERSION = "2026.1.24-3"
UNIT = f"{BRAND}-gateway.service"
UNIT_DESC = f"Clawdbot Gateway (v{VERSION})"
MODEL = "claude-opus-4-5"
PROVIDER = "anthropic"
MODEL_REF = f"{PROVIDER}/{MODEL}"
PRICE = {"input": 5.0, "output": 25.0, "cacheRead": 0.5, "cacheWrite": 6.25}
RESET_PROMPT = RESET_PROMPT_2026_01_20
RESET_NOTICE = f"{RESET_NOTICE_PREFIX} · model: {MODEL_REF}"
MAIN_SYSTEM_BLOCK = MAIN_SESSION_SYSTEM_BLOCK

CHUNK = 250_000  # background rows per chunk (bounded memory: ~0.5 GB peak with -o json)
MIN_SPACING_MS = 6 * 3600 * 1000  # incident slots: no rule window (≤ 1 h) joins two of them
BASE_GAP_MS = 300  # ≈ 3.3 journal lines per second: a busy bot
LINES_PER_ROUND = 800_000  # one round of every incident family per this many lines
MAX_ROUNDS = 60
MARGIN_MS = 60_000  # an incident's range is its events' span plus this on both sides

SHORT_PATH = "logs/journal-short.txt"
JSON_PATH = "logs/journal.json"
SESSIONS_DIR = "state/agents/main/sessions"
TRUTH_PATH = "ground-truth.json"

# rule ids per family; "+" rules are computed from the events where they depend on counts
FAMILIES = (
    "carbon-stale-ack-loop", "resume-death-spiral", "fatal-close-code", "crash-loop", "slow-listener",
    "interaction-expired", "duplicate-inbound", "provider-restart", "health-monitor-restart-loop",
    "telegram-conflict", "telegram-polling-stall", "whatsapp-reconnect-loop", "slack-pong-timeout",
    "gateway-restart", "clock-integrity", "unexplained-reset", "replayed-interaction", "typed-new-quiet",
)
CONTROL_FAMILIES = ("typed-new-quiet", "daily-reset", "daily-reset-background")

_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "M": 1000**2, "MB": 1000**2, "G": 1000**3, "GB": 1000**3,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_size(text: str | int) -> int:
    """'800MB', '1.5GB', '750MiB', '123456' → bytes (decimal units unless …iB)."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).upper() not in _UNITS:
        raise ValueError(f"{text!r} is not a size like 800MB, 1.5GB or 750MiB")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


@dataclass
class SimConfig:
    lines: int | None = None  # journal lines (background + incidents); default 20_000
    size: int | None = None  # or: target bytes of the journal short file
    seed: int = 0
    formats: tuple[str, ...] = DEFAULT_FORMATS
    json_lines: int | None = None  # write only the first N entries as -o json (None: all)
    file_log_lines: int | None = None  # same for the file log
    transcripts: int | None = None  # background transcripts; default lines // 4000, at least 12
    turns: int = 12  # mean user turns per background transcript
    utc_offset_minutes: int = -360  # host zone, fixed (America/Chicago in January)
    host: str = "atlas"
    start: str = "2026-01-20"  # host-local date of the first line
    rounds: int | None = None  # incident rounds (every family once per round); default from lines


# --------------------------------------------------------------------------- small helpers


def _iso(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _local(ms: int, offset_min: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone(timedelta(minutes=offset_min)))


def _zone_abbrev(offset_min: int) -> str:
    known = {-480: "PST", -420: "MST", -360: "CST", -300: "EST", 0: "UTC"}
    if offset_min in known:
        return known[offset_min]
    sign = "+" if offset_min >= 0 else "-"
    h, m = divmod(abs(offset_min), 60)
    return f"GMT{sign}{h}" + (f":{m:02d}" if m else "")


def _snowflake(created_ms: int, low: int) -> int:
    return ((created_ms - DISCORD_EPOCH_MS) << 22) | (low & 0x3FFFFF)


def _js_number(x) -> str:
    if isinstance(x, int):
        return str(x)
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    return format(Decimal(repr(x)), "f")


_EXP_RE = re.compile(r"(?<=[:\[,])-?\d+(?:\.\d+)?e-\d+(?=[,\]}])")


def _dumps(obj) -> str:
    """JSON.stringify(obj): compact, raw UTF-8, JS number text (0.000015, not 1.5e-05)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if "e-" in text:
        text = _EXP_RE.sub(lambda m: _js_number(float(m.group())), text)
    return text


_M32 = 0xFFFFFFFF


def _h32(x: pl.Series, salt: int) -> pl.Series:
    """A 32-bit integer hash of each value (lowbias32 finaliser); pure u64 arithmetic, so the
    result is the same on every Polars version and platform."""
    x = (x.cast(pl.UInt64) * 0x9E3779B1 + (salt & _M32)) & _M32
    x = x ^ (x // 65536)
    x = (x * 0x7FEB352D) & _M32
    x = x ^ (x // 32768)
    x = (x * 0x846CA68B) & _M32
    return x ^ (x // 65536)


_HEX4: pl.Series | None = None


def _hex4() -> pl.Series:
    global _HEX4
    if _HEX4 is None:
        _HEX4 = pl.Series("hex4", [f"{i:04x}" for i in range(65536)])
    return _HEX4


def _hex8(v: pl.Series) -> pl.Series:
    """u32 values → 8 lower-case hex digits."""
    h = _hex4()
    return h.gather(v // 65536) + h.gather(v % 65536)


def _hex_u64(v: pl.Series) -> pl.Series:
    """Non-negative values < 2^64 → hex without leading zeros (journald cursor fields)."""
    v = v.cast(pl.UInt64)
    out = (_hex8(v // 4294967296) + _hex8(v % 4294967296)).str.strip_chars_start("0")
    return out.replace("", "0")


def _pick(values: list, r: pl.Series) -> pl.Series:
    return pl.Series(values).gather(r % len(values))


def _jesc(expr: pl.Expr) -> pl.Expr:
    """Escape a string for a JSON string literal (backslash and quote; the texts hold no controls)."""
    return expr.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)


# --------------------------------------------------------------------------- events


@dataclass
class Ev:
    """One journal entry of an incident (or of a start-up)."""

    tau: int  # true time, epoch ms (the host clock shows disp(tau))
    ident: str  # "node" or "systemd"
    ctext: str  # node: console text after the gateway stamp; systemd: the message
    fsub: str | None  # file-log subsystem; None = root record (console capture)
    fmsg: str  # file-log message
    level: str = "INFO"
    pid: int = 0
    inc: str | None = None


# console tag → file-log subsystem
_SUBSYSTEMS = {
    "discord": "gateway/channels/discord", "telegram": "gateway/channels/telegram",
    "whatsapp": "gateway/channels/whatsapp", "slack": "gateway/channels/slack", "gateway": "gateway",
    "ws": "gateway/ws", "health-monitor": "gateway/health-monitor", "reload": "gateway/reload",
    "canvas": "gateway/canvas", "heartbeat": "gateway/heartbeat", "browser/server": "browser/server",
    "diagnostic": "diagnostic", "cron": "gateway/cron", "gateway/channels": "gateway/channels",
}


# --------------------------------------------------------------------------- transcripts


def _usage(inp: int, out: int, cache_read: int, cache_write: int) -> dict:
    cost = {
        "input": (PRICE["input"] / 1000000) * inp,
        "output": (PRICE["output"] / 1000000) * out,
        "cacheRead": (PRICE["cacheRead"] / 1000000) * cache_read,
        "cacheWrite": (PRICE["cacheWrite"] / 1000000) * cache_write,
    }
    cost["total"] = cost["input"] + cost["output"] + cost["cacheRead"] + cost["cacheWrite"]
    return {"input": inp, "output": out, "cacheRead": cache_read, "cacheWrite": cache_write,
            "totalTokens": inp + out + cache_read + cache_write, "cost": cost}


_ZERO_USAGE = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 0,
               "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0}}

USER_TEXTS = (
    "hey, quick one: which model are you running on right now?", "can you check the backup job from last night?",
    "what's on my calendar tomorrow?", "Show me tools.md", "summarise the last three commits in the repo",
    "remind me to call the plumber at 5", "is the NAS still mounted?", "translate this to German: see you soon",
    "how much disk is left on /mnt/nas?", "draft a short reply to Sam saying Thursday works",
    "restart the media container please", "what did we decide about the heating schedule?",
    "any new issues on the tracker since Monday?", "pull the weather for Chicago this weekend",
    "write a haiku about log files", "what's the status of the deploy?", "list the open PRs",
    "can you read AGENTS.md and tell me what changed?", "ok thanks!", "good morning",
)
ASSISTANT_TEXTS = (
    "Done — the backup finished at 03:12 with no errors.",
    "You have two meetings tomorrow: 10:00 stand-up and 15:30 dentist.",
    "Yes, /mnt/nas is mounted read-only as before.", "Here's the summary: three small fixes, one dependency bump.",
    "Reminder set for 17:00.", "Sure — \"Bis bald!\"", "About 1.2 TB free (38 %).",
    "Drafted: \"Thursday works for me, see you then.\"",
    "Restarted; the container is healthy again.", "We settled on 19 °C at night, 21 °C from 6:30.",
    "Two new issues since Monday, both labelled bug.", "Sunny Saturday, rain likely Sunday afternoon.",
    "Logs scroll by / quiet lines of heartbeat / one close code at dawn", "The deploy is green on all three hosts.",
    "Three PRs are open; one is waiting for your review.", "AGENTS.md gained a section on memory files.",
    "Anytime!", "Morning! What's first today?",
)
TOOL_COMMANDS = ("cat TOOLS.md", "df -h /mnt/nas", "git log --oneline -3", "docker ps --format '{{.Names}}'",
                 "systemctl --user status backup.timer", "ls memory/")


class _Transcript:
    """A pi-coding-agent v3 transcript with one linear id/parentId chain (spec §4)."""

    def __init__(self, sim: _Sim, rel: str, session_id: str, header_tau: int, cwd: str, *, main: bool = False):
        self.sim = sim
        self.rel = rel
        self.session_id = session_id
        self.header_tau = header_tau
        self.rows: list[str] = []
        self.n_rows = 0  # rows written so far (rows are dropped once the file is written)
        self.size = 0
        self.parent: str | None = None
        self.ids: set[str] = set()
        self.context = 0
        self.last_usage = _ZERO_USAGE
        self.last_tau = header_tau
        self.main = main
        self._emit({"type": "session", "version": 3, "id": session_id, "timestamp": sim.iso(header_tau), "cwd": cwd})

    # -- plumbing
    def _emit(self, obj: dict) -> int:
        self.rows.append(_dumps(obj))
        return len(self.rows)

    def _new_id(self) -> str:
        while True:
            cand = f"{self.sim.rng.getrandbits(32):08x}"
            if cand not in self.ids:
                self.ids.add(cand)
                return cand

    def _link(self, tau: int) -> tuple[str, str | None, str]:
        tau = max(tau, self.last_tau)
        self.last_tau = tau
        eid, parent = self._new_id(), self.parent
        self.parent = eid
        return eid, parent, self.sim.iso(tau)

    def _message(self, tau: int, message: dict) -> int:
        eid, parent, ts = self._link(tau)
        return self._emit({"type": "message", "id": eid, "parentId": parent, "timestamp": ts, "message": message})

    # -- entries
    def preamble(self, tau: int) -> None:
        """model_change, thinking_level_change, model-snapshot: a session that starts empty (§4.10 ii)."""
        eid, parent, ts = self._link(tau)
        self._emit({"type": "model_change", "id": eid, "parentId": parent, "timestamp": ts, "provider": PROVIDER,
                    "modelId": MODEL})
        eid, parent, ts = self._link(tau)
        self._emit({"type": "thinking_level_change", "id": eid, "parentId": parent, "timestamp": ts,
                    "thinkingLevel": "low"})
        self.snapshot(tau + 1)

    def snapshot(self, tau: int) -> None:
        eid, parent, ts = self._link(tau)
        self._emit({"type": "custom", "customType": "model-snapshot",
                    "data": {"timestamp": self.sim.disp(tau), "provider": PROVIDER, "modelApi": "anthropic-messages",
                             "modelId": MODEL}, "id": eid, "parentId": parent, "timestamp": ts})

    def user(self, tau: int, text: str) -> int:
        return self._message(tau, {"role": "user", "content": [{"type": "text", "text": text}],
                                   "timestamp": self.sim.disp(tau)})

    def mirror(self, tau: int, text: str) -> int:
        return self._message(tau, {"role": "assistant", "content": [{"type": "text", "text": text}],
                                   "api": "openai-responses", "provider": BRAND, "model": "delivery-mirror",
                                   "usage": _ZERO_USAGE, "stopReason": "stop", "timestamp": self.sim.disp(tau) - 1})

    def assistant(self, started: int, done: int, text: str | None, *, thinking: str | None = None,
                  tool: tuple[str, str] | None = None, new_tokens: int = 40) -> int:
        rng = self.sim.rng
        content: list[dict] = []
        if thinking:
            sig = base64.b64encode(rng.randbytes(48)).decode()
            content.append({"type": "thinking", "thinking": thinking, "thinkingSignature": "EqQBCkYIBxgCKkA" + sig})
        if text:
            content.append({"type": "text", "text": text})
        if tool:
            content.append({"type": "toolCall", "id": tool[0], "name": "exec", "arguments": {"command": tool[1]}})
        out = max(8, len(text or "") // 4 + len(thinking or "") // 4 + (12 if tool else 0))
        u = _usage(3, out, 0, 14100 + new_tokens) if self.context == 0 else _usage(3, out, self.context, new_tokens)
        self.context = u["cacheRead"] + u["cacheWrite"] + out
        self.last_usage = u
        return self._message(done, {"role": "assistant", "content": content, "api": "anthropic-messages",
                                    "provider": PROVIDER, "model": MODEL, "usage": u,
                                    "stopReason": "toolUse" if tool else "stop", "timestamp": self.sim.disp(started)})

    def tool_result(self, tau: int, call_id: str, output: str) -> int:
        return self._message(tau, {"role": "toolResult", "toolCallId": call_id, "toolName": "exec",
                                   "content": [{"type": "text", "text": output}],
                                   "details": {"status": "completed", "exitCode": 0, "durationMs": 31,
                                               "aggregated": output, "cwd": "/home/alice/clawd"},
                                   "isError": False, "timestamp": self.sim.disp(tau) - 2})

    def text(self) -> str:
        return "".join(r + "\n" for r in self.rows)

    def flush(self, out: Path | None) -> None:
        """Write the file (when `out` is given) and let go of its rows."""
        data = self.text().encode("utf-8")
        if out is not None:
            p = out / self.rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        self.n_rows += len(self.rows)
        self.size += len(data)
        self.rows = []
        self.ids = set()


@dataclass
class _Chat:
    """A Discord conversation partner and the place they talk in."""

    key: str
    kind: str  # "channel" or "dm"
    guild: str = ""
    guild_id: str = ""
    channel: str = ""
    channel_id: str = ""
    user: str = "alice"
    display: str = "Alice"
    user_id: str = "301234567890123456"
    prev_created: int | None = None


GUILDS = ("My Server", "Homelab Crew", "Family", "Dev Corner", "Book Club", "Night Owls", "Ops")
CHANNELS = ("general", "ops", "dev", "bots", "random", "alerts", "kitchen", "projects")
USERS = (("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol"), ("dave", "Dave"), ("erin", "Erin"),
         ("frank", "Frank"), ("grace", "Grace"), ("heidi", "Heidi"))


# --------------------------------------------------------------------------- the simulation


@dataclass
class _Incident:
    id: str
    family: str
    kind: str  # incident | control | benign
    center: int
    expect: list[str] = field(default_factory=list)
    must_not_fire: list[str] = field(default_factory=list)
    events: list[Ev] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)  # extra true times that belong to the range
    transcript_lines: dict[str, list[int]] = field(default_factory=dict)
    note: str = ""
    range_pad_ms: int = MARGIN_MS


class _Sim:
    def __init__(self, cfg: SimConfig):
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.off_min = cfg.utc_offset_minutes
        self.off_ms = cfg.utc_offset_minutes * 60_000
        self.host = cfg.host
        self.upid = 1000 + self.rng.randrange(200, 2000)  # the systemd --user manager
        self.pid = 2000 + self.rng.randrange(0, 60000)
        self.salts = [self.rng.getrandbits(32) for _ in range(64)]
        self.sf_counter = self.rng.randrange(0, 1 << 20)
        self.boot_id = f"{self.rng.getrandbits(128):032x}"
        self.machine_id = f"{self.rng.getrandbits(128):032x}"
        self.seqnum_id = f"{self.rng.getrandbits(128):032x}"
        bot_created = 1735689600000 + self.rng.randrange(0, 10**9)
        self.bot = ("examplebot", str(_snowflake(bot_created, self.rng.getrandbits(22))))
        self.tg_bot = "exampletgbot"
        self.events: list[Ev] = []
        self.incidents: list[_Incident] = []
        self.pid_changes: list[tuple[int, int]] = []
        self.down: list[tuple[int, int]] = []  # background rows dropped here (process not running)
        self.clock_windows: list[tuple[int, int, int]] = []  # (from, to, +ms): the host clock ran ahead
        self.transcripts: list[_Transcript] = []
        self.store: dict[str, dict] = {}
        self.chats_used: set[str] = set()
        self.next_inc = 1
        self.boot_ms = 0
        self.out: Path | None = None  # where finished transcripts go (None: not written)

    # ---- time
    def disp(self, tau: int) -> int:
        """What the host clock shows at true time tau (clock-jump incidents make it run ahead)."""
        for a, b, shift in self.clock_windows:
            if a <= tau < b:
                return tau + shift
        return tau

    def iso(self, tau: int) -> str:
        return _iso(self.disp(tau))

    def local(self, tau: int) -> datetime:
        return _local(self.disp(tau), self.off_min)

    # ---- ids
    def snowflake(self, created_tau: int) -> str:
        """A Discord id minted by Discord's clock (true time), unique in the run."""
        self.sf_counter += 1
        return str(_snowflake(created_tau, self.sf_counter))

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_pid(self) -> int:
        self.pid = 2000 + (self.pid + self.rng.randrange(500, 9000)) % 60000
        return self.pid

    def new_chat(self, kind: str = "channel") -> _Chat:
        rng = self.rng
        user, display = rng.choice(USERS)
        uid = str(_snowflake(1600000000000 + rng.randrange(0, 10**11), rng.getrandbits(22)))
        if kind == "dm":
            return _Chat(key="agent:main:main", kind="dm", user=user, display=display, user_id=uid)
        while True:
            cid = str(_snowflake(1640000000000 + rng.randrange(0, 10**11), rng.getrandbits(22)))
            key = f"agent:main:discord:channel:{cid}"
            if key not in self.chats_used:
                self.chats_used.add(key)
                break
        gid = str(_snowflake(1620000000000 + rng.randrange(0, 10**11), rng.getrandbits(22)))
        return _Chat(key=key, kind="channel", guild=rng.choice(GUILDS), guild_id=gid, channel=rng.choice(CHANNELS),
                     channel_id=cid, user=user, display=display, user_id=uid)

    def envelope(self, chat: _Chat, created: int, body: str, msg_id: str) -> str:
        def elapsed(cur: int, prev: int | None) -> str:
            if prev is None:
                return ""
            s = (cur - prev) // 1000
            if s < 60:
                return f" +{s}s"
            m = s // 60
            if m < 60:
                return f" +{m}m"
            h = m // 60
            return f" +{h}h" if h < 24 else f" +{h // 24}d"

        when = self.local(created).strftime("%Y-%m-%d %H:%M") + " " + _zone_abbrev(self.off_min)
        el = elapsed(created, chat.prev_created)
        chat.prev_created = created
        if chat.kind == "dm":
            return (f"{MAIN_SYSTEM_BLOCK}[Discord {chat.user} user id:{chat.user_id}{el} {when}] {body}\n"
                    f"[message_id: {msg_id}]")
        return (f"[Discord {chat.guild} #{chat.channel} channel id:{chat.channel_id}{el} {when}] "
                f"{chat.display} ({chat.user}): {body}\n[message_id: {msg_id}]")

    # ---- journal events
    def ev(self, inc: _Incident | None, tau: int, tag: str | None, msg: str, *, fmsg: str | None = None,
           level: str = "INFO", pid: int | None = None) -> Ev:
        """A node line: console `[tag] msg` (or a captured line `msg` when tag is None)."""
        if tag is None:
            e = Ev(tau, "node", msg, None, fmsg if fmsg is not None else msg, level, pid or self.pid)
        else:
            e = Ev(tau, "node", f"[{tag}] {msg}", _SUBSYSTEMS[tag], fmsg if fmsg is not None else msg, level,
                   pid or self.pid)
        e.inc = inc.id if inc else None
        (inc.events if inc else self.events).append(e)
        return e

    def sd(self, inc: _Incident | None, tau: int, msg: str) -> Ev:
        e = Ev(tau, "systemd", msg, None, msg, "INFO", self.upid, inc.id if inc else None)
        (inc.events if inc else self.events).append(e)
        return e

    def dc(self, inc, tau, msg, **kw) -> Ev:
        """A Discord gateway line: console `[discord] gateway: …`, file `discord gateway: …`."""
        fmsg = f"discord {msg}" if msg.startswith("gateway") else msg
        return self.ev(inc, tau, "discord", msg, fmsg=fmsg, **kw)

    def startup(self, inc: _Incident | None, tau: int, pid: int, *, systemd: bool = True) -> int:
        """systemd Started + the gateway's start-up lines with a new PID; returns the listening time."""
        if systemd:
            self.sd(inc, tau, f"Started {UNIT} - {UNIT_DESC}.")
            tau += 18_000 + self.rng.randrange(0, 4000)
        self.pid_changes.append((tau, pid))
        day = self.local(tau).strftime("%Y-%m-%d")
        t = tau
        self.ev(inc, t, "canvas", f"host mounted at http://127.0.0.1:18789/__{BRAND}__/canvas/ "
                                  f"(root /home/alice/clawd/canvas)", pid=pid)
        self.ev(inc, t + 244, "heartbeat", "started", fmsg="heartbeat: started", pid=pid)
        self.ev(inc, t + 252, "gateway", f"agent model: {MODEL_REF}", pid=pid)
        listening = t + 254
        self.ev(inc, listening, "gateway", f"listening on ws://127.0.0.1:18789 (PID {pid})", pid=pid)
        self.ev(inc, t + 256, "gateway", "listening on ws://[::1]:18789", pid=pid)
        self.ev(inc, t + 260, "gateway", f"log file: /tmp/{BRAND}/{BRAND}-{day}.log", pid=pid)
        self.ev(inc, t + 286, "browser/server", "Browser control listening on http://127.0.0.1:18791/", pid=pid)
        self.ev(inc, t + 1704, "discord", f"[default] starting provider (@{self.bot[0]})", pid=pid)
        self.ev(inc, t + 1711, "telegram", f"[default] starting provider (@{self.tg_bot})", pid=pid)
        self.ev(inc, t + 1716, "slack", "[default] starting provider", pid=pid)
        self.ev(inc, t + 1990, "whatsapp", "Listening for personal WhatsApp inbound messages.", pid=pid)
        self.ev(inc, t + 2416, "discord", f"logged in to discord as {self.bot[1]}", pid=pid)
        self.ev(inc, t + 2950, "slack", "slack socket mode connected", fmsg="slack socket mode connected", pid=pid)
        self.ev(inc, t + 2953, None, "[INFO]  socket-mode:SocketModeClient:1 Now connected to Slack", pid=pid)
        return listening

    def sigterm_restart(self, inc: _Incident, tau: int) -> int:
        """systemctl --user restart: Stopping, SIGTERM, Stopped, Consumed, Started, new PID."""
        old = self.pid
        self.sd(inc, tau, f"Stopping {UNIT} - {UNIT_DESC}...")
        self.ev(inc, tau + 4, "gateway", "signal SIGTERM received", pid=old)
        self.ev(inc, tau + 5, "gateway", "received SIGTERM; shutting down", pid=old)
        stopped = tau + 800 + self.rng.randrange(0, 900)
        self.sd(inc, stopped, f"Stopped {UNIT} - {UNIT_DESC}.")
        mins, secs = self.rng.randrange(1, 90), self.rng.randrange(0, 59999) / 1000
        self.sd(inc, stopped + 2, f"{UNIT}: Consumed {mins}min {secs:.3f}s CPU time.")
        pid = self.new_pid()
        listening = self.startup(inc, stopped + 120, pid)
        self.down.append((tau, listening + 3000))
        return listening

    # ---- incidents
    def incident(self, family: str, kind: str, center: int, expect=(), must_not_fire=(), note: str = "") -> _Incident:
        inc = _Incident(f"{kind[:3]}-{self.next_inc:04d}", family, kind, center, list(expect), list(must_not_fire),
                        note=note)
        self.next_inc += 1
        self.incidents.append(inc)
        return inc

    def flap_loop(self, inc: _Incident, first: int, pairs: int) -> list[int]:
        """Carbon 0.14 stale-ACK loop (spec events §2.4): un-suffixed resume + own 1005 close, 31–45 s apart."""
        times = []
        t = first
        for _ in range(pairs):
            times.append(t)
            self.dc(inc, t, "gateway: Attempting resume with backoff: 1000ms")
            self.dc(inc, t + 60 + self.rng.randrange(0, 35), "gateway: WebSocket connection closed with code 1005")
            t += 31_000 + self.rng.randrange(0, 14_000)
        return times

    def old_session(self, inc: _Incident, chat: _Chat, first_created: int, last_done: int,
                    turns: int = 3) -> _Transcript:
        """A channel session with `turns` exchanges, the last reply done at `last_done`."""
        sid = self.uuid4()
        tr = _Transcript(self, f"{SESSIONS_DIR}/{sid}.jsonl", sid, first_created + 480, "/home/alice/clawd")
        tr.preamble(tr.header_tau + 3)
        span = last_done - first_created
        created = [first_created + span * k // turns for k in range(turns)]
        for k, c in enumerate(created):
            recv = c + 487 if k else tr.header_tau + 6
            mid = self.snowflake(c)
            tr.user(recv, self.envelope(chat, c, self.rng.choice(USER_TEXTS), mid))
            done = last_done if k == turns - 1 else recv + 3000 + self.rng.randrange(0, 9000)
            tr.assistant(recv + 4, done, self.rng.choice(ASSISTANT_TEXTS), thinking="Answer briefly.")
        self.transcripts.append(tr)
        self.store[chat.key] = self.store_entry(chat, tr, last_done + 150)
        return tr

    def reset_session(self, inc: _Incident, chat: _Chat, header: int, prompt_id: str, *,
                      greeting_after: int = 3449) -> _Transcript:
        """The §4.10 shape of a bare /new: ✅ mirror, model-snapshot, reset prompt, greeting."""
        sid = self.uuid4()
        tr = _Transcript(self, f"{SESSIONS_DIR}/{sid}.jsonl", sid, header, "/home/alice")
        tr.mirror(header + 18, RESET_NOTICE)
        tr.snapshot(header + 355)
        tr.user(header + 361, f"{RESET_PROMPT}\n[message_id: {prompt_id}]")
        tr.assistant(header + 364, header + greeting_after,
                     f"Hey {chat.display}! Fresh session, ready when you are — what would you like to do next?",
                     thinking="Greet briefly.", new_tokens=107)
        self.transcripts.append(tr)
        self.store[chat.key] = self.store_entry(chat, tr, header + greeting_after + 156)
        inc.transcript_lines[tr.rel] = [1, 2, 3, 4, 5]
        inc.anchors.append(header)
        return tr

    def store_entry(self, chat: _Chat, tr: _Transcript, updated_tau: int) -> dict:
        u = tr.last_usage
        home = "/home/alice"
        entry = {
            "sessionId": tr.session_id,
            "updatedAt": self.disp(updated_tau),
            "systemSent": True,
            "abortedLastRun": False,
            "chatType": "channel" if chat.kind == "channel" else "direct",
        }
        if chat.kind == "channel":
            cid = chat.channel_id
            entry.update({
                "channel": "discord", "groupId": cid, "groupChannel": f"#{chat.channel}", "space": chat.guild_id,
                "displayName": f"discord:{chat.guild_id}#{chat.channel}",
                "deliveryContext": {"channel": "discord", "to": f"channel:{cid}", "accountId": "default"},
                "lastChannel": "discord", "lastTo": f"channel:{cid}", "lastAccountId": "default",
                "origin": {"label": f"{chat.guild} #{chat.channel} channel id:{cid}", "provider": "discord",
                           "surface": "discord", "chatType": "channel", "from": f"discord:channel:{cid}",
                           "to": f"channel:{cid}", "accountId": "default"},
            })
        else:
            uid = chat.user_id
            entry.update({
                "deliveryContext": {"channel": "discord", "to": f"user:{uid}", "accountId": "default"},
                "lastChannel": "discord", "lastTo": f"user:{uid}", "lastAccountId": "default",
                "origin": {"label": f"{chat.user} user id:{uid}", "provider": "discord", "surface": "discord",
                           "chatType": "direct", "from": f"discord:{uid}", "to": f"user:{uid}", "accountId": "default"},
            })
        base = f"{home}/.npm-global/lib/node_modules/{BRAND}/skills"
        entry.update({
            "sessionFile": f"{home}/.{BRAND}/agents/main/sessions/{tr.session_id}.jsonl",
            "compactionCount": 0,
            "skillsSnapshot": {
                "prompt": ("\n\nThe following skills provide specialized instructions for specific tasks.\n"
                           "Use the read tool to load a skill's file when the task matches its description.\n\n"
                           f"<available_skills>\n  <skill>\n    <name>github</name>\n    <description>Interact with "
                           f"GitHub using the `gh` CLI.</description>\n"
                           f"    <location>{base}/github/SKILL.md</location>\n"
                           f"  </skill>\n  <skill>\n    <name>weather</name>\n    <description>Get current weather and "
                           f"forecasts (no API key required).</description>\n    <location>{base}/weather/SKILL.md"
                           "</location>\n  </skill>\n</available_skills>"),
                "skills": [{"name": "github"}, {"name": "weather"}],
                "resolvedSkills": [
                    {"name": n, "description": d, "filePath": f"{base}/{n}/SKILL.md", "baseDir": f"{base}/{n}",
                     "source": f"{BRAND}-bundled"}
                    for n, d in (("github", "Interact with GitHub using the `gh` CLI."),
                                 ("weather", "Get current weather and forecasts (no API key required)."))],
                "version": 0,
            },
            "inputTokens": u["input"], "outputTokens": u["output"],
            "totalTokens": u["input"] + u["cacheRead"] + u["cacheWrite"],
            "modelProvider": PROVIDER, "model": MODEL, "contextTokens": 200000,
        })
        if chat.kind == "dm":
            entry["thinkingLevel"] = "low"
        return entry

    # ---- families: each builds around `c`, within [c - 30 min, c + 60 min]
    def fam_carbon_loop(self, c: int) -> None:
        inc = self.incident("carbon-stale-ack-loop", "incident", c, ["carbon-stale-ack-loop"],
                            note="Carbon 0.14 stale heartbeat-ACK loop: un-suffixed resume + own 1005 close")
        self.flap_loop(inc, c, self.rng.randrange(3, 9))

    def fam_death_spiral(self, c: int) -> None:
        inc = self.incident("resume-death-spiral", "incident", c, ["resume-death-spiral"],
                            must_not_fire=["carbon-stale-ack-loop"],
                            note="resumes after 1006/1005 keep failing, HELLO stalls (#13688 / #14331 shape)")
        t = c
        backoff = 1000
        for _ in range(self.rng.randrange(2, 5)):
            self.dc(inc, t, "gateway: WebSocket connection closed with code 1006")
            self.dc(inc, t + 8, f"gateway: Attempting resume with backoff: {backoff}ms after code 1006")
            backoff = min(backoff * 2, 30000)
            t += 1200 + self.rng.randrange(0, 300)
            self.dc(inc, t, "gateway: WebSocket connection closed with code 1005")
            self.dc(inc, t + 10, f"gateway: Attempting resume with backoff: {backoff}ms after code 1005")
            backoff = min(backoff * 2, 30000)
            t += 30_000 + backoff + self.rng.randrange(0, 3000)
            self.ev(inc, t, "discord", "connection stalled: no HELLO received within 30000ms, forcing reconnect",
                    level="ERROR")
            t += 500 + self.rng.randrange(0, 400)

    def fam_fatal(self, c: int) -> None:
        inc = self.incident("fatal-close-code", "incident", c, ["fatal-close-code", "gateway-restart"],
                            note="privileged intent revoked: 4014 close, gateway error, channel exit; "
                                 "the operator restarts the gateway minutes later")
        code = self.rng.choice([4014, 4014, 4014, 4004, 4013])
        self.dc(inc, c, f"gateway: WebSocket connection closed with code {code}")
        self.dc(inc, c + 2, f"gateway error: Error: Fatal Gateway error: {code}", level="ERROR")
        self.ev(inc, c + 3, "discord", f"[default] channel exited: Fatal Gateway error: {code}", level="ERROR")
        self.sigterm_restart(inc, c + 240_000 + self.rng.randrange(0, 300_000))

    def fam_crash_loop(self, c: int) -> None:
        inc = self.incident("crash-loop", "incident", c, ["crash-loop", "gateway-restart"],
                            note="uncaught exception, then start-ups fail on the lock of a stale process "
                                 "(Restart=always, RestartSec=5)")
        stale = self.pid
        self.ev(inc, c, None, "[clawdbot] Uncaught exception: Error: Max reconnect attempts (0) reached after "
                              "code 1005", level="ERROR")
        t = c + 40
        self.sd(inc, t, f"{UNIT}: Main process exited, code=exited, status=1/FAILURE")
        self.sd(inc, t + 2, f"{UNIT}: Failed with result 'exit-code'.")
        cycles = self.rng.randrange(3, 7)
        for k in range(1, cycles + 1):
            t += 5_000 + self.rng.randrange(50, 300)
            self.sd(inc, t, f"{UNIT}: Scheduled restart job, restart counter is at {k}.")
            self.sd(inc, t + 3, f"Stopped {UNIT} - {UNIT_DESC}.")
            self.sd(inc, t + 5, f"Started {UNIT} - {UNIT_DESC}.")
            if k == cycles:
                break
            pid = self.new_pid()
            self.pid_changes.append((t + 1500, pid))
            t += 1500 + self.rng.randrange(0, 700)
            self.ev(inc, t, None, f"Gateway failed to start: gateway already running (pid {stale}); "
                                  "lock timeout after 5000ms", level="ERROR", pid=pid)
            self.sd(inc, t + 60, f"{UNIT}: Main process exited, code=exited, status=1/FAILURE")
            self.sd(inc, t + 62, f"{UNIT}: Failed with result 'exit-code'.")
            t += 62
        pid = self.new_pid()
        listening = self.startup(inc, t + 5, pid, systemd=False)
        self.down.append((c, listening + 3000))

    def fam_slow_listener(self, c: int) -> None:
        inc = self.incident("slow-listener", "incident", c, ["slow-listener"],
                            note="a slash command handled past Discord's 3 s deadline")
        for k in range(self.rng.randrange(1, 3)):
            ms = self.rng.randrange(3100, 28000)
            self.ev(inc, c + k * 20_000, None,
                    f"[EventQueue] Slow listener detected: InteractionEventListener took {ms}ms for event "
                    "INTERACTION_CREATE", level="WARN")

    def fam_interaction_expired(self, c: int) -> None:
        inc = self.incident("interaction-expired", "incident", c, ["interaction-expired", "slow-listener"],
                            note="deferred ACK too late: the reply is refused (10062)")
        ms = self.rng.randrange(3300, 7000)
        self.ev(inc, c, None, f"[EventQueue] Slow listener detected: InteractionEventListener took {ms}ms for event "
                              "INTERACTION_CREATE", level="WARN")
        self.ev(inc, c + 40, None, "discord: interaction reply skipped (interaction expired)", level="WARN")
        if self.rng.random() < 0.5:
            self.ev(inc, c + 90, None, "discord: slash follow-up skipped (interaction expired)", level="WARN")

    def fam_duplicate(self, c: int, variant: int) -> None:
        chat = self.new_chat()
        if variant % 2 == 0:
            inc = self.incident("duplicate-inbound", "incident", c, ["duplicate-inbound"],
                                must_not_fire=["unexplained-reset"],
                                note="one message processed live and again after a RESUME, same transcript")
            sid = self.uuid4()
            tr = _Transcript(self, f"{SESSIONS_DIR}/{sid}.jsonl", sid, c - 600_000, "/home/alice/clawd")
            tr.preamble(tr.header_tau + 3)
            first = c - 600_480
            tr.user(tr.header_tau + 6, self.envelope(chat, first, self.rng.choice(USER_TEXTS), self.snowflake(first)))
            tr.assistant(tr.header_tau + 10, tr.header_tau + 6000, self.rng.choice(ASSISTANT_TEXTS))
            mid = self.snowflake(c - 500)
            body = self.rng.choice(USER_TEXTS)
            text = self.envelope(chat, c - 500, body, mid)
            l1 = tr.user(c, text)
            tr.assistant(c + 4, c + 28_000, self.rng.choice(ASSISTANT_TEXTS), thinking="Answer briefly.")
            self.dc(inc, c + 35_000, "gateway: WebSocket connection closed with code 1006")
            self.dc(inc, c + 35_010, "gateway: Attempting resume with backoff: 1000ms after code 1006")
            l2 = tr.user(c + 40_000, text)
            tr.assistant(c + 40_004, c + 61_000, self.rng.choice(ASSISTANT_TEXTS), thinking="Answer briefly.")
            self.transcripts.append(tr)
            self.store[chat.key] = self.store_entry(chat, tr, c + 61_150)
            inc.transcript_lines[tr.rel] = [l1, l2]
            inc.anchors += [c, c + 40_000]
        else:
            inc = self.incident("duplicate-inbound", "incident", c, ["duplicate-inbound"],
                                must_not_fire=["unexplained-reset", "replayed-interaction"],
                                note="a message of the old session replayed after a RESUME into the session a "
                                     "typed /new had just started: the same id in two transcripts")
            old = self.old_session(inc, chat, c - 1_500_000, c - 10_000, turns=2)
            mid = self.snowflake(c - 400)
            text = self.envelope(chat, c - 400, self.rng.choice(USER_TEXTS), mid)
            l1 = old.user(c, text)
            old.assistant(c + 4, c + 25_000, self.rng.choice(ASSISTANT_TEXTS))
            self.store[chat.key] = self.store_entry(chat, old, c + 25_150)
            header = c + 300_000
            typed = self.snowflake(header - 600)
            new = self.reset_session(inc, chat, header, typed)
            self.dc(inc, header + 120_000, "gateway: WebSocket connection closed with code 1006")
            self.dc(inc, header + 120_010, "gateway: Attempting resume with backoff: 1000ms after code 1006")
            l2 = new.user(header + 123_000, text)
            new.assistant(header + 123_004, header + 140_000, self.rng.choice(ASSISTANT_TEXTS))
            self.store[chat.key] = self.store_entry(chat, new, header + 140_150)
            inc.transcript_lines[old.rel] = [l1]
            inc.transcript_lines[new.rel] = [1, 2, 3, 4, 5, l2]
            inc.anchors += [c, header + 123_000]

    def fam_provider_restart(self, c: int, variant: int) -> None:
        inc = self.incident("provider-restart", "incident", c, ["provider-restart"],
                            must_not_fire=["health-monitor-restart-loop", "gateway-restart"],
                            note="the Discord provider restarted mid-run (health monitor or config reload)")
        if variant % 2 == 0:
            self.ev(inc, c, "health-monitor", "[discord:default] health-monitor: restarting (reason: stale-socket)",
                    level="WARN")
        else:
            self.ev(inc, c, "reload", "config change detected; evaluating reload (channels.discord.accounts)")
            self.ev(inc, c + 30, "reload", "config hot reload applied (channels.discord.accounts)")
            self.ev(inc, c + 32, "gateway/channels", "restarting discord channel")
        self.ev(inc, c + 1100, "discord", f"[default] starting provider (@{self.bot[0]})")
        self.ev(inc, c + 1900, "discord", f"logged in to discord as {self.bot[1]}")

    def fam_health_loop(self, c: int) -> None:
        inc = self.incident("health-monitor-restart-loop", "incident", c,
                            ["health-monitor-restart-loop", "provider-restart"],
                            note="the health monitor restarts Discord again and again (stale-socket false positives)")
        reason = self.rng.choice(["stale-socket", "disconnected", "stuck"])
        t = c
        for _ in range(self.rng.randrange(3, 5)):
            self.ev(inc, t, "health-monitor", f"[discord:default] health-monitor: restarting (reason: {reason})",
                    level="WARN")
            self.ev(inc, t + 1000, "discord", f"[default] starting provider (@{self.bot[0]})")
            self.ev(inc, t + 1700, "discord", f"logged in to discord as {self.bot[1]}")
            t += 300_000 + self.rng.randrange(0, 600_000)

    def fam_telegram_conflict(self, c: int) -> None:
        inc = self.incident("telegram-conflict", "incident", c, ["telegram-conflict"],
                            note="a second poller on the bot token (409 Conflict)")
        err = ("Call to 'getUpdates' failed! (409: Conflict: terminated by other getUpdates request; make sure that "
               "only one bot instance is running)")
        t, delay = c, 2.0
        for _ in range(self.rng.randrange(2, 6)):
            d = f"{delay * (0.85 + 0.3 * self.rng.random()):.1f}s" if delay < 30 else "30s"
            self.ev(inc, t, "telegram", f"getUpdates conflict: {err}; retrying in {d}.",
                    fmsg=f"Telegram getUpdates conflict: {err}; retrying in {d}.", level="WARN")
            t += int(min(delay, 30) * 1000) + 30_000 + self.rng.randrange(0, 2000)
            delay = min(delay * 1.8, 30.0)

    def fam_telegram_stall(self, c: int, variant: int) -> None:
        inc = self.incident("telegram-polling-stall", "incident", c, ["telegram-polling-stall"],
                            note="Telegram long polling stalled / kept failing")
        if variant % 2 == 0:
            secs = self.rng.randrange(95, 900) + self.rng.random()
            self.ev(inc, c, "telegram", f"Polling stall detected (no getUpdates for {secs:.2f}s); forcing restart.",
                    fmsg=f"Telegram Polling stall detected (no getUpdates for {secs:.2f}s); forcing restart.",
                    level="WARN")
            self.ev(inc, c + 9, "telegram", "polling runner stopped (polling stall detected); restarting in 2s.",
                    fmsg="Telegram polling runner stopped (polling stall detected); restarting in 2s.", level="WARN")
        else:
            t, delay = c, 2.0
            for _ in range(3):
                d = f"{delay:.1f}s".replace(".0s", "s")
                msg = f"network error: Network request for 'getUpdates' failed!; retrying in {d}."
                self.ev(inc, t, "telegram", msg, fmsg=f"Telegram {msg}", level="WARN")
                t += int(delay * 1000) + 30_000
                delay *= 1.8

    def fam_whatsapp(self, c: int, variant: int) -> None:
        inc = self.incident("whatsapp-reconnect-loop", "incident", c, ["whatsapp-reconnect-loop"],
                            note="WhatsApp Web disconnect loop (440 conflict or 499 inactivity watchdog)")
        t = c
        if variant % 2 == 0:
            delay = 2.0
            for k in range(1, self.rng.randrange(4, 7)):
                d = f"{delay * (0.9 + 0.2 * self.rng.random()):.2f}s"
                tail = "(status=440 Unknown Stream Errored (conflict))"
                self.ev(inc, t, "whatsapp", f"Web connection closed (status 440). Retry {k}/12 in {d}… {tail}",
                        fmsg=f"WhatsApp Web connection closed (status 440). Retry {k}/12 in {d}… {tail}", level="WARN")
                t += int(delay * 1000) + 9_000 + self.rng.randrange(0, 3000)
                delay = min(delay * 1.8, 30)
        else:
            for _ in range(self.rng.randrange(3, 5)):
                m = self.rng.randrange(30, 130)
                self.ev(inc, t, "whatsapp", f"No messages received in {m}m - restarting connection", level="WARN")
                d = f"{1.8 + 0.4 * self.rng.random():.2f}s"
                self.ev(inc, t + 200, "whatsapp", f"Web connection closed (status 499). Retry 1/12 in {d}…",
                        fmsg=f"WhatsApp Web connection closed (status 499). Retry 1/12 in {d}…", level="WARN")
                t += 62_000 + self.rng.randrange(0, 2000)

    def fam_slack(self, c: int) -> None:
        inc = self.incident("slack-pong-timeout", "incident", c, ["slack-pong-timeout"],
                            note="Slack socket mode keeps missing pongs and reconnecting")
        t = c
        n = 2 + self.rng.randrange(0, 5)
        for k in range(self.rng.randrange(2, 6)):
            self.ev(inc, t, None, f"[WARN]  socket-mode:SlackWebSocket:{n + k} A pong wasn't received from the server "
                                  "before the timeout of 5000ms!", level="WARN")
            self.ev(inc, t + 2500, None, "[INFO]  socket-mode:SocketModeClient:1 Now connected to Slack")
            t += 30_000 + self.rng.randrange(0, 15_000)

    def fam_gateway_restart(self, c: int, variant: int) -> None:
        inc = self.incident("gateway-restart", "incident", c, ["gateway-restart"],
                            must_not_fire=["crash-loop", "provider-restart"],
                            note="operator restart (systemctl --user restart, or SIGUSR1 in-process restart)")
        if variant % 2 == 0:
            self.sigterm_restart(inc, c)
        else:
            self.ev(inc, c, "gateway", "signal SIGUSR1 received")
            self.ev(inc, c + 2, "gateway", "received SIGUSR1; restarting")
            self.down.append((c, c + 4000))
            self.startup(inc, c + 1600, self.pid, systemd=False)

    def fam_clock_jump(self, c: int) -> None:
        shift = self.rng.randrange(30, 300) * 1000
        width = self.rng.randrange(15, 45) * 60_000
        inc = self.incident("clock-integrity", "incident", c, ["clock-integrity"],
                            note=f"the host clock ran {shift // 1000} s ahead for {width // 60000} min, then NTP "
                                 "stepped it back")
        self.clock_windows.append((c - width, c, shift))
        # two ordinary lines right around the step, so the ground truth names the lines of the jump
        self.ev(inc, c - 1, "diagnostic", "heartbeat: webhooks=0/0/0 active=0 waiting=0 queued=0")
        self.ev(inc, c + 1, "diagnostic", "heartbeat: webhooks=0/0/0 active=0 waiting=0 queued=0")
        inc.range_pad_ms = 5_000

    def fam_reset_3106(self, c: int) -> None:
        inc = self.incident("unexplained-reset", "incident", c,
                            ["unexplained-reset", "carbon-stale-ack-loop", "slow-listener"],
                            must_not_fire=["replayed-interaction"],
                            note="#3106: native /new with a fresh interaction during a Carbon stale-ACK flap loop")
        chat = self.new_chat()
        pairs = self.rng.randrange(5, 9)
        before = self.rng.randrange(1, pairs - 2)
        loop = self.flap_loop(inc, c - before * 38_000, pairs)
        pair = loop[before]
        header = pair + 1145
        old_done = header - self.rng.randrange(60_000, 120_000)  # #3106: the last reply 96 s before
        self.old_session(inc, chat, c - 1_500_000, old_done)
        created = header - 1007
        iid = self.snowflake(created)
        self.reset_session(inc, chat, header, iid)
        listener = self.rng.randrange(3900, 5200)
        self.ev(inc, created + 147 + listener, None, f"[EventQueue] Slow listener detected: InteractionEventListener "
                                                     f"took {listener}ms for event INTERACTION_CREATE", level="WARN")

    def fam_replayed(self, c: int) -> None:
        inc = self.incident("replayed-interaction", "incident", c,
                            ["replayed-interaction", "unexplained-reset", "carbon-stale-ack-loop", "slow-listener"],
                            must_not_fire=["resume-death-spiral"],
                            note="/new executed from an interaction created minutes earlier inside a 1006 "
                                 "disconnect, delivered late by RESUME during a later flap loop")
        chat = self.new_chat()
        self.old_session(inc, chat, c - 1_200_000, c - 40_000)
        self.dc(inc, c, "gateway: WebSocket connection closed with code 1006")
        self.dc(inc, c + 9, "gateway: Attempting resume with backoff: 1000ms after code 1006")
        created = c + 1_600
        self.dc(inc, c + 2_100, "gateway: WebSocket connection closed with code 1006")
        self.dc(inc, c + 2_110, "gateway: Attempting resume with backoff: 2000ms after code 1006")
        pairs = self.rng.randrange(5, 8)
        loop = self.flap_loop(inc, c + 150_000 + self.rng.randrange(0, 30_000), pairs)
        header = loop[2] + 1300
        iid = self.snowflake(created)
        self.reset_session(inc, chat, header, iid)
        listener = self.rng.randrange(3900, 5200)
        self.ev(inc, header - 400 + listener, None, f"[EventQueue] Slow listener detected: InteractionEventListener "
                                                    f"took {listener}ms for event INTERACTION_CREATE", level="WARN")

    def ctl_typed_new(self, c: int) -> None:
        inc = self.incident("typed-new-quiet", "control", c, [], ["unexplained-reset", "replayed-interaction"],
                            note="typed /new in a guild channel on a quiet gateway: an ordinary reset")
        chat = self.new_chat()
        self.old_session(inc, chat, c - 2_400_000, c - 600_000 - self.rng.randrange(0, 600_000))
        typed = self.snowflake(c - 600)
        self.reset_session(inc, chat, c, typed)
        self.ev(inc, c - 100, None, "[session-memory] Hook triggered for /new command")

    def ctl_daily(self, boundary: int) -> None:
        inc = self.incident("daily-reset", "control", boundary, [], ["unexplained-reset"],
                            note="main DM session rotated by the 04:00 daily reset (no prompt, no notice)")
        chat = self.new_chat("dm")
        sid = self.uuid4()
        first = boundary - 40 * 60_000
        tr = _Transcript(self, f"{SESSIONS_DIR}/{sid}.jsonl", sid, first + 480, "/home/alice/clawd", main=True)
        tr.preamble(tr.header_tau + 2)
        tr.user(tr.header_tau + 5, self.envelope(chat, first, "still up? quick question about the backup",
                                                 self.snowflake(first)))
        tr.assistant(tr.header_tau + 9, tr.header_tau + 6000, "Sure — what about it?")
        second = boundary - 6 * 60_000
        tr.user(second + 450, self.envelope(chat, second, "never mind, found it. night!", self.snowflake(second)))
        tr.assistant(second + 455, boundary - 5 * 60_000, "Good night!")
        self.transcripts.append(tr)
        created = boundary + 6 * 60_000
        sid2 = self.uuid4()
        tr2 = _Transcript(self, f"{SESSIONS_DIR}/{sid2}.jsonl", sid2, created + 500, "/home/alice/clawd", main=True)
        tr2.preamble(tr2.header_tau + 2)
        tr2.user(tr2.header_tau + 5, self.envelope(chat, created, "morning! what's the weather today?",
                                                   self.snowflake(created)))
        tr2.assistant(tr2.header_tau + 9, tr2.header_tau + 5000, "Morning! Sunny, 4 °C, light wind.")
        self.transcripts.append(tr2)
        self.store[chat.key] = self.store_entry(chat, tr2, tr2.header_tau + 5150)
        inc.transcript_lines[tr.rel] = list(range(1, len(tr.rows) + 1))
        inc.transcript_lines[tr2.rel] = [1, 5]
        inc.anchors += [tr2.header_tau]

    def benign(self, t: int, k: int) -> None:
        """A near-miss between incidents: one event that a rule must not report alone."""
        which = k % 7
        if which == 0:
            inc = self.incident("isolated-1006-resume", "benign", t, [], ["resume-death-spiral", "reconnect-storm"])
            self.dc(inc, t, "gateway: WebSocket connection closed with code 1006")
            self.dc(inc, t + 9, "gateway: Attempting resume with backoff: 1000ms after code 1006")
        elif which == 1:
            inc = self.incident("lone-slack-pong-miss", "benign", t, [], ["slack-pong-timeout"])
            self.ev(inc, t, None, "[WARN]  socket-mode:SlackWebSocket:2 A pong wasn't received from the server before "
                                  "the timeout of 5000ms!", level="WARN")
            self.ev(inc, t + 3000, None, "[INFO]  socket-mode:SocketModeClient:1 Now connected to Slack")
        elif which == 2:
            inc = self.incident("lone-telegram-409", "benign", t, [], ["telegram-conflict"])
            err = ("Call to 'getUpdates' failed! (409: Conflict: terminated by other getUpdates request; make sure "
                   "that only one bot instance is running)")
            self.ev(inc, t, "telegram", f"getUpdates conflict: {err}; retrying in 2.1s.",
                    fmsg=f"Telegram getUpdates conflict: {err}; retrying in 2.1s.", level="WARN")
        elif which == 3:
            inc = self.incident("lone-whatsapp-408", "benign", t, [], ["whatsapp-reconnect-loop"])
            self.ev(inc, t, "whatsapp", "Web connection closed (status 408). Retry 1/12 in 2s…",
                    fmsg="WhatsApp Web connection closed (status 408). Retry 1/12 in 2s…", level="WARN")
        elif which == 4:
            inc = self.incident("single-carbon-self-close", "benign", t, [], ["carbon-stale-ack-loop"])
            self.dc(inc, t, "gateway: Attempting resume with backoff: 1000ms")
            self.dc(inc, t + 71, "gateway: WebSocket connection closed with code 1005")
        elif which == 5:
            inc = self.incident("listener-under-deadline", "benign", t, [], ["slow-listener"])
            self.ev(inc, t, None, f"[EventQueue] Slow listener detected: InteractionEventListener took "
                                  f"{self.rng.randrange(1100, 2600)}ms for event INTERACTION_CREATE", level="WARN")
        else:
            inc = self.incident("lone-health-restart", "benign", t, [], ["health-monitor-restart-loop"])
            # the restart itself is a provider restart: expected, and counted as such
            inc.expect = ["provider-restart"]
            self.ev(inc, t, "health-monitor", "[discord:default] health-monitor: restarting (reason: stale-socket)",
                    level="WARN")
            self.ev(inc, t + 1000, "discord", f"[default] starting provider (@{self.bot[0]})")


# --------------------------------------------------------------------------- background journal rows

# (name, weight) — the order fixes the row → template mapping
# `[diagnostic]` lines need diagnostics.enabled, so they are a minority; `⇄ res` lines (RPC calls of
# ≥ 50 ms from the Control UI, nodes and CLI) dominate a busy gateway's console.
_TEMPLATES = (
    ("ws_res", 5200), ("ws_err", 80), ("webchat", 300), ("diag_hb", 700), ("diag_msg", 300), ("diag_state", 300),
    ("lane", 250), ("cron", 150), ("wa_hb", 500), ("slow_ok", 20), ("reload", 10),
)
_WS_METHODS = ("chat.history", "chat.send", "sessions.list", "status", "health", "config.get", "node.list",
               "agent.wait", "models.list", "cron.list", "canvas.snapshot", "node.invoke", "channels.status",
               "sessions.preview", "logs.tail", "skills.status")


def _background(sim_salts: list[int], idx: pl.Series, chat_ids: pl.Series) -> pl.DataFrame:
    """Columns ctext, fsub, fmsg, level for background rows `idx` (global row numbers)."""
    if idx.len() == 0:
        return pl.DataFrame(schema={"ctext": pl.String, "fsub": pl.String, "fmsg": pl.String, "level": pl.String})
    s = sim_salts
    pick = _h32(idx, s[1]) % 10000
    total = sum(w for _, w in _TEMPLATES)
    bounds, acc = [], 0
    for _, w in _TEMPLATES:
        acc += w
        bounds.append(acc * 10000 // total)
    frame = pl.DataFrame({"idx": idx, "pick": pick, "row": pl.int_range(0, idx.len(), dtype=pl.UInt32, eager=True)})
    frame = frame.with_columns(
        tid=pl.lit(len(bounds) - 1, dtype=pl.UInt32)
    )
    for k in reversed(range(len(bounds))):
        frame = frame.with_columns(tid=pl.when(pl.col("pick") < bounds[k]).then(pl.lit(k, dtype=pl.UInt32))
                                   .otherwise(pl.col("tid")))
    parts = []
    for k, (name, _) in enumerate(_TEMPLATES):
        sub = frame.filter(pl.col("tid") == k)
        if sub.height == 0:
            continue
        i = sub["idx"]
        r = [_h32(i, s[8 + j]) for j in range(6)]
        parts.append(_TEMPLATE_FUNCS[name](i, r, chat_ids).with_columns(row=sub["row"]))
    out = pl.concat(parts, how="vertical").sort("row")
    return out.drop("row")


def _frame(ctext: pl.Series, fsub: str | None, fmsg: pl.Series | None = None, level: str = "INFO") -> pl.DataFrame:
    n = ctext.len()
    return pl.DataFrame({
        "ctext": ctext,
        "fsub": pl.Series([fsub] * n, dtype=pl.String) if n else pl.Series([], dtype=pl.String),
        "fmsg": fmsg if fmsg is not None else ctext,
        "level": pl.Series([level] * n, dtype=pl.String),
    })


def _t_ws_res(i, r, chats):
    method = _pick(list(_WS_METHODS), r[0])
    ms = (50 + r[1] % 380).cast(pl.String)
    conn = _hex8(_h32(i // 50_000, 77))
    conn4 = _hex4().gather(_h32(i // 50_000, 78) % 65536)
    rid = _hex8(r[2])
    rid4 = _hex4().gather(r[3] % 65536)
    msg = "⇄ res ✓ " + method + " " + ms + "ms conn=" + conn + "…" + conn4 + " id=" + rid + "…" + rid4
    return _frame("[ws] " + msg, "gateway/ws", msg)


def _t_ws_err(i, r, chats):
    method = _pick(["chat.send", "agent.wait", "node.invoke", "config.patch"], r[0])
    code = _pick(["INVALID_REQUEST", "UNAVAILABLE", "NOT_FOUND"], r[1])
    ms = (1 + r[2] % 40).cast(pl.String)
    msg = ("⇄ res ✗ " + method + " " + ms + "ms errorCode=" + code + " conn=" + _hex8(_h32(i // 50_000, 77)) + "…"
           + _hex4().gather(_h32(i // 50_000, 78) % 65536) + " id=" + _hex8(r[3]) + "…" + _hex4().gather(r[4] % 65536))
    return _frame("[ws] " + msg, "gateway/ws", msg, "WARN")


def _uuid_from(r: list[pl.Series]) -> pl.Series:
    a, b, c, d = _hex8(r[0]), _hex8(r[1]), _hex8(r[2]), _hex8(r[3])
    return (a + "-" + b.str.slice(0, 4) + "-4" + b.str.slice(5, 3) + "-" + _pick(["8", "9", "a", "b"], r[4])
            + c.str.slice(1, 3) + "-" + c.str.slice(4, 4) + d)


def _t_webchat(i, r, chats):
    conn = _uuid_from(r)
    on = (r[5] % 2) == 0
    tail = f" remote=127.0.0.1 client=openclaw-control-ui webchat v{VERSION}"
    msg = pl.select(pl.when(pl.lit(on)).then(pl.lit("webchat connected conn=") + pl.lit(conn) + pl.lit(tail))
                    .otherwise(pl.lit("webchat disconnected code=1001 reason=n/a conn=") + pl.lit(conn))).to_series()
    return _frame("[ws] " + msg, "gateway/ws", msg)


def _t_diag_hb(i, r, chats):
    active = (r[0] % 3).cast(pl.String)
    queued = (r[1] % 2).cast(pl.String)
    msg = "heartbeat: webhooks=0/0/0 active=" + active + " waiting=0 queued=" + queued
    return _frame("[diagnostic] " + msg, "diagnostic", msg)


def _snowflake_expr(i: pl.Series, r: pl.Series) -> pl.Series:
    # a plausible recent Discord message id (decodes to early 2026)
    return (((i.cast(pl.Int64) * 131) % 4_000_000_000 + (1768000000000 - DISCORD_EPOCH_MS)) * 4194304
            + (r.cast(pl.Int64) % 4194304)).cast(pl.String)


def _t_diag_msg(i, r, chats):
    cid = chats.gather(r[0] % chats.len())
    sid = _uuid_from(r[1:6])
    msg = ("message processed: channel=discord chatId=" + cid + " messageId=" + _snowflake_expr(i, r[5])
           + " sessionId=" + sid + " sessionKey=agent:main:discord:channel:" + cid + " outcome=completed duration="
           + (800 + r[2] % 40000).cast(pl.String) + "ms")
    return _frame("[diagnostic] " + msg, "diagnostic", msg)


def _t_diag_state(i, r, chats):
    cid = chats.gather(r[0] % chats.len())
    sid = _uuid_from(r[1:6])
    prev = _pick(["idle", "processing"], r[5])
    new = pl.select(pl.when(pl.lit(prev) == "idle").then(pl.lit("processing")).otherwise(pl.lit("idle"))).to_series()
    reason = _pick(["message", "run_completed", "message", "heartbeat"], r[2] // 7)
    msg = ("session state: sessionId=" + sid + " sessionKey=agent:main:discord:channel:" + cid + " prev=" + prev
           + " new=" + new + ' reason="' + reason + '" queueDepth=' + (r[3] % 2).cast(pl.String))
    return _frame("[diagnostic] " + msg, "diagnostic", msg)


def _t_lane(i, r, chats):
    cid = chats.gather(r[0] % chats.len())
    verb = _pick(["enqueue", "dequeue"], r[1])
    msg = ("lane " + verb + ": lane=session:agent:main:discord:channel:" + cid + " queueSize="
           + (r[2] % 3).cast(pl.String))
    return _frame("[diagnostic] " + msg, "diagnostic", msg)


def _t_cron(i, r, chats):  # invented wording (spec §8.1.3 shows only `cron: started`)
    job = _pick(["daily-digest", "inbox-sweep", "backup-check", "weather-brief"], r[0])
    msg = "job finished: jobId=" + job + " status=ok durationMs=" + (200 + r[1] % 20000).cast(pl.String)
    return _frame("[cron] " + msg, "gateway/cron", "cron: " + msg)


def _t_wa_hb(i, r, chats):  # the spec names `web gateway heartbeat`; the fields are invented
    msg = ("web gateway heartbeat connectionId=" + _hex8(_h32(i // 200_000, 91)) + " messagesHandled="
           + (r[0] % 500).cast(pl.String) + " uptimeMs=" + (60000 + r[1] % 86_000_000).cast(pl.String))
    return _frame("[whatsapp] " + msg, "gateway/channels/whatsapp", msg)


def _t_slow_ok(i, r, chats):
    listener = _pick(["InteractionEventListener", "InteractionEventListener", "DiscordReactionListener"], r[0])
    event = pl.select(pl.when(pl.lit(listener) == "DiscordReactionListener").then(pl.lit("MESSAGE_REACTION_ADD"))
                      .otherwise(pl.lit("INTERACTION_CREATE"))).to_series()
    text = ("[EventQueue] Slow listener detected: " + listener + " took " + (1000 + r[1] % 1500).cast(pl.String)
            + "ms for event " + event)
    return _frame(text, None, text, "WARN")


def _t_reload(i, r, chats):
    path = _pick(["agents.defaults.heartbeat", "messages.ackReaction", "agents.defaults.model"], r[0])
    msg = "config change detected; evaluating reload (" + path + ")"
    return _frame("[reload] " + msg, "gateway/reload", msg)


_TEMPLATE_FUNCS = {"ws_res": _t_ws_res, "ws_err": _t_ws_err, "webchat": _t_webchat, "diag_hb": _t_diag_hb,
                   "diag_msg": _t_diag_msg, "diag_state": _t_diag_state, "lane": _t_lane, "cron": _t_cron,
                   "wa_hb": _t_wa_hb, "slow_ok": _t_slow_ok, "reload": _t_reload}


# --------------------------------------------------------------------------- rendering


_NODE_JSON_MID = (
    '","PRIORITY":"6","SYSLOG_IDENTIFIER":"node","_TRANSPORT":"stdout","_STREAM_ID":"'
)
_NODE_JSON_TAIL = (
    '","_UID":"1000","_GID":"1000","_COMM":"clawdbot-gatewa","_EXE":"/usr/bin/node","_CMDLINE":"clawdbot-gateway",'
    '"_SYSTEMD_CGROUP":"/user.slice/user-1000.slice/user@1000.service/app.slice/clawdbot-gateway.service",'
    '"_SYSTEMD_UNIT":"user@1000.service","_SYSTEMD_USER_UNIT":"clawdbot-gateway.service",'
    '"_SYSTEMD_SLICE":"user-1000.slice","_SYSTEMD_USER_SLICE":"app.slice","_SYSTEMD_OWNER_UID":"1000","MESSAGE":"'
)
_SD_JSON_MID = '","PRIORITY":"6","SYSLOG_FACILITY":"3","SYSLOG_IDENTIFIER":"systemd","_TRANSPORT":"journal","_PID":"'
_SD_JSON_TAIL = (
    '","_UID":"1000","_GID":"1000","_COMM":"systemd","_EXE":"/usr/lib/systemd/systemd",'
    '"_CMDLINE":"/usr/lib/systemd/systemd --user",'
    '"_SYSTEMD_CGROUP":"/user.slice/user-1000.slice/user@1000.service/init.scope",'
    '"_SYSTEMD_UNIT":"user@1000.service","_SYSTEMD_SLICE":"user-1000.slice","_SYSTEMD_OWNER_UID":"1000",'
    '"CODE_FILE":"src/core/job.c","CODE_LINE":"768","CODE_FUNC":"job_emit_done_message",'
    '"USER_UNIT":"clawdbot-gateway.service","MESSAGE":"'
)
_PATH_SUB = (
    '{"fullFilePath":"file:///home/alice/.npm-global/lib/node_modules/clawdbot/dist/logging/subsystem.js:231:16",'
    '"fileName":"subsystem.js","fileNameWithLine":"subsystem.js:231","fileColumn":"16","fileLine":"231",'
    '"filePath":".npm-global/lib/node_modules/clawdbot/dist/logging/subsystem.js",'
    '"filePathWithLine":".npm-global/lib/node_modules/clawdbot/dist/logging/subsystem.js:231","method":"logToFile"}'
)
_PATH_ROOT = (
    '{"fullFilePath":"file:///home/alice/.npm-global/lib/node_modules/clawdbot/dist/logging/console.js:121:27",'
    '"fileName":"console.js","fileNameWithLine":"console.js:121","fileColumn":"27","fileLine":"121",'
    '"filePath":".npm-global/lib/node_modules/clawdbot/dist/logging/console.js",'
    '"filePathWithLine":".npm-global/lib/node_modules/clawdbot/dist/logging/console.js:121","method":"logToFile"}'
)
_LEVEL_IDS = {"DEBUG": "2", "INFO": "3", "WARN": "4", "ERROR": "5", "FATAL": "6"}


def _render_short(df: pl.DataFrame, host: str, upid: int, off_ms: int) -> pl.Series:
    stamp = pl.from_epoch(pl.col("disp") + off_ms, time_unit="ms").dt.strftime("%b %d %H:%M:%S")
    node = pl.concat_str([stamp, pl.lit(f" {host} node["), pl.col("pid").cast(pl.String), pl.lit("]: "),
                          pl.col("iso"), pl.lit(" "), pl.col("ctext")])
    sysd = pl.concat_str([stamp, pl.lit(f" {host} systemd[{upid}]: "), pl.col("ctext")])
    return df.select(pl.when(pl.col("ident") == "systemd").then(sysd).otherwise(node).alias("l")).to_series()


def _render_json(df: pl.DataFrame, sim: _Sim) -> pl.Series:
    s = sim.salts
    n = df.height
    seq = df["seq"]
    jitter = (_h32(seq, s[20]) % 900 + 50).cast(pl.Int64)
    realtime = df["disp"] * 1000 + jitter
    boot_ms = sim.boot_ms
    mono = (df["tau"] - boot_ms) * 1000 + jitter
    xh = _hex8(_h32(seq, s[21])) + _hex8(_h32(seq, s[22]))
    seqnum = seq.cast(pl.Int64) + 0x1A2B3
    cursor = ("s=" + pl.Series([sim.seqnum_id] * n) + ";i=" + _hex_u64(seqnum) + ";b=" + sim.boot_id + ";m="
              + _hex_u64(mono) + ";t=" + _hex_u64(realtime) + ";x=" + xh)
    pid = df["pid"]
    stream = _hex8(_h32(pid, s[23])) + _hex8(_h32(pid, s[24])) + _hex8(_h32(pid, s[25])) + _hex8(_h32(pid, s[26]))
    work = pl.DataFrame({"cursor": cursor, "rt": realtime.cast(pl.String), "mono": mono.cast(pl.String),
                         "stream": stream, "pid": pid.cast(pl.String), "ident": df["ident"],
                         "msg": df["ctext"], "iso": df["iso"]})
    head = pl.concat_str([pl.lit('{"__CURSOR":"'), pl.col("cursor"), pl.lit('","__REALTIME_TIMESTAMP":"'), pl.col("rt"),
                          pl.lit('","__MONOTONIC_TIMESTAMP":"'), pl.col("mono"),
                          pl.lit(f'","_BOOT_ID":"{sim.boot_id}","_MACHINE_ID":"{sim.machine_id}","_HOSTNAME":"{sim.host}')])
    node = pl.concat_str([head, pl.lit(_NODE_JSON_MID), pl.col("stream"), pl.lit('","_PID":"'), pl.col("pid"),
                          pl.lit(_NODE_JSON_TAIL), _jesc(pl.col("iso") + pl.lit(" ") + pl.col("msg")), pl.lit('"}')])
    sysd = pl.concat_str([head, pl.lit(_SD_JSON_MID), pl.col("pid"), pl.lit(_SD_JSON_TAIL), _jesc(pl.col("msg")),
                          pl.lit('"}')])
    return work.select(pl.when(pl.col("ident") == "systemd").then(sysd).otherwise(node).alias("l")).to_series()


def _render_file_log(df: pl.DataFrame) -> pl.Series:
    """tslog records for the node rows (caller drops systemd rows)."""
    time = pl.from_epoch(pl.col("disp") + 1, time_unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
    lvl_id = pl.col("level").replace_strict(_LEVEL_IDS, default="3", return_dtype=pl.String)
    name = pl.concat_str([pl.lit('{\\"subsystem\\":\\"'), pl.col("fsub"), pl.lit('\\"}')])
    meta_tail = [pl.lit('","logLevelId":'), lvl_id, pl.lit(',"logLevelName":"'), pl.col("level"), pl.lit('","path":')]
    sub = pl.concat_str([pl.lit('{"0":"'), name, pl.lit('","1":"'), _jesc(pl.col("fmsg")),
                         pl.lit('","_meta":{"runtime":"node","runtimeVersion":"22.22.0","hostname":"unknown","name":"'),
                         name, pl.lit('","parentNames":["clawdbot"],"date":"'), pl.col("iso"), *meta_tail,
                         pl.lit(_PATH_SUB), pl.lit('},"time":"'), time, pl.lit('"}')])
    root = pl.concat_str([pl.lit('{"0":"'), _jesc(pl.col("fmsg")),
                          pl.lit('","_meta":{"runtime":"node","runtimeVersion":"22.22.0","hostname":"unknown",'
                                 '"name":"clawdbot","date":"'), pl.col("iso"), *meta_tail,
                          pl.lit(_PATH_ROOT), pl.lit('},"time":"'), time, pl.lit('"}')])
    return df.select(pl.when(pl.col("fsub").is_null()).then(root).otherwise(sub).alias("l")).to_series()


def _write_lines(fh, lines: pl.Series) -> int:
    if lines.len() == 0:
        return 0
    pl.DataFrame({"l": lines}).write_csv(fh, include_header=False, quote_style="never")
    return lines.len()


# --------------------------------------------------------------------------- planning and writing


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(windows):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _searchsorted_windows(tau: pl.Series, windows: list[tuple[int, int]]) -> pl.Series:
    """True where tau lies inside one of the [a, b) windows."""
    if not windows:
        return pl.Series([False] * tau.len())
    e = pl.Series([x for w in _merged(windows) for x in w], dtype=pl.Int64)
    pos = e.search_sorted(tau, side="right")
    return (pos % 2) == 1


class _Writer:
    def __init__(self, out: Path, sim: _Sim, formats: tuple[str, ...], file_log_rel: str):
        self.sim = sim
        self.fh: dict[str, object] = {}
        self.count = {"short": 0, "json": 0, "file-log": 0}
        self.limit = {"short": None, "json": sim.cfg.json_lines, "file-log": sim.cfg.file_log_lines}
        self.paths = {"short": SHORT_PATH, "json": JSON_PATH, "file-log": file_log_rel}
        for f in ("short", "json", "file-log"):
            if f in formats:
                p = out / self.paths[f]
                p.parent.mkdir(parents=True, exist_ok=True)
                self.fh[f] = open(p, "wb", buffering=16 * 1024 * 1024)
        self.lines: dict[str, dict[str, list[int]]] = {f: {} for f in self.fh}

    def chunk(self, df: pl.DataFrame) -> None:
        """df: tau, disp, ident, pid, ctext, fsub, fmsg, level, inc, seq — sorted by tau."""
        sim = self.sim
        df = df.with_columns(iso=pl.from_epoch("disp", time_unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
        for fmt, fh in self.fh.items():
            part = df if fmt != "file-log" else df.filter(pl.col("ident") != "systemd")
            limit = self.limit[fmt]
            if limit is not None:
                room = max(0, limit - self.count[fmt])
                part = part.head(room)
            if part.height == 0:
                continue
            if fmt == "short":
                lines = _render_short(part, sim.host, sim.upid, sim.off_ms)
            elif fmt == "json":
                lines = _render_json(part, sim)
            else:
                lines = _render_file_log(part)
            base = self.count[fmt]
            _write_lines(fh, lines)
            self.count[fmt] += part.height
            marked = part.with_row_index("_r").filter(pl.col("inc").is_not_null()).select("inc", "_r")
            for inc, r in marked.iter_rows():
                self.lines[fmt].setdefault(inc, []).append(base + r + 1)

    def close(self) -> None:
        for fh in self.fh.values():
            fh.close()


def _plan(cfg: SimConfig) -> tuple[int, int]:
    """(journal lines, rounds)."""
    lines = cfg.lines if cfg.lines is not None else 20_000
    rounds = cfg.rounds if cfg.rounds is not None else max(1, min(MAX_ROUNDS, lines // LINES_PER_ROUND))
    return lines, rounds


def _estimate_line_bytes(cfg: SimConfig) -> float:
    """Mean bytes per journal short line, from a pilot of background rows (no files written)."""
    sim = _Sim(cfg)
    idx = pl.int_range(0, 20_000, dtype=pl.UInt64, eager=True)
    chats = pl.Series([str(10**18 + k) for k in range(8)])
    bg = _background(sim.salts, idx, chats)
    t0 = 1768900000000
    df = bg.with_columns(disp=pl.lit(t0, dtype=pl.Int64) + pl.int_range(0, 20_000, dtype=pl.Int64) * 300,
                         ident=pl.lit("node"), pid=pl.lit(sim.pid, dtype=pl.Int64))
    df = df.with_columns(iso=pl.from_epoch("disp", time_unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
    lines = _render_short(df, sim.host, sim.upid, sim.off_ms)
    return float(lines.str.len_bytes().mean()) + 1.0


# slot type → (_Sim method, whether it takes the round's variant number)
_BUILDERS = {
    "carbon": ("fam_carbon_loop", False), "spiral": ("fam_death_spiral", False), "fatal": ("fam_fatal", False),
    "crash": ("fam_crash_loop", False), "slow": ("fam_slow_listener", False),
    "expired": ("fam_interaction_expired", False), "dup": ("fam_duplicate", True),
    "provider": ("fam_provider_restart", True), "health": ("fam_health_loop", False),
    "tg409": ("fam_telegram_conflict", False), "tgstall": ("fam_telegram_stall", True),
    "wa": ("fam_whatsapp", True), "slack": ("fam_slack", False), "restart": ("fam_gateway_restart", True),
    "clock": ("fam_clock_jump", False), "r3106": ("fam_reset_3106", False), "replay": ("fam_replayed", False),
    "typednew": ("ctl_typed_new", False),
}


def generate(outdir: str | os.PathLike, *, lines: int | None = None, size: int | str | None = None, seed: int = 0,
             formats: tuple[str, ...] | list[str] | str = DEFAULT_FORMATS, progress=None, **options) -> dict:
    """Write a generated bundle into `outdir` and return the ground truth (also written as
    ground-truth.json). `lines` or `size` (bytes of the journal short file, e.g. "800MB")
    sets the size; `options` are the other SimConfig fields. `progress(done, total)` is called
    after each chunk."""
    if isinstance(formats, str):
        formats = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)} (known: {', '.join(FORMATS)})")
    cfg = SimConfig(lines=lines, size=parse_size(size) if size is not None else None, seed=seed,
                    formats=tuple(formats), **options)
    if cfg.size is not None and cfg.lines is None:
        cfg.lines = max(1000, int(cfg.size / _estimate_line_bytes(cfg)))
    n_lines, rounds = _plan(cfg)
    out = Path(outdir)
    if out.is_dir() and any(out.iterdir()):
        # an earlier bundle is replaced whole (stale transcripts would join the next check);
        # anything else is not ours to overwrite
        if not (out / TRUTH_PATH).is_file():
            raise ValueError(f"{out} is not empty and holds no {TRUTH_PATH}: not overwriting it")
        for sub in ("logs", "state"):
            shutil.rmtree(out / sub, ignore_errors=True)
        (out / TRUTH_PATH).unlink()
    out.mkdir(parents=True, exist_ok=True)
    sim = _Sim(cfg)
    rng = sim.rng

    # ---- time layout: slot 0 is the daily-reset control on a 04:00 local boundary
    types = list(_BUILDERS)
    n_slots = 1 + rounds * len(types)
    span = max(n_slots * MIN_SPACING_MS, n_lines * BASE_GAP_MS)
    spacing = span // n_slots
    day = datetime.strptime(cfg.start, "%Y-%m-%d").replace(hour=4, tzinfo=timezone(timedelta(minutes=sim.off_min)))
    boundary = int(day.timestamp() * 1000)  # 04:00 local on `start`; the log begins at 01:00
    t0 = boundary - spacing // 2
    t_end = t0 + span
    sim.boot_ms = t0 - 3 * 86_400_000 - rng.randrange(0, 86_400_000)

    order: list[str] = []
    for _ in range(rounds):
        batch = types[:]
        rng.shuffle(batch)
        order += batch

    # ---- the first start, incidents, benign near-misses (in time order: PIDs carry over)
    sim.startup(None, t0, sim.pid)
    sim.down.append((t0 - 1, t0 + 22_000))
    sim.ctl_daily(boundary)
    counts: dict[str, int] = {}
    for k, name in enumerate(order, start=1):
        # slot k is [t0 + k*spacing, t0 + (k+1)*spacing): a benign near-miss in its first quarter hour, the
        # incident around its middle (its events lie within c - 45 min … c + 65 min)
        sim.benign(t0 + k * spacing + rng.randrange(0, 900_000), k - 1)
        c = t0 + k * spacing + spacing // 2 + rng.randrange(-900_000, 900_000)
        v = counts.get(name, 0)
        counts[name] = v + 1
        method, with_variant = _BUILDERS[name]
        build = getattr(sim, method)
        build(c, v) if with_variant else build(c)

    inc_events = [e for inc in sim.incidents for e in inc.events] + sim.events
    inc_events.sort(key=lambda e: e.tau)
    for inc in sim.incidents:  # reconnect-storm: ≥ 5 closes on one channel within 5 minutes
        closes = sorted(e.tau for e in inc.events if "connection closed with code" in e.ctext)
        if any(closes[j + 4] - closes[j] <= 300_000 for j in range(len(closes) - 4)):
            if "reconnect-storm" not in inc.expect:
                inc.expect.append("reconnect-storm")
            if "reconnect-storm" in inc.must_not_fire:
                inc.must_not_fire.remove("reconnect-storm")

    # ---- background transcripts (their chat ids also feed the [diagnostic] noise)
    n_tr = cfg.transcripts if cfg.transcripts is not None else max(12, n_lines // 4000)
    # generated whatever the formats (same random stream); written only with "transcripts"
    sim.out = out if "transcripts" in cfg.formats else None
    bg_chats = _background_transcripts(sim, n_tr, t0 + 60_000, t_end - 3_600_000)
    chat_ids = pl.Series([ch.channel_id for ch in bg_chats] or ["1460000000000000001"])

    # ---- the journal, chunk by chunk
    file_log_rel = f"logs/{BRAND}-{sim.local(t0).strftime('%Y-%m-%d')}.log"
    writer = _Writer(out, sim, cfg.formats, file_log_rel)
    bg_start = t0 + 25_000
    n_bg = max(0, n_lines - len(inc_events))
    # rows that fall while the gateway is down are dropped: ask for that many more
    down_ms = sum(max(0, min(b, t_end) - max(a, bg_start)) for a, b in _merged(sim.down))
    n_bg = max(0, n_bg + round(n_bg * down_ms / max(1, t_end - bg_start - down_ms)))
    gap = (t_end - bg_start) / max(1, n_bg)
    pid_taus = pl.Series([t for t, _ in sorted(sim.pid_changes)], dtype=pl.Int64)
    pid_vals = pl.Series([p for _, p in sorted(sim.pid_changes)], dtype=pl.Int64)
    win = sorted(sim.clock_windows)
    ev_frame = pl.DataFrame({
        "tau": [e.tau for e in inc_events], "ident": [e.ident for e in inc_events], "pid": [e.pid for e in inc_events],
        "ctext": [e.ctext for e in inc_events], "fsub": [e.fsub for e in inc_events],
        "fmsg": [e.fmsg for e in inc_events], "level": [e.level for e in inc_events],
        "inc": [e.inc for e in inc_events],
    }, schema={"tau": pl.Int64, "ident": pl.String, "pid": pl.Int64, "ctext": pl.String, "fsub": pl.String,
               "fmsg": pl.String, "level": pl.String, "inc": pl.String})
    ev_pos = 0
    seq = 0
    done = 0
    total_chunks = max(1, math.ceil(n_bg / CHUNK))
    for ci in range(total_chunks):
        i0, i1 = ci * CHUNK, min(n_bg, (ci + 1) * CHUNK)
        idx = pl.int_range(i0, i1, dtype=pl.UInt64, eager=True)
        u = _h32(idx, sim.salts[0]).cast(pl.Float64) / 4294967296.0
        tau = (bg_start + (idx.cast(pl.Float64) + u) * gap).cast(pl.Int64)
        bg = _background(sim.salts, idx, chat_ids).with_columns(tau=tau)
        bg = bg.filter(~_searchsorted_windows(bg["tau"], sim.down))
        pos = pid_taus.search_sorted(bg["tau"], side="right").cast(pl.Int64) - 1
        bg = bg.with_columns(pid=pid_vals.gather(pos.clip(0, None)), ident=pl.lit("node"),
                             inc=pl.lit(None, dtype=pl.String))
        last = ci == total_chunks - 1
        hi = ev_frame.height if last else int(ev_frame["tau"].search_sorted(int(tau[-1]) + 1 if tau.len() else 0,
                                                                           side="left"))
        evs = ev_frame.slice(ev_pos, max(0, hi - ev_pos))
        ev_pos = max(ev_pos, hi)
        cols = ["tau", "ident", "pid", "ctext", "fsub", "fmsg", "level", "inc"]
        merged = pl.concat([evs.select(cols).with_columns(_o=pl.lit(0, dtype=pl.UInt8)),
                            bg.select(cols).with_columns(_o=pl.lit(1, dtype=pl.UInt8))], how="vertical")
        merged = merged.sort(["tau", "_o"], maintain_order=True).drop("_o")
        merged = merged.with_columns(seq=pl.int_range(seq, seq + merged.height, dtype=pl.UInt64))
        seq += merged.height
        shift = pl.lit(0, dtype=pl.Int64)
        for a, b, s in win:
            shift = pl.when((pl.col("tau") >= a) & (pl.col("tau") < b)).then(pl.lit(s, dtype=pl.Int64)).otherwise(shift)
        if win:
            inside = _searchsorted_windows(merged["tau"], [(a, b) for a, b, _ in win])
            merged = merged.with_columns(_in=inside)
            shifted = merged.filter("_in").with_columns(disp=pl.col("tau") + shift)
            merged = pl.concat([merged.filter(~pl.col("_in")).with_columns(disp=pl.col("tau")), shifted],
                               how="vertical").sort("seq").drop("_in")
        else:
            merged = merged.with_columns(disp=pl.col("tau"))
        writer.chunk(merged)
        done += merged.height
        if progress:
            progress(ci + 1, total_chunks)
    writer.close()

    # ---- transcripts and the store
    for tr in sim.transcripts:
        if tr.rows:
            tr.flush(sim.out)
    if "transcripts" in cfg.formats:
        store_path = out / SESSIONS_DIR / "sessions.json"
        store_path.parent.mkdir(parents=True, exist_ok=True)
        store_path.write_text(json.dumps(sim.store, ensure_ascii=False, indent=2), encoding="utf-8")

    truth = _ground_truth(sim, cfg, out, writer, n_lines, rounds, t0, t_end, file_log_rel)
    (out / TRUTH_PATH).write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return truth


def _background_transcripts(sim: _Sim, n: int, lo: int, hi: int) -> list[_Chat]:
    """Ordinary Discord guild-channel sessions; a quarter of the keys rotated once by the daily reset."""
    rng = sim.rng
    chats = []
    for _ in range(n):
        chat = sim.new_chat()
        chats.append(chat)
        start = rng.randrange(lo, max(lo + 1, hi - 4 * 3_600_000))
        tr, last = _chat_session(sim, chat, start, rng.randrange(1, 2 * sim.cfg.turns))
        sim.store[chat.key] = sim.store_entry(chat, tr, last + 150)
        tr.flush(sim.out)
        if rng.random() < 0.25:
            local_last = _local(sim.disp(last), sim.off_min)
            b = local_last.replace(hour=4, minute=0, second=0, microsecond=0)
            if b <= local_last:
                b += timedelta(days=1)
            start2 = int(b.timestamp() * 1000) + rng.randrange(1_800_000, 8 * 3_600_000)
            if start2 < hi and all(not (a - 600_000 <= start2 < z + 600_000) for a, z, _ in sim.clock_windows):
                tr2, last2 = _chat_session(sim, chat, start2, rng.randrange(1, 2 * sim.cfg.turns))
                sim.store[chat.key] = sim.store_entry(chat, tr2, last2 + 150)
                tr2.flush(sim.out)
                inc = sim.incident("daily-reset-background", "control", start2, [], ["unexplained-reset"],
                                   note="a background key rotated by the daily reset")
                inc.transcript_lines[tr2.rel] = [1]
                inc.anchors.append(tr2.header_tau)
    return chats


def _chat_session(sim: _Sim, chat: _Chat, first_created: int, turns: int) -> tuple[_Transcript, int]:
    rng = sim.rng
    sid = sim.uuid4()
    chat.prev_created = None
    tr = _Transcript(sim, f"{SESSIONS_DIR}/{sid}.jsonl", sid, first_created + 480, "/home/alice/clawd")
    tr.preamble(tr.header_tau + 3)
    created = first_created
    last = tr.header_tau
    for k in range(turns):
        recv = created + 300 + rng.randrange(0, 600) if k else tr.header_tau + 6
        tr.user(recv, sim.envelope(chat, created, rng.choice(USER_TEXTS), sim.snowflake(created)))
        start = recv + 4
        if rng.random() < 0.25:
            call_done = start + 2000 + rng.randrange(0, 4000)
            call_id = "toolu_01" + base64.b32encode(rng.randbytes(15)).decode().rstrip("=")
            cmd = rng.choice(TOOL_COMMANDS)
            tr.assistant(start, call_done, "Sure, checking.", thinking="Run the command.", tool=(call_id, cmd))
            tr.tool_result(call_done + 13, call_id, f"$ {cmd}\nok ({rng.randrange(1, 400)} lines)")
            start = call_done + 17
        last = start + 2000 + rng.randrange(0, 20_000)
        thinking = "Answer briefly." if rng.random() < 0.4 else None
        tr.assistant(start, last, rng.choice(ASSISTANT_TEXTS), thinking=thinking)
        created = last + int(math.exp(rng.uniform(math.log(10_000), math.log(900_000))))
    sim.transcripts.append(tr)
    return tr, last


def _ground_truth(sim: _Sim, cfg: SimConfig, out: Path, writer: _Writer, n_lines: int, rounds: int, t0: int,
                  t_end: int, file_log_rel: str) -> dict:
    files = {}
    fmt_names = {"short": "journald-short", "json": "journald-json", "file-log": "openclaw-file-log"}
    for f, rel in writer.paths.items():
        if f in writer.fh:
            files[rel] = {"format": fmt_names[f], "lines": writer.count[f], "bytes": (out / rel).stat().st_size}
    if "transcripts" in cfg.formats:
        total = sum(tr.size for tr in sim.transcripts)
        files[SESSIONS_DIR] = {"format": "transcripts+sessions.json", "transcripts": len(sim.transcripts),
                               "transcript_lines": sum(tr.n_rows for tr in sim.transcripts),
                               "bytes": total + (out / SESSIONS_DIR / "sessions.json").stat().st_size}
    incidents = []
    for inc in sim.incidents:
        times = [sim.disp(e.tau) for e in inc.events] + [sim.disp(a) for a in inc.anchors]
        if inc.family == "clock-integrity":
            times += [e.tau for e in inc.events]  # the stepped-back stamps
        lo, hi = (min(times), max(times)) if times else (sim.disp(inc.center), sim.disp(inc.center))
        lines = {}
        for f, rel in writer.paths.items():
            if f in writer.fh and inc.id in writer.lines[f]:
                lines[rel] = writer.lines[f][inc.id]
        if "transcripts" in cfg.formats:
            lines.update(inc.transcript_lines)
        incidents.append({
            "id": inc.id, "family": inc.family, "kind": inc.kind,
            "expect": sorted(set(inc.expect)), "must_not_fire": sorted(set(inc.must_not_fire) - set(inc.expect)),
            "range": {"start": _iso(lo - inc.range_pad_ms), "end": _iso(hi + inc.range_pad_ms)},
            "lines": lines, "note": inc.note,
        })
    incidents.sort(key=lambda d: (d["range"]["start"], d["id"]))
    covered = sorted({r for d in incidents for r in d["expect"]})
    return {
        "generator": "moltdiag.simulate",
        "params": {"lines": n_lines, "seed": cfg.seed, "formats": list(cfg.formats), "rounds": rounds,
                   "json_lines": cfg.json_lines, "file_log_lines": cfg.file_log_lines, "turns": cfg.turns,
                   "utc_offset_minutes": cfg.utc_offset_minutes, "host": cfg.host, "start": cfg.start,
                   "transcripts": cfg.transcripts},
        "host_zone": f"UTC{'+' if sim.off_min >= 0 else '-'}{abs(sim.off_min) // 60:02d}:{abs(sim.off_min) % 60:02d}",
        "span": {"start": _iso(t0), "end": _iso(t_end)},
        "files": files,
        "inputs": {"check": [SHORT_PATH] * ("short" in cfg.formats) + [SESSIONS_DIR] * ("transcripts" in cfg.formats)},
        "match": ("a finding matches an incident when its rule is in `expect` and its ts lies in `range` "
                  "(inclusive); a finding of a `must_not_fire` rule inside a range is a violation"),
        "rules_expected": covered,
        "incidents": incidents,
    }
