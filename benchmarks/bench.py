#!/usr/bin/env python3
"""moltdiag speed, memory and rule-accuracy benchmark on generated gateway incidents.

    python benchmarks/bench.py                       # 8,000,000 journal lines (~1.2 GB), ~10 min on 2 cores
    python benchmarks/bench.py --lines 1000000 --keep --json results.json

One run generates a bundle with moltdiag.simulate (journal `-o short`, the first
--json-lines entries as `-o json`, transcripts + sessions.json, ground truth) and times, on
those same files:

  rg -c gateway / grep -c gateway      raw scans of the journal (the ceiling)
  lnav -n -c ';SELECT count(*) FROM all_logs'
                                       lnav headless, as measured in shared/spec/anchors.md §15
                                       (skipped with a note when lnav is not installed)
  moltdiag ingest                      parse + correlate: build_timeline() on the journal
  moltdiag check                       the rule catalogue alone: evaluate(load_rules(), timeline)
  moltdiag --low-memory                ingest + check of the journal in bounded memory (peak RSS,
                                       and whether its findings equal the default mode's)
  moltdiag ingest of the -o json file  (the ≥ 150 MB/s target)
  moltdiag ingest of the transcripts   (transcripts + sessions.json)
  moltdiag --help                      start-up time (median of 7)
  precision / recall of every rule     journal + transcripts against ground-truth.json

moltdiag runs in a child process (this script with --child) so that its peak RSS is its own
(os.wait4). Inputs are page-cached (just written): every figure is a hot-cache figure. The
script prints and never fails on a missed target; it is not part of CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {
    "ingest_vs_lnav": 15.0,  # moltdiag ingest at least 15× faster than lnav on the same file
    "ingest_vs_rg": 3.0,  # and at most 3× the time of `rg -c`
    "json_mb_s": 150.0,  # journald -o json ingest
    "check_share": 0.25,  # rule catalogue ≤ 25 % of ingest time
    "rss_ratio": 1.6,  # peak RSS ≤ 1.6 × input bytes
    "low_memory_mib": 300e6 / 2**20,  # --low-memory peak ≤ 300 MB for any input
    "help_ms": 300.0,  # moltdiag --help
}


# --------------------------------------------------------------------------- child: one moltdiag run


def child(mode: str, out: str, paths: list[str], tz: str | None) -> None:
    import resource

    began = time.perf_counter()
    import moltdiag

    if mode == "check-low-memory":  # as `moltdiag --low-memory` does before polars loads
        moltdiag._allocator(moltdiag.ALLOCATOR_LOW_MEMORY)
    from moltdiag.correlate.timeline import build_timeline
    from moltdiag.rules import evaluate, load_rules
    from moltdiag.rules.finding import iso_z

    res: dict = {"mode": mode, "import_s": time.perf_counter() - began}
    t = time.perf_counter()
    tl = build_timeline(paths, tz=tz, low_memory=mode == "check-low-memory")
    res["ingest_s"] = time.perf_counter() - t
    res["ingest_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res["events"] = tl.events.height
    res["lines"] = sum(p.lines for p in tl.inputs)
    res["inputs"] = len(tl.inputs)
    res["unparsed"] = sum(p.unparsed for p in tl.inputs)
    res["bytes"] = sum(p.size or 0 for p in tl.inputs)
    res["clock"] = tl.clock.how
    res["routine_not_kept"] = sum(p.routine_dropped for p in tl.inputs)
    if mode in ("check", "check-low-memory"):
        t = time.perf_counter()
        run = evaluate(load_rules(), tl)
        res["check_s"] = time.perf_counter() - t
        res["findings"] = [{"rule": f.rule, "ts": iso_z(f.ts), "severity": f.severity} for f in run.findings]
        res["evaluated"] = run.evaluated
        res["not_evaluated"] = [list(x) for x in run.not_evaluated]
        res["check_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if mode != "check":
            res["maxrss_kb"] = res["check_maxrss_kb"]
            Path(out).write_text(json.dumps(res))
            return
        # where the catalogue's time goes: each rule again, alone (the reset_cause check caches
        # its classification on the timeline; the cache is dropped so it is timed too)
        from moltdiag.rules.engine import run_rule, sources_present

        tl.__dict__.pop("_reset_cause_cache", None)
        present = sources_present(tl)
        per_rule = {}
        for rule in load_rules():
            t = time.perf_counter()
            run_rule(rule, tl, present)
            per_rule[rule.id] = time.perf_counter() - t
        res["per_rule_s"] = per_rule
    res["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Path(out).write_text(json.dumps(res))


# --------------------------------------------------------------------------- parent helpers


# A tiny launcher: Linux's ru_maxrss keeps the pre-exec high-water mark of a forked process, so a
# tool started straight from this (large) process would report this process's RSS. The launcher
# (a few MB) forks and execs the tool and reports the tool's own wait4() figures.
_LAUNCHER = r"""
import json, os, sys, time
res, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t
with open(res, "w") as fh:
    json.dump({"wall_s": wall, "rc": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}, fh)
