"""Profile the journald parsers stage by stage on generated, seed-shaped input.

    python benchmarks/profile_parse.py gen  --lines 1000000            # make (or reuse) the files
    python benchmarks/profile_parse.py time --lines 1000000            # stage timings, in-process
    python benchmarks/profile_parse.py rss  --lines 1000000            # each stage in a child under
                                                                       # /usr/bin/time -v: wall, MB/s, peak RSS
    python benchmarks/profile_parse.py run text --lines 1000000       # one stage (what `rss` wraps)
    python benchmarks/profile_parse.py compare --ref /tmp/ref          # same events as another tree?

Before/after: time another tree of the package with `--ref DIR` (put first on PYTHONPATH of
the children), e.g. `mkdir /tmp/ref && git archive <commit> moltdiag | tar -x -C /tmp/ref`
then `python benchmarks/profile_parse.py rss --ref /tmp/ref`.

Generated files (cached under $MOLTDIAG_BENCH_DIR, default /tmp/moltdiag-bench):

- `journal-short-<N>.txt`: `journalctl -o short` of a gateway unit. 95 % noise
  (`[ws] ⇄ res ✓ chat.history 63ms …`, `[heartbeat] …`, agent runs, diagnostics …),
  5 % diagnostic lines of every kind the classifier knows (Discord eras, Telegram,
  WhatsApp, Slack, Signal, gateway lifecycle, systemd's own unit lines). Most messages carry
  the gateway's console stamp (`2026-01-27T19:05:10.412Z [ws] …`), as services have written
  since 2026-01-17; the rest are bare (older builds, captured console.* output).
- `journal-<N>.json`: `journalctl -o json` records (≈500 B each) with the same message mix,
  5 % of MESSAGE values as byte arrays (ANSI colour), as journald stores them.

Stages (each reads the file from the page cache first; the read is not timed):

- `text-decode`: bytes → line frame (`journald_text.decode_lines`).
- `text`: the whole `journald_text.parse` (decode, mode detection, stamps, classifier).
- `classify`: `classify_log_messages` alone, on the file's messages (the part after `host ident[pid]: `).
- `json`: the whole `journald_json.parse`.
- `rg-text` / `grep-text`: `rg -c` / `grep -c` of a literal on the text file (raw scan ceiling).

`rss` prints the stage's own wall time, the peak RSS and the CPU time (user + system) of the
whole child process (start-up and file read included). `compare` parses the text and JSON
files with this tree and with `--ref` and checks that events, format, line counts and notes
are identical (a speed-up must not change a single value).

No assertion on timings anywhere: this prints, nothing gates on it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(os.environ.get("MOLTDIAG_BENCH_DIR", "/tmp/moltdiag-bench"))

# --- message mix ---------------------------------------------------------------------------

# (weight, template). `{ms}` `{n}` `{id}` `{conn}` are filled per line.
NOISE: list[tuple[int, str]] = [
    (40, "[ws] ⇄ res ✓ chat.history {ms}ms conn={conn}…a1b2 id={id}…1234"),
    (10, "[ws] ⇄ res ✓ sessions.list {ms}ms conn={conn}…a1b2 id={id}…5678"),
    (4, "[ws] ⇄ res ✗ chat.send {ms}ms errorCode=UNAVAILABLE conn={conn}…a1b2 id={id}…9abc"),
    (8, "[heartbeat] started"),
    (6, "[diagnostic] heartbeat: webhooks=0/0/0 active=1 waiting=0 queued={n}"),
    (6, "[agent/embedded] embedded run start: runId={uuid} sessionId={uuid} provider=anthropic "
        "model=claude-opus-4-5 thinking=low messageChannel=discord"),
    (6, "[agent/embedded] embedded run tool end: runId={uuid} tool=read toolCallId=toolu_{id}"),
    (5, "[diagnostic] message processed: channel=discord chatId=1465{n} messageId=14{n}7 sessionId={uuid} "
        "sessionKey=agent:main:discord:channel:1465 outcome=completed duration={ms}ms"),
    (4, "[ws] webchat connected conn={uuid} remote=127.0.0.1 client=cli-{id} cli v2026.1.24-3"),
    (3, "[ws] webchat disconnected code=1000 reason=n/a conn={uuid}"),
    (3, "[session-memory] Hook triggered for /new command"),
    (2, "[canvas] host mounted at http://127.0.0.1:18789/__clawdbot__/canvas/ (root /home/alice/.clawdbot/canvas)"),
    (2, "[gateway] agent model: anthropic/claude-opus-4-5"),
    (2, "[browser/service] Browser control service ready (profiles=2)"),
    (2, "[telegram] sendMessage ok chat={n} message={n}"),
]

# One or more lines for every kind the classifier knows (spec §1, §5; tests/test_openclaw_messages.py).
DIAGNOSTIC: list[str] = [
    "[discord] gateway: Attempting resume with backoff: 1000ms",
    "[discord] gateway: Attempting resume with backoff: 2000ms after code 1006",
    "[discord] gateway: Reconnecting with backoff: 4000ms after code 4009",
    "[discord] gateway: WebSocket connection closed with code 1005",
    "[discord] gateway: WebSocket connection closed with code 1006",
    "[discord] connection stalled: no HELLO received within 30000ms, forcing reconnect",
    "[discord] gateway did not reach READY within 30000ms",
    "[discord] gateway error: Fatal Gateway error: 4014",
    "[discord] gateway error: Max reconnect attempts (50) reached after code 1005",
    "[EventQueue] Slow listener detected: InteractionEventListener took 4503ms for event INTERACTION_CREATE",
    "[discord] Slow listener detected: DiscordMessageListener took 12.3 seconds for event MESSAGE_CREATE",
    '{"scope":"event-queue","level":"warn","type":"slow-listener","listener":"InteractionEventListener",'
    '"eventType":"INTERACTION_CREATE","durationMs":3241,"lane":"interactions"}',
    "[EventQueue] Listener DiscordMessageListener timed out after 30000ms for event MESSAGE_CREATE",
    "[discord] DiscordAPIError[10062]: Unknown interaction",
    "[discord] interaction reply skipped (interaction expired)",
    "[discord] [default] starting provider (@molty)",
    "[discord] logged in to discord as 123456789012345678",
    "[discord] [default] channel exited: Max reconnect attempts (50) reached after code 1005",
    "[discord:default] health-monitor: restarting (reason: stale-socket)",
    "[telegram] getUpdates conflict: Call to 'getUpdates' failed! (409: Conflict: terminated by other "
    "getUpdates request; make sure that only one bot instance is running); retrying in 30s.",
    "[telegram] Polling stall detected (no getUpdates for 120s); restarting polling",
    "[telegram] network error: fetch failed; retrying in 5s.",
    "[whatsapp] Web connection closed (status 440). Retry 2/12 in 4.46s… (status=440 Unknown Stream Errored (conflict))",
    "[whatsapp] Listening for personal WhatsApp inbound messages.",
    "[slack] socket-mode: A pong wasn't received from the server before the timeout of 5000ms!",
    "[slack] Now connected to Slack",
    "[signal] SSE connection lost, reconnecting in 2s",
    "[gateway] listening on ws://127.0.0.1:18789 (PID 43079)",
    "[gateway] signal SIGTERM received",
    "[gateway] received SIGTERM; shutting down",
    "[gateway] received SIGUSR1; restarting",
    "[openclaw] Uncaught exception: TypeError: Cannot read properties of undefined (reading 'id')",
    "Auto-compaction failed (context overflow). Restarting session agent:main:discord:channel:1465 -> "
    "0b6a1c2e-1111-2222-3333-444455556666 and retrying.",
    "[discord] Ignoring /reset from unauthorized sender: 123",
    "[discord] gateway: reconnect scheduled in 2500ms (zombie-connection, resume=true)",
]
# systemd's own lines about the unit (ident systemd, no console stamp).
SYSTEMD = [
    "Stopping openclaw-gateway.service - OpenClaw Gateway (v2026.1.30)...",
    "Stopped openclaw-gateway.service - OpenClaw Gateway (v2026.1.30).",
    "Started openclaw-gateway.service - OpenClaw Gateway (v2026.1.30).",
    "openclaw-gateway.service: Main process exited, code=exited, status=1/FAILURE",
    "openclaw-gateway.service: Scheduled restart job, restart counter is at 3.",
]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
START_EPOCH = 1769540710  # 2026-01-27T19:05:10Z


def _fill(template: str, rnd: random.Random) -> str:
    if "{" not in template or template.startswith("{"):
        return template
    return template.format(ms=rnd.randint(50, 900), n=rnd.randint(1, 99999), id=f"{rnd.getrandbits(32):08x}",
                           conn=f"{rnd.getrandbits(32):08x}", uuid=f"{rnd.getrandbits(64):016x}-4e5f-8a9b-{rnd.getrandbits(48):012x}")


def messages(n: int, seed: int = 1):
    """(epoch µs, ident, message) for n lines; ~0.3 s apart, 5 % diagnostic."""
    rnd = random.Random(seed)
    weights = [w for w, _ in NOISE]
    templates = [t for _, t in NOISE]
    us = START_EPOCH * 1_000_000
    batch = 4096
    noise = rnd.choices(templates, weights, k=batch)
    for i in range(n):
        us += rnd.randint(1, 600_000)
        r = rnd.random()
        if r < 0.045:
            yield us, "node", True, DIAGNOSTIC[rnd.randrange(len(DIAGNOSTIC))]
        elif r < 0.05:
            yield us, "systemd", False, SYSTEMD[rnd.randrange(len(SYSTEMD))]
        else:
            if i % batch == 0:
                noise = rnd.choices(templates, weights, k=batch)
            yield us, "node", True, _fill(noise[i % batch], rnd)


def _console_stamp(us: int) -> str:
    t = time.gmtime(us // 1_000_000)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{us // 1000 % 1000:03d}Z"


def gen_text(path: Path, n: int) -> None:
    rnd = random.Random(7)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        buf: list[str] = []
        for us, ident, console, msg in messages(n):
            t = time.gmtime(us // 1_000_000 + 3600)  # host local time: UTC+1
            # journalctl's `short`: `%b %d %H:%M:%S` (zero-padded day; syslog files pad with a space)
            head = f"{MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} alice-vps "
            head += "node[43079]: " if ident == "node" else "systemd[1021]: "
            if console and rnd.random() < 0.7:
                msg = _console_stamp(us) + " " + msg
            buf.append(head + msg + "\n")
            if len(buf) >= 65536:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    tmp.rename(path)


def gen_json(path: Path, n: int) -> None:
    import orjson

    rnd = random.Random(11)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        buf: list[bytes] = []
        for i, (us, ident, console, msg) in enumerate(messages(n, seed=3)):
            if console and rnd.random() < 0.7:
                msg = _console_stamp(us - rnd.randint(0, 2000)) + " " + msg
            message: object = msg
            if rnd.random() < 0.05:  # colour codes: journald stores the value as a byte array
                message = list(("\x1b[36m" + msg + "\x1b[39m").encode())
            rec = {
                "__CURSOR": f"s=03f0;i={i:x};b=deb4;m={us // 7:x};t={us:x};x=21dc",
                "__REALTIME_TIMESTAMP": str(us),
                "__MONOTONIC_TIMESTAMP": str(693800074 + i * 1000),
                "_BOOT_ID": "deb41e52398949dcb14c4a25cb000177",
                "_HOSTNAME": "alice-vps",
                "PRIORITY": "6" if ident == "node" else "5",
                "SYSLOG_IDENTIFIER": ident,
                "_PID": "43079" if ident == "node" else "1021",
                "_UID": "1000",
                "_TRANSPORT": "stdout" if ident == "node" else "journal",
                "_SYSTEMD_USER_UNIT": "openclaw-gateway.service",
                "MESSAGE": message,
            }
            buf.append(orjson.dumps(rec) + b"\n")
            if len(buf) >= 65536:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))
    tmp.rename(path)


def text_path(n: int) -> Path:
    return BENCH_DIR / f"journal-short-{n}.txt"


def json_path(n: int) -> Path:
    return BENCH_DIR / f"journal-{n}.json"


def ensure(n: int, json_n: int | None) -> tuple[Path, Path | None]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    tp = text_path(n)
    if not tp.exists():
        t0 = time.perf_counter()
        gen_text(tp, n)
        print(f"generated {tp} ({tp.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    jp = None
    if json_n:
        jp = json_path(json_n)
        if not jp.exists():
            t0 = time.perf_counter()
            gen_json(jp, json_n)
            print(f"generated {jp} ({jp.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
    return tp, jp


# --- stages --------------------------------------------------------------------------------

def run_stage(stage: str, path: Path) -> tuple[float, int, int]:
    """Run one stage; (seconds, bytes, rows)."""
    import polars as pl

    from moltdiag.parsers import journald_json, journald_text
    from moltdiag.parsers.base import InputFile
    from moltdiag.parsers.openclaw_messages import classify_log_messages
    from moltdiag.schema import conform

    data = path.read_bytes()
    size = len(data)
    if stage == "text-decode":
        t0 = time.perf_counter()
        lines, n, _ = journald_text.decode_lines(data)
        return time.perf_counter() - t0, size, n
    if stage == "text":
        inp = InputFile(name=str(path), data=data, path=path)
        del data
        t0 = time.perf_counter()
        parsed = journald_text.parse(inp)
        return time.perf_counter() - t0, size, parsed.events.height
    if stage == "classify":
        texts = pl.read_lines(data, name="raw")["raw"].str.splitn(": ", 2).struct.field("field_1")
        del data
        frame = conform(pl.DataFrame({"text": texts}))
        t0 = time.perf_counter()
        out = classify_log_messages(frame)
        return time.perf_counter() - t0, size, out.height
    if stage == "json":
        inp = InputFile(name=str(path), data=data, path=path)
        del data
        t0 = time.perf_counter()
        parsed = journald_json.parse(inp)
        return time.perf_counter() - t0, size, parsed.events.height
    if stage in ("rg-text", "grep-text"):
        tool = ["rg", "-c"] if stage == "rg-text" else ["grep", "-c"]
        t0 = time.perf_counter()
        out = subprocess.run([*tool, "closed with code", str(path)], capture_output=True, text=True, check=False)
        return time.perf_counter() - t0, size, int(out.stdout.strip() or 0)
    raise SystemExit(f"unknown stage {stage}")


def stage_file(stage: str, tp: Path, jp: Path | None) -> Path | None:
    return jp if stage == "json" else tp


def _fmt_row(stage: str, secs: float, size: int, rows: int, lines: int, rss_kb: int | None, path: Path,
             cpu: float | None = None) -> str:
    rss = f"{rss_kb / 1024:8.0f} MB {rss_kb * 1024 / size:5.2f}×" if rss_kb else " " * 17
    cpu_s = f"cpu {cpu:6.2f} s" if cpu is not None else " " * 12
    return (f"{stage:12s} {path.name:28s} {size / 1e6:8.0f} MB {secs:8.2f} s {size / 1e6 / secs:8.0f} MB/s "
            f"{lines / secs / 1e6:7.2f} M lines/s  {rss}  {cpu_s}  rows={rows}")


def _cpu(time_v: str) -> float | None:
    """user + system seconds from `/usr/bin/time -v` output."""
    user = re.search(r"User time \(seconds\): ([\d.]+)", time_v)
    system = re.search(r"System time \(seconds\): ([\d.]+)", time_v)
    return float(user.group(1)) + float(system.group(1)) if user and system else None


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))


def dump(path: Path, out: Path) -> None:
    """Parse one generated file and write its events (Parquet) and metadata (JSON)."""
    import json

    from moltdiag.parsers import journald_json, journald_text
    from moltdiag.parsers.base import InputFile

    module = journald_json if path.suffix == ".json" else journald_text
    parsed = module.parse(InputFile(name=path.name, data=path.read_bytes(), path=path))
    parsed.events.write_parquet(out.with_suffix(".parquet"))
    out.with_suffix(".json").write_text(json.dumps(
        {"format": parsed.format, "lines": parsed.lines, "notes": parsed.notes}, sort_keys=True))


def compare(paths: list[Path], ref: str) -> bool:
    import json
    import tempfile

    import polars as pl
    from polars.testing import assert_frame_equal

    same = True
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            outs = []
            for label, pythonpath in (("ref", ref), ("this", None)):
                out = Path(tmp) / f"{path.stem}-{label}"
                env = dict(os.environ)
                if pythonpath:
                    env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
                subprocess.run([sys.executable, __file__, "dump", str(path), str(out)], env=env, check=True)
                outs.append(out)
            a, b = (json.loads(o.with_suffix(".json").read_text()) for o in outs)
            try:
                assert a == b, f"metadata differs: {a} != {b}"
                assert_frame_equal(pl.read_parquet(outs[0].with_suffix(".parquet")),
                                   pl.read_parquet(outs[1].with_suffix(".parquet")))
                print(f"{path.name}: identical events ({a['lines']} lines)")
            except AssertionError as exc:
                same = False
                print(f"{path.name}: DIFFERENT\n{str(exc)[:2000]}")
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["gen", "time", "rss", "run", "compare", "dump"])
    ap.add_argument("stage", nargs="*", help="for `run`: one stage; for `dump`: FILE OUT")
    ap.add_argument("--lines", type=int, default=1_000_000, help="journald text lines (default 1 M)")
    ap.add_argument("--json-records", type=int, default=500_000, help="journald JSON records (0 = none)")
    ap.add_argument("--stages", default="text-decode,classify,text,json,rg-text,grep-text")
    ap.add_argument("--repeat", type=int, default=1, help="`time`: best of N")
    ap.add_argument("--ref", help="`rss`: time the package tree in this directory instead (PYTHONPATH); "
                                  "`compare`: the tree to compare with")
    args = ap.parse_args()

    if args.command == "dump":
        dump(Path(args.stage[0]), Path(args.stage[1]))
        return
    tp, jp = ensure(args.lines, args.json_records or None)
    if args.command == "gen":
        return
    if args.command == "compare":
        if not args.ref:
            raise SystemExit("compare needs --ref DIR")
        sys.exit(0 if compare([p for p in (tp, jp) if p is not None], args.ref) else 1)
    stages = args.stage[:1] if args.command == "run" else [s for s in args.stages.split(",") if s]
    stages = [s for s in stages if not (s == "json" and jp is None)]
    stages = [s for s in stages if not (s == "rg-text" and shutil.which("rg") is None)]
    counts = {p: _count_lines(p) for p in {tp, jp} if p is not None}
    for stage in stages:
        path = stage_file(stage, tp, jp)
        if args.command in ("time", "run"):
            best = None
            for _ in range(args.repeat):
                secs, size, rows = run_stage(stage, path)
                best = secs if best is None else min(best, secs)
            print(_fmt_row(stage, best, size, rows, counts[path], None, path), flush=True)
        else:  # rss: a child per stage, under /usr/bin/time -v
            if stage in ("rg-text", "grep-text"):  # the tool itself under time -v, not this script
                tool = ["rg", "-c"] if stage == "rg-text" else ["grep", "-c"]
                cmd = ["/usr/bin/time", "-v", *tool, "closed with code", str(path)]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                secs = time.perf_counter() - t0
                m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
                print(_fmt_row(stage, secs, path.stat().st_size, int(proc.stdout.strip() or 0), counts[path],
                               int(m.group(1)) if m else None, path, _cpu(proc.stderr)), flush=True)
                continue
            cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "run", stage, "--lines", str(args.lines),
                   "--json-records", str(args.json_records)]
            env = dict(os.environ)
            if args.ref:
                env["PYTHONPATH"] = os.pathsep.join(p for p in (args.ref, env.get("PYTHONPATH")) if p)
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
            if proc.returncode != 0 or not proc.stdout.strip():
                print(f"{stage}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            line = proc.stdout.strip().splitlines()[-1]
            fields = line.split()
            secs = float(fields[fields.index("s") - 1])
            rows = int(line.rsplit("rows=", 1)[1])
            size = path.stat().st_size
            print(_fmt_row(stage, secs, size, rows, counts[path], int(m.group(1)) if m else None, path,
                           _cpu(proc.stderr)), flush=True)


if __name__ == "__main__":
    main()
