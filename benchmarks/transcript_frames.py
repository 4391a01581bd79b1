"""Before/after check and timing for the JSONL readers (transcripts, commands.log, sessions.json).

    python benchmarks/transcript_frames.py save  OUT PATH...   # parse every file, store the results
    python benchmarks/transcript_frames.py check OUT PATH...   # parse again, compare with OUT
    python benchmarks/transcript_frames.py time  PATH...       # parse time of the transcripts alone
    python benchmarks/transcript_frames.py tricky DIR          # write the tricky-line corpus to DIR
    python benchmarks/transcript_frames.py stages PATH...      # CPU time of each step of build_timeline

A speed-up of a reader must not change a single value: `check` compares `ParsedSource.events`
(null-aware `DataFrame.equals`, schema included), `lines`, `notes` and `format` of every file,
and the message of every `InputError`. Files are picked by name: `*.jsonl*` and names the
transcript reader matches go to `transcript.parse`, `sessions.json*` to `session_store.parse`,
`commands.log*` to `commands_log.parse`. The parsers are called directly (no sniffing), so the
check does not depend on `parsers/__init__.py`.

Nothing here gates anything; it prints and exits 1 on a difference.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import polars as pl

from moltdiag.parsers import commands_log, session_store, transcript
from moltdiag.parsers.base import InputError, InputFile


def _module(p: Path):
    name = p.name
    if name.startswith("sessions.json"):
        return session_store
    if name.startswith("commands.log"):
        return commands_log
    if ".jsonl" in name or transcript.match_name(name):
        return transcript
    return None


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        p = Path(path)
        cands = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        out.extend(f for f in cands if _module(f) is not None)
    return out


def _parse_all(files: list[Path]) -> tuple[list[dict], pl.DataFrame]:
    meta: list[dict] = []
    frames: list[pl.DataFrame] = []
    for f in files:
        mod = _module(f)
        try:
            res = mod.parse(InputFile(name=str(f), data=f.read_bytes(), path=f))
        except InputError as exc:
            meta.append({"file": str(f), "parser": mod.FORMAT, "error": str(exc)})
            continue
        meta.append({"file": str(f), "parser": mod.FORMAT, "format": res.format, "lines": res.lines,
                     "notes": res.notes, "rows": res.events.height, "source": res.source})
        frames.append(res.events.with_columns(pl.lit(len(meta) - 1, pl.Int64).alias("_file")))
    return meta, (pl.concat(frames) if frames else pl.DataFrame())


def save(out: str, paths: list[str]) -> None:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    meta, df = _parse_all(_files(paths))
    df.write_parquet(d / "events.parquet", compression="zstd")
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0))
    print(f"saved {len(meta)} files, {df.height} rows to {d} (parsed by {Path(transcript.__file__).parents[2]})")


def check(out: str, paths: list[str]) -> int:
    d = Path(out)
    ref_meta = json.loads((d / "meta.json").read_text())
    ref = pl.read_parquet(d / "events.parquet")
    meta, df = _parse_all(_files(paths))
    bad = 0
    if [m["file"] for m in meta] != [m["file"] for m in ref_meta]:
        print("DIFF: not the same file list")
        return 1
    for a, b in zip(meta, ref_meta):
        if a != b:
            bad += 1
            if bad <= 10:
                print(f"DIFF meta {a['file']}:\n  now {a}\n  ref {b}")
    if df.schema != ref.schema:
        print(f"DIFF schema:\n  now {df.schema}\n  ref {ref.schema}")
        return 1
    if not df.equals(ref, null_equal=True):
        bad += 1
        if df.height == ref.height:
            for name in df.columns:
                a, b = df[name], ref[name]
                neq = ~(a.eq_missing(b))
                if neq.any():
                    idx = neq.arg_true()[:5].to_list()
                    print(f"DIFF column {name} at rows {idx}: now {a.gather(idx).to_list()} ref {b.gather(idx).to_list()}")
        else:
            print(f"DIFF rows: now {df.height} ref {ref.height}")
    print(f"{'IDENTICAL' if not bad else 'DIFFERENT'}: {len(meta)} files, {df.height} rows "
          f"(parsed by {Path(transcript.__file__).parents[2]})")
    return 1 if bad else 0


def timing(paths: list[str]) -> None:
    files = [f for f in _files(paths) if _module(f) is transcript]
    datas = [(f, f.read_bytes()) for f in files]
    total = sum(len(b) for _, b in datas)
    t, c = time.perf_counter(), time.process_time()
    rows = 0
    for f, b in datas:
        rows += transcript.parse(InputFile(name=str(f), data=b, path=f)).events.height
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"{len(files)} transcripts, {total / 1e6:.1f} MB, {rows} rows: {dt:.2f} s wall, {dc:.2f} s CPU "
          f"({total / 1e6 / dt:.1f} MB/s, {len(files) / dt:.0f} files/s)")


# Lines that exercise every branch of the reader: each file below is one case.
_H = '{"type":"session","version":3,"id":"%s","timestamp":"2026-01-27T19:05:10.412Z","cwd":"/w"}'
U1 = "11111111-2222-4333-8444-555555555555"
U2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
TRICKY: dict[str, bytes] = {
    f"{U1}.jsonl": "\n".join([
        _H % U1,
        '{"type":"message","id":"a","timestamp":"2026-01-27T19:05:11Z","message":{"role":"user","content":"plain string [message_id: 42]"}}',
        '{"type":"message","id":"b","timestamp":"2026-01-27T19:05:12+01:00","message":{"role":"user","content":[{"type":"text","text":"A new session was started via /new or /reset. hi"},{"type":"image"},"bare",7,{"type":"thinking","thinking":"x"},{"type":"weird"}]}}',
        '{"type":"message","id":"c","timestamp":"2026-01-27 19:05:13","message":{"role":"assistant","content":[{"type":"toolCall","name":"exec"},{"type":"text","text":"  ✅ New session started · model: x"}],"model":"delivery-mirror","stopReason":"stop"}}',
        '{"type":"message","id":"d","message":{"role":"assistant","content":[],"stopReason":"injected","errorMessage":"boom","timestamp":1769540713000}}',
        '{"type":"message","id":"e","timestamp":1769540714000,"message":{"role":"assistant","content":null,"stopReason":5}}',
        '{"type":"message","id":"f","timestamp":"garbage","message":{"role":"toolResult","toolName":"read","isError":true,"content":[{"type":"text","text":"no such file"}]}}',
        '{"type":"message","id":"g","timestamp":"2026-01-27T19:05:15z","message":{"role":"toolResult","content":"ok"}}',
        '{"type":"message","id":"h","timestamp":"2026-01-27T19:05:16Z","message":{"role":"system","content":{"a":1}}}',
        '{"type":"message","id":"i","timestamp":"2026-01-27T19:05:16Z","message":"not a dict"}',
        '{"type":"message","id":"j","timestamp":"2026-01-27T19:05:16Z"}',
        '{"type":"message","id":"k","timestamp":"2026-01-27T19:05:16Z","message":{"content":"no role"}}',
        '{"type":"compaction","timestamp":"2026-01-27T19:05:17Z","tokensBefore":123,"firstKeptEntryId":"x","fromHook":true,"summary":{"s":1}}',
        '{"type":"model_change","timestamp":"2026-01-27T19:05:18Z","provider":"p","modelId":"m"}',
        '{"type":"custom","customType":"model-snapshot","data":{"provider":"p","modelId":"m","modelApi":"a"},"timestamp":"2026-01-27T19:05:18Z"}',
        '{"type":"custom","customType":"other","data":[1,2],"timestamp":"2026-01-27T19:05:18Z"}',
        '{"type":"custom","customType":"model-snapshot","data":"str","timestamp":"2026-01-27T19:05:18Z"}',
        '{"type":"thinking_level_change","thinkingLevel":"high","timestamp":"2026-01-27T19:05:19Z"}',
        '{"type":"custom_message","customType":"ct","content":[{"type":"text","text":"t"}],"timestamp":"2026-01-27T19:05:19Z"}',
        '{"type":"branch_summary","fromId":"z","summary":"s","timestamp":"2026-01-27T19:05:19Z"}',
        '{"type":"label","targetId":"t","label":"l","timestamp":"2026-01-27T19:05:19Z"}',
        '{"type":"session_info","name":"n","timestamp":"2026-01-27T19:05:19Z"}',
        '{"type":"reset","reason":"daily","firstKeptEntryId":"q","timestamp":"2026-01-27T19:05:19Z"}',
        '{"type":"reset","reason":{"x":1}}',
        '{"type":"reset"}',
        '{"type":{"nested":true},"timestamp":"2026-01-27T19:05:20Z"}',
        '{"type":"unknown_kind","timestamp":"2026-01-27T19:05:20Z","x":"y"}',
        '{"no_type":1}',
        '[1,2,3]',
        '"just a string"',
        '42',
        'null',
        'not json at all {',
        '',
        '   ',
        '{"type":"message","timestamp":"2026-01-27T19:05:21.123456789Z","message":{"role":"user","content":[{"type":"text","text":"Conversation info (untrusted metadata):\\n```json\\n{\\"message_id\\": \\"9876\\"}\\n```"}]}}',
        '{"type":"message","timestamp":"2026-01-27T19:05:22Z","message":{"role":"user","content":"A new session was started via /new. old prompt [message_id: 1] [message_id: 2]"}}',
        '{"type":"message","timestamp":{"a":1},"message":{"role":"user","content":"ts is an object"}}',
        '{"type":"message","timestamp":true,"message":{"role":"user","content":"ts is bool","timestamp":true}}',
        '{"type":"message","message":{"role":"user","content":"ts NaN-ish","timestamp":1e20}}',
        '{"type":"message","message":{"role":"user","content":"float ms","timestamp":1769540713000.6}}',
        '{"type":"message","timestamp":"","message":{"role":"user","content":"empty ts"}}',
        '{"type":"message","timestamp":" 2026-01-27T19:05:23Z ","message":{"role":"user","content":"spaced ts"}}',
        '{"type":"message","timestamp":"2026-01-27T19:05:23.5-05:30","message":{"role":"user","content":"offset ts"}}',
        '{"type":"message","timestamp":"2026-01-27T19:05:23","message":{"role":"user","content":"\\u0000 nul escape and \\ud83d\\ude00 emoji"}}',
        '{"type":"session","version":3,"id":"","timestamp":"2026-01-27T19:06:00Z"}',
        '{"type":"session","id":5}',
        '{"type":"session","version":2,"id":"%s","timestamp":"nope","cwd":"/x","parentSession":"/p/old.jsonl"}' % U2,
        '{"type":"message","timestamp":"2026-01-27T19:06:01Z","message":{"role":"user","content":"after second header"}}',
        '{"type":"message","timestamp":"2026-01-27T19:06:01Z","message":{"role":"user","content":"dup key"},"message":{"role":"assistant","content":"dup wins?"}}',
        '{"type":"message","timestamp":"2026-01-27T19:06:02Z","message":{"role":"user","content":"trailing"}}   ',
    ]).encode() + b"\n",
    # CRLF, BOM, invalid UTF-8, no trailing newline
    f"{U2}.jsonl": b"\xef\xbb\xbf" + (_H % U2).encode() + b"\r\n"
    + b'{"type":"message","timestamp":"2026-01-27T19:05:11Z","message":{"role":"user","content":"bad \xff\xfe bytes"}}\r\n'
    + b'\r\n'
    + b'{"type":"message","timestamp":"2026-01-27T19:05:12Z","message":{"role":"assistant","content":"x\\r\\ny","stopReason":"stop"}}\r\n'
    + b'garbled \xc3\x28 line\r\n'
    + b'{"type":"message","timestamp":"2026-01-27T19:05:13Z","message":{"role":"user","content":"no newline at end"}}',
    # garbled header, no uuid in the name
    "notes.jsonl": b'{"type":"sess\n' + (_H % U1).encode() + b"\n" + b'{"type":"message","message":{"role":"user","content":"x"}}\n',
    # no header at all, archived (.bak.) name, file-name session id
    f"{U1}.jsonl.bak.2026-01-27T19-05-10.512Z": b'{"type":"message","timestamp":"2026-01-27T19:05:11Z","message":{"role":"user","content":"x"}}\n',
    f"{U2}-topic-42.jsonl.reset.2026-01-27T19-05-10Z": (_H % U1).encode() + b"\n",
    f"2026-01-27T19-05-10-512Z_{U1}.jsonl": (_H % U2).encode() + b"\n[]\n",
    f"{U1}.jsonl.deleted.2026-01-27T19-05-10.512Z": b"",
    "only-blank.jsonl": b"\n\n  \n",
    "lone-cr.jsonl": b'{"type":"message","message":{"role":"user","content":"a\rb"}}\r\r\n{"type":"x"}\r',
    "unicode-seps.jsonl": '{"type":"message","message":{"role":"user","content":"line\u2028sep\u0085nel"}}\n{"type":"x"}\x0b\n'.encode(),
    "nul.jsonl": b'{"type":"session"}\n\x00\n',
    "commands.log": b'{"timestamp":"2026-01-27T19:05:10Z","action":"new","sessionKey":"agent:main:main","senderId":"1","source":"discord"}\nnot json\n\n[1]\n',
}


def tricky(out: str) -> None:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    for name, data in TRICKY.items():
        (d / name).write_bytes(data)
    print(f"wrote {len(TRICKY)} files to {d}")


def stages(paths: list[str]) -> None:
    """CPU seconds of each step `build_timeline` takes, run one after the other in this process:
    the walk, opening the inputs, sniffing each with every parser module in order, each sniffer
    alone, parsing, and the correlator. Process CPU time, so a busy shared machine inflates it
    less than wall time."""

    from moltdiag.correlate.timeline import timeline_from_parsed
    from moltdiag.parsers import containers, expand_paths, parser_modules
    from moltdiag.parsers import sniff as sniff_input

    clock = time.process_time
    out: list[tuple[str, float]] = []
    t = clock()
    files = expand_paths(paths)
    out.append((f"expand_paths ({len(files)} files)", clock() - t))
    t = clock()
    inputs = [inp for path, _ in files for inp in containers.expand(path)]
    out.append(("containers.expand", clock() - t))
    t = clock()
    total = 0
    for inp in inputs:
        total += len(inp.head)
    out.append(("read heads", clock() - t))
    modules = parser_modules()
    t = clock()
    chosen = [sniff_input(inp, modules)[0] for inp in inputs]
    out.append(("sniff (as load_inputs does)", clock() - t))
    for mod in modules:
        t = clock()
        for inp in inputs:
            mod.sniff(Path(inp.name), inp.head)
        out.append((f"  {mod.__name__.rsplit('.', 1)[-1]}.sniff on every file", clock() - t))
    t = clock()
    for inp in inputs:
        len(inp.data)
    out.append(("read whole files", clock() - t))
    parsed = []
    by_format: dict[str, float] = {}
    for inp, mod in zip(inputs, chosen):
        t0 = clock()
        parsed.append(mod.parse(inp))
        by_format[mod.FORMAT] = by_format.get(mod.FORMAT, 0.0) + clock() - t0
    for fmt, secs in by_format.items():
        out.append((f"parse {fmt}", secs))
    t = clock()
    tl = timeline_from_parsed(parsed, [])
    out.append((f"timeline_from_parsed ({tl.events.height} events)", clock() - t))
    for what, secs in out:
        print(f"{secs:8.2f} s  {what}")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "save":
        save(rest[0], rest[1:])
    elif cmd == "check":
        return check(rest[0], rest[1:])
    elif cmd == "time":
        timing(rest)
    elif cmd == "stages":
        stages(rest)
    elif cmd == "tricky":
        tricky(rest[0])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