"""


def wait4_run(cmd: list[str], *, env: dict | None = None, stdout_path: str | None = None) -> dict:
    """Run a command to completion: wall time, exit status and its own peak RSS (KiB)."""
    fd, res = tempfile.mkstemp(prefix="bench-rusage-", suffix=".json")
    os.close(fd)
    proc = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, res, stdout_path or os.devnull, *cmd],
                          stderr=subprocess.PIPE, env=env, check=False)
    try:
        out = json.loads(Path(res).read_text())
    except (OSError, ValueError):
        out = {"wall_s": float("nan"), "rc": proc.returncode, "maxrss_kb": 0}
    finally:
        Path(res).unlink(missing_ok=True)
    out["stderr"] = proc.stderr.decode(errors="replace")
    return out


def git_state() -> str | None:
    """The commit measured, and which moltdiag files differ from it (figures depend on both)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "moltdiag"],
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
    except (OSError, subprocess.TimeoutExpired):
        return None
    if not head:
        return None
    changed = [line[3:] for line in dirty if line.strip()]
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def version(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else None


def moltdiag_run(mode: str, paths: list[Path], workdir: Path, tz: str | None = None) -> dict:
    out = workdir / f"child-{mode}-{len(paths)}-{time.monotonic_ns()}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(out), *map(str, paths)]
    if tz:
        cmd += ["--tz", tz]
    r = wait4_run(cmd)
    if r["rc"] != 0 or not out.exists():
        return {"error": f"exit {r['rc']}: {r['stderr'][-2000:]}", "wall_s": r["wall_s"]}
    res = json.loads(out.read_text())
    res["wall_s"] = r["wall_s"]
    res["maxrss_kb"] = r["maxrss_kb"]  # the child's own peak (its self-report agrees, launched small)
    out.unlink()
    return res


def best_of(cmd: list[str], n: int, stdout_path: str, env: dict | None = None) -> dict:
    """Best wall time of n runs. Output goes to a real file: GNU grep stops at the first match
    when its stdout is /dev/null, which would time nothing."""
    runs = [wait4_run(cmd, env=env, stdout_path=stdout_path) for _ in range(n)]
    best = min(runs, key=lambda r: r["wall_s"])
    best["runs"] = [round(r["wall_s"], 4) for r in runs]
    best["output"] = Path(stdout_path).read_text().strip()
    return best


def fmt_mb(b: float) -> str:
    return f"{b / 1e6:,.1f} MB"


# --------------------------------------------------------------------------- accuracy


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def accuracy(truth: dict, findings: list[dict], evaluated: list[str]) -> dict:
    incs = truth["incidents"]
    for inc in incs:
        inc["_a"], inc["_b"] = _ts(inc["range"]["start"]), _ts(inc["range"]["end"])
    rules = sorted(set(evaluated) | {r for i in incs for r in i["expect"]} | {f["rule"] for f in findings})
    per = {r: {"findings": 0, "tp": 0, "fp": 0, "expected": 0, "found": 0, "violations": 0} for r in rules}
    matched: set[tuple[str, str]] = set()
    violations = []
    for f in findings:
        ts = _ts(f["ts"])
        stats = per[f["rule"]]
        stats["findings"] += 1
        hits = [i for i in incs if f["rule"] in i["expect"] and i["_a"] <= ts <= i["_b"]]
        if hits:
            stats["tp"] += 1
            matched.update((i["id"], f["rule"]) for i in hits)
            continue
        stats["fp"] += 1
        bad = [i for i in incs if f["rule"] in i["must_not_fire"] and i["_a"] <= ts <= i["_b"]]
        if bad:
            stats["violations"] += 1
            violations.append({"rule": f["rule"], "ts": f["ts"], "in": [f"{i['id']} {i['family']}" for i in bad]})
    for inc in incs:
        for r in inc["expect"]:
            if r in evaluated:
                per[r]["expected"] += 1
                per[r]["found"] += (inc["id"], r) in matched
    for r, s in per.items():
        s["precision"] = s["tp"] / s["findings"] if s["findings"] else None
        s["recall"] = s["found"] / s["expected"] if s["expected"] else None
        s["evaluated"] = r in evaluated
    controls = [i for i in incs if i["kind"] == "control"]
    tot = {k: sum(s[k] for s in per.values()) for k in ("findings", "tp", "fp", "expected", "found")}
    tot["precision"] = tot["tp"] / tot["findings"] if tot["findings"] else None
    tot["recall"] = tot["found"] / tot["expected"] if tot["expected"] else None
    return {"rules": per, "total": tot, "violations": violations, "controls": len(controls),
            "control_violations": sum(1 for v in violations if any(" daily" in x or "typed-new" in x for x in v["in"]))}


# --------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        ap = argparse.ArgumentParser()
        ap.add_argument("--child", dest="mode")
        ap.add_argument("out")
        ap.add_argument("paths", nargs="+")
        ap.add_argument("--tz")
        a = ap.parse_args()
        child(a.mode, a.out, a.paths, a.tz)
        return 0

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=8_000_000, help="journal lines to generate (default 8,000,000)")
    ap.add_argument("--json-lines", type=int, help="entries written as -o json (default min(lines, 1,000,000))")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--transcripts", type=int, help="background transcripts (default lines/4000)")
    ap.add_argument("--turns", type=int, default=12, help="mean user turns per transcript (default 12)")
    ap.add_argument("--dir", help="generate into DIR (default: a temporary directory)")
    ap.add_argument("--reuse", help="skip generation: use a bundle generated earlier into DIR")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--skip", default="",
                    help="comma list of steps to skip: lnav,scans,short,low-memory,bundle,json,transcripts,help")
    ap.add_argument("--json", dest="json_out", help="also write every figure to this JSON file")
    args = ap.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    import polars as pl

    from moltdiag import __version__ as md_version
    from moltdiag.simulate import JSON_PATH, SESSIONS_DIR, SHORT_PATH, generate

    results: dict = {"date": date.today().isoformat(), "argv": sys.argv, "machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(), "polars": pl.__version__,
        "moltdiag": md_version, "platform": platform.platform(),
        "lnav": version(["lnav", "-V"]) if shutil.which("lnav") else None,
        "rg": version(["rg", "--version"]) if shutil.which("rg") else None,
        "grep": version(["grep", "--version"]),
    }}
    m = results["machine"]
    m["git"] = git_state()
    print(f"moltdiag {md_version} benchmark — {results['date']}, {m['cpus']} CPUs, Python {m['python']}, "
          f"polars {m['polars']}, {m['lnav'] or 'lnav: not installed'}, {m['rg'] or 'rg: not installed'}")
    print(f"moltdiag at {m['git'] or 'unknown commit'}")
    print("inputs are page-cached (just generated): hot-cache figures\n")

    tmp = None
    if args.reuse:
        work = Path(args.reuse)
        truth = json.loads((work / "ground-truth.json").read_text())
        print(f"reusing {work} ({truth['params']['lines']:,} lines, seed {truth['params']['seed']})")
    else:
        if args.dir:
            work = Path(args.dir)
        else:
            tmp = tempfile.mkdtemp(prefix="moltdiag-bench-")
            work = Path(tmp)
        json_lines = args.json_lines if args.json_lines is not None else min(args.lines, 1_000_000)
        t = time.perf_counter()
        truth = generate(work, lines=args.lines, seed=args.seed, formats=("short", "json", "transcripts"),
                         json_lines=json_lines, transcripts=args.transcripts, turns=args.turns)
        gen_s = time.perf_counter() - t
        results["generate"] = {"seconds": gen_s, "files": truth["files"]}
        print(f"generated into {work} in {gen_s:.1f} s (seed {args.seed}):")
        for rel, info in truth["files"].items():
            n = info.get("lines", info.get("transcripts"))
            print(f"  {rel:32s} {n:>12,} {'lines' if 'lines' in info else 'transcripts'}  {fmt_mb(info['bytes']):>12}")
    short, jsonf, state = work / SHORT_PATH, work / JSON_PATH, work / SESSIONS_DIR
    short_bytes = short.stat().st_size
    short_lines = truth["files"][SHORT_PATH]["lines"]
    print()

    try:
        rows: list[tuple] = []  # (label, seconds, bytes, lines, rss_kb, note)

        # ---- raw scans and lnav
        scans = {}
        if "scans" not in skip:
            wc = best_of(["wc", "-l", str(short)], 3, str(work / "wc.out"))
            scans["wc"] = wc
            rows.append(("wc -l (read every byte)", wc["wall_s"], short_bytes, short_lines, wc["maxrss_kb"],
                         f"best of {wc['runs']}"))
            for tool in ("rg", "grep"):
                if not shutil.which(tool):
                    print(f"{tool}: not installed, skipped")
                    continue
                r = best_of([tool, "-c", "gateway", str(short)], 3, str(work / f"{tool}.out"))
                scans[tool] = r
                rows.append((f"{tool} -c gateway", r["wall_s"], short_bytes, short_lines, r["maxrss_kb"],
                             f"{r['output']} matching lines, best of {r['runs']}"))
        results["scans"] = scans
        lnav = None
        if "lnav" not in skip:
            if shutil.which("lnav"):
                home = tempfile.mkdtemp(prefix="lnav-home-")
                env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": home}
                out = str(work / "lnav.out")
                lnav = wait4_run(["lnav", "-n", "-c", ";SELECT count(*) FROM all_logs", str(short)], env=env,
                                 stdout_path=out)
                lnav["output"] = Path(out).read_text().split()
                shutil.rmtree(home, ignore_errors=True)
                rows.append(("lnav -n ';SELECT count(*) FROM all_logs'", lnav["wall_s"], short_bytes, short_lines,
                             lnav["maxrss_kb"], f"count {lnav['output'][-1] if lnav['output'] else '?'}"))
            else:
                print("lnav: not installed, skipped (Debian/Ubuntu: apt-get install lnav)")
        results["lnav"] = lnav

        # ---- moltdiag on the journal alone
        md_short = None
        if "short" not in skip:
            md_short = moltdiag_run("check", [short], work)
            results["moltdiag_short"] = {k: v for k, v in md_short.items() if k != "findings"}
            if "error" in md_short:
                print("moltdiag on the journal failed:", md_short["error"])
            else:
                rows.append(("moltdiag ingest (parse + correlate)", md_short["ingest_s"], short_bytes, short_lines,
                             md_short["ingest_maxrss_kb"], f"{md_short['events']:,} events"))
                rows.append(("moltdiag check (rule catalogue only)", md_short["check_s"], short_bytes, short_lines,
                             md_short["check_maxrss_kb"], f"{len(md_short['findings'])} findings"))

        # ---- the same journal under --low-memory (ingest and check in one bounded-memory run)
        md_low = None
        if "short" not in skip and "low-memory" not in skip:
            md_low = moltdiag_run("check-low-memory", [short], work)
            results["moltdiag_low_memory"] = {k: v for k, v in md_low.items() if k != "findings"}
            if "error" in md_low:
                print("moltdiag --low-memory on the journal failed:", md_low["error"])
            else:
                same = (md_short is not None and "error" not in md_short
                        and sorted((f["rule"], f["ts"]) for f in md_low["findings"])
                        == sorted((f["rule"], f["ts"]) for f in md_short["findings"]))
                results["moltdiag_low_memory"]["same_findings"] = same
                rows.append(("moltdiag --low-memory (ingest + check)", md_low["ingest_s"] + md_low["check_s"],
                             short_bytes, short_lines, md_low["maxrss_kb"],
                             f"{len(md_low['findings'])} findings ({'same as' if same else 'DIFFERENT from'} "
                             f"the default), {md_low['events']:,} rows kept"))

        print(f"journal -o short: {short.relative_to(work)}, {fmt_mb(short_bytes)}, {short_lines:,} lines")
        print(f"  {'step':44s} {'wall s':>8s} {'MB/s':>9s} {'lines/s':>11s} {'peak RSS':>11s}  note")
        for label, secs, b, n, rss, note in rows:
            print(f"  {label:44s} {secs:8.2f} {b / 1e6 / secs:9.1f} {n / secs:11,.0f} {rss / 1024:8,.0f} MiB  {note}")

        if md_short and "error" not in md_short:
            slow = sorted(md_short["per_rule_s"].items(), key=lambda kv: -kv[1])
            print("  check, per rule (each run alone): " + ", ".join(f"{r} {s:.2f} s" for r, s in slow[:6])
                  + f"; the other {len(slow) - 6} together {sum(s for _, s in slow[6:]):.2f} s")

        ratios = {}
        if md_short and "error" not in md_short:
            ing = md_short["ingest_s"]
            if lnav and lnav.get("rc") == 0:
                ratios["ingest_vs_lnav"] = lnav["wall_s"] / ing
            if "rg" in scans:
                ratios["ingest_vs_rg"] = ing / scans["rg"]["wall_s"]
            ratios["check_share"] = md_short["check_s"] / ing
            ratios["rss_ratio"] = md_short["ingest_maxrss_kb"] * 1024 / short_bytes
            ratios["rss_ratio_with_check"] = md_short["check_maxrss_kb"] * 1024 / short_bytes
        if md_low and "error" not in md_low:
            ratios["low_memory_mib"] = md_low["maxrss_kb"] / 1024

        # ---- journal JSON
        if "json" not in skip and jsonf.exists():
            md_json = moltdiag_run("check", [jsonf], work)
            results["moltdiag_json"] = {k: v for k, v in md_json.items() if k != "findings"}
            if "error" in md_json:
                print("moltdiag on the JSON journal failed:", md_json["error"])
            else:
                jb = jsonf.stat().st_size
                ratios["json_mb_s"] = jb / 1e6 / md_json["ingest_s"]
                ratios["json_rss_ratio"] = md_json["ingest_maxrss_kb"] * 1024 / jb
                print(f"\njournal -o json: {jsonf.relative_to(work)}, {fmt_mb(jb)}, {md_json['lines']:,} lines")
                print(f"  moltdiag ingest  {md_json['ingest_s']:8.2f} s  {ratios['json_mb_s']:7.1f} MB/s  "
                      f"{md_json['lines'] / md_json['ingest_s']:10,.0f} lines/s  peak RSS "
                      f"{md_json['ingest_maxrss_kb'] / 1024:,.0f} MiB ({ratios['json_rss_ratio']:.2f}× input)")
                share = md_json["check_s"] / md_json["ingest_s"]
                print(f"  moltdiag check   {md_json['check_s']:8.2f} s  ({share:.0%} "
                      f"of ingest), {len(md_json['findings'])} findings")

        # ---- transcripts
        if "transcripts" not in skip and state.exists():
            md_tx = moltdiag_run("ingest", [state], work)
            results["moltdiag_transcripts"] = md_tx
            if "error" in md_tx:
                print("moltdiag on the transcripts failed:", md_tx["error"])
            else:
                tb = truth["files"][SESSIONS_DIR]["bytes"]
                nfiles = truth["files"][SESSIONS_DIR]["transcripts"]
                print(f"\ntranscripts: {nfiles:,} files + sessions.json, {fmt_mb(tb)}")
                print(f"  moltdiag ingest  {md_tx['ingest_s']:8.2f} s  {tb / 1e6 / md_tx['ingest_s']:7.1f} MB/s  "
                      f"{nfiles / md_tx['ingest_s']:8,.0f} files/s  peak RSS {md_tx['maxrss_kb'] / 1024:,.0f} MiB  "
                      f"(target: 1 GB over 10,000 files in < 10 s; at this rate ≈ "
                      f"{max(1e9 / (tb / md_tx['ingest_s']), 10_000 / (nfiles / md_tx['ingest_s'])):.0f} s)")
                ratios["transcripts_mb_s"] = tb / 1e6 / md_tx["ingest_s"]

        # ---- the whole bundle: accuracy of every rule
        if "bundle" not in skip and state.exists():
            md_all = moltdiag_run("check", [short, state], work)
            if "error" in md_all:
                print("moltdiag on the bundle failed:", md_all["error"])
            else:
                acc = accuracy(truth, md_all["findings"], md_all["evaluated"])
                results["moltdiag_bundle"] = {k: v for k, v in md_all.items() if k != "findings"}
                results["accuracy"] = acc
                print(f"\nrule accuracy: journal -o short + transcripts ({md_all['ingest_s']:.1f} s ingest, "
                      f"{md_all['check_s']:.1f} s check, {len(md_all['findings'])} findings); a finding matches an "
                      "injected incident when its rule is expected there and its ts lies in the incident's range")
                print(f"  {'rule':30s} {'findings':>8s} {'TP':>5s} {'FP':>4s} {'precision':>9s} "
                      f"{'incidents':>9s} {'found':>5s} {'recall':>7s}")
                for r, s in acc["rules"].items():
                    prec = "—" if s["precision"] is None else f"{s['precision']:.3f}"
                    rec = "—" if s["recall"] is None else f"{s['recall']:.3f}"
                    if not s["evaluated"]:
                        rec += " (not run)"
                    print(f"  {r:30s} {s['findings']:8d} {s['tp']:5d} {s['fp']:4d} {prec:>9s} {s['expected']:9d} "
                          f"{s['found']:5d} {rec:>7s}")
                t = acc["total"]
                print(f"  {'all rules':30s} {t['findings']:8d} {t['tp']:5d} {t['fp']:4d} "
                      f"{(t['precision'] or 0):9.3f} {t['expected']:9d} {t['found']:5d} {(t['recall'] or 0):7.3f}")
                print(f"  negative controls: {acc['controls']} (typed /new on a quiet gateway, daily resets); "
                      f"findings of a must-not-fire rule inside a control or near-miss: {len(acc['violations'])}")
                for v in acc["violations"][:10]:
                    print(f"    {v['rule']} at {v['ts']} in {', '.join(v['in'])}")

        # ---- start-up
        if "help" not in skip:
            exe = shutil.which("moltdiag")
            cmd = [exe, "--help"] if exe else [sys.executable, "-m", "moltdiag", "--help"]
            times = []
            for _ in range(7):
                t = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                times.append((time.perf_counter() - t) * 1000)
            ratios["help_ms"] = statistics.median(times)
            results["help_ms"] = times
            print(f"\n`{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}`: median "
                  f"{ratios['help_ms']:.0f} ms (min {min(times):.0f} ms, 7 runs)")

        # ---- targets
        results["ratios"] = ratios
        print("\ntargets (issue 6, 2 cores):")
        checks = [
            ("ingest_vs_lnav", "journal ingest vs lnav (× faster)", lambda v: f"{v:.1f}×",
             lambda v: v >= TARGETS["ingest_vs_lnav"], "≥ 15×"),
            ("ingest_vs_rg", "journal ingest / rg -c time", lambda v: f"{v:.1f}×",
             lambda v: v <= TARGETS["ingest_vs_rg"], "≤ 3×"),
            ("json_mb_s", "journald -o json ingest", lambda v: f"{v:.0f} MB/s",
             lambda v: v >= TARGETS["json_mb_s"], "≥ 150 MB/s"),
            ("check_share", "rule catalogue / ingest time", lambda v: f"{v:.0%}",
             lambda v: v <= TARGETS["check_share"], "≤ 25 %"),
            ("rss_ratio", "peak RSS of ingest / journal bytes", lambda v: f"{v:.2f}×",
             lambda v: v <= TARGETS["rss_ratio"], "≤ 1.6×"),
            ("low_memory_mib", "peak RSS with --low-memory", lambda v: f"{v:.0f} MiB",
             lambda v: v <= TARGETS["low_memory_mib"], "≤ 300 MB"),
            ("help_ms", "moltdiag --help", lambda v: f"{v:.0f} ms", lambda v: v < TARGETS["help_ms"], "< 300 ms"),
        ]
        results["targets"] = {}
        for key, label, show, ok, target in checks:
            if key not in ratios:
                print(f"  {label:40s} {'not measured':>12s}   target {target}")
                continue
            met = ok(ratios[key])
            results["targets"][key] = {"value": ratios[key], "target": target, "met": met}
            print(f"  {label:40s} {show(ratios[key]):>12s}   target {target:10s} {'met' if met else 'NOT MET'}")
    finally:
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(results, indent=1, default=str) + "\n")
            print(f"\nwrote {args.json_out}")
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif not args.reuse:
            print(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
