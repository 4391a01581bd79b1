"""Input discovery and format sniffing: turn the user's paths into ParsedSources.

One module per input format lives beside this file; each exposes FORMAT, sniff() and
parse() (see base.py). This module only decides which parser reads which file.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import importlib
import lzma
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from moltdiag.parsers.base import PROGRESS, DiskFile, InputError, InputFile, ParsedSource, file_sha256, report_progress

PARSER_MODULES = (
    "events_parquet",
    "sqlite_store",
    "journald_binary",
    "openclaw_file_log",
    "journald_json",
    "journald_export",
    "transcript",
    "session_store",
    "commands_log",
    "session_memory",
    "journald_text",
    "pasted",
)
MIN_SCORE = 0.2
CERTAIN = 0.97

_DECOMPRESSORS = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}


@dataclass
class Skipped:
    """A file inside a directory that no parser claimed; reported, never silently dropped."""

    source: str
    reason: str


def parser_modules() -> list[ModuleType]:
    return [importlib.import_module(f"moltdiag.parsers.{name}") for name in PARSER_MODULES]


def read_input(path: str) -> InputFile:
    """Read one file (or stdin for '-') into memory, decompressing by suffix."""
    if path == "-":
        data = sys.stdin.buffer.read()
        return InputFile(name="<stdin>", data=data, path=None, raw_size=len(data),
                         raw_sha256=hashlib.sha256(data).hexdigest())
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    name = path
    raw_size, raw_sha256 = len(data), hashlib.sha256(data).hexdigest()
    decompress = _DECOMPRESSORS.get(p.suffix.lower())
    if p.suffix.lower() == ".zst":
        raise InputError(f"{path}: zstd input needs the optional 'zstandard' package; decompress with `zstd -d` first")
    if decompress is not None:
        try:
            data = decompress(data)
        except Exception as exc:  # corrupt archives raise several exception types
            raise InputError(f"{path}: cannot decompress {p.suffix} data: {exc}") from None
    return InputFile(name=name, data=data, path=p, raw_size=raw_size, raw_sha256=raw_sha256)


def _logical_path(inp: InputFile) -> Path:
    """The name a sniffer should look at: without a compression suffix."""
    p = Path(inp.name)
    return p.with_suffix("") if p.suffix.lower() in (*_DECOMPRESSORS, ".zst") else p


def sniff(inp: InputFile, modules: list[ModuleType] | None = None) -> tuple[ModuleType | None, float]:
    best, best_score = None, 0.0
    logical = _logical_path(inp)
    modules = modules or parser_modules()
    # A module whose file-name pattern claims the file (`<uuid>.jsonl` for a transcript) is
    # asked first: when it is certain, the other sniffers need not read the head at all (10k
    # transcripts: 2 s of sniffing -> 0.15 s). Otherwise every sniffer runs, in the usual order.
    for module in modules:
        claims = getattr(module, "claims_name", None)
        if claims is not None and claims(logical):
            score = float(module.sniff(logical, inp.head))
            if score >= CERTAIN:
                return module, score
    for module in modules:
        score = float(module.sniff(logical, inp.head))
        if score > best_score:
            best, best_score = module, score
        if best_score >= CERTAIN:
            break  # a name and content match this strong is not contested; skip the other sniffers
    return (best, best_score) if best_score >= MIN_SCORE else (None, best_score)


def parse_file(inp: InputFile, *, explicit: bool = True, modules: list[ModuleType] | None = None) -> ParsedSource | None:
    """Parse one input; an unrecognised explicit file is an error, one found in a directory is None."""
    if inp.is_blank():
        return ParsedSource(source=inp.name, format="empty", events=_empty(), lines=0,
                            notes=["empty file"], mtime=inp.mtime(), size=inp.raw_size, sha256=inp.sha256())
    module, _ = sniff(inp, modules)
    if module is None:
        if explicit:
            raise InputError(f"{inp.name}: not a format moltdiag reads (journald text/json/export, "
                             "binary journal, OpenClaw file log, transcript, sessions.json, SQLite session store, commands.log, session-memory file, pasted log excerpts)")
        return None
    parsed = module.parse(inp)
    parsed.mtime = inp.mtime()
    parsed.size = inp.raw_size if inp.raw_size is not None else len(inp.data)
    parsed.sha256 = inp.raw_sha256
    if parsed.sha256 is None:
        # a file on disk: read again only if a report asks (and picklable for worker processes)
        parsed.digest_of = functools.partial(file_sha256, inp.path) if isinstance(inp, DiskFile) else inp.sha256
    return parsed


def _empty():
    from moltdiag.schema import empty_frame

    return empty_frame()


def expand_paths(paths: list[str]) -> list[tuple[str, bool]]:
    """(path, explicit) pairs: directories are walked recursively in a stable order."""
    out: list[tuple[str, bool]] = []
    for path in paths:
        p = Path(path)
        if path != "-" and p.is_dir():
            # SQLite's -wal/-shm/-journal companions are read with their database, not alone.
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")
                           and not f.name.endswith(("-wal", "-shm", "-journal")))
            out.extend((str(f), False) for f in files)
        else:
            out.append((path, True))
    return out


def _parse_with_progress(inp: InputFile, explicit: bool, modules: list[ModuleType]) -> ParsedSource | None:
    """`parse_file`, telling the progress bar (if any) that all of the input's bytes are done,
    whatever the parser reported on the way."""
    outer = PROGRESS.get()
    if outer is None:
        result = parse_file(inp, explicit=explicit, modules=modules)
    else:
        seen = 0

        def count(n: int) -> None:
            nonlocal seen
            seen += n
            outer(n)

        token = PROGRESS.set(count)
        try:
            result = parse_file(inp, explicit=explicit, modules=modules)
        finally:
            PROGRESS.reset(token)
            outer(max(0, (inp.raw_size or 0) - seen))
    if result is not None and getattr(inp, "cut_short", False):
        result.notes.append("the compressed data ends before its end marker (a copy cut short while the log "
                            f"was written?): read up to where it ends, {result.lines:,} line(s)")
    if result is not None and result.routine_dropped:
        result.notes.append(f"--low-memory: {result.routine_dropped:,} routine line(s) (kind other) counted, not "
                            "kept; every diagnostic event is kept, with one routine line per 10 minutes")
    return result


PARALLEL_MIN_FILES = 64  # a directory of at least this many files is parsed by worker processes


def load_inputs(paths: list[str], *, low_memory: bool = False) -> tuple[list[ParsedSource], list[Skipped]]:
    """Parse every input. Raises InputError for an unusable explicit file or an empty selection.
    `low_memory`: streaming parsers keep diagnostic rows and a sample of routine ones.

    Files found in directories are parsed by worker processes (parsers/worker.py) when there
    are many of them (thousands of transcripts): their parsers are per-line Python, which one
    process runs on one core. Results keep the order of the paths either way."""
    entries = expand_paths(paths)
    results: list[list[ParsedSource | Skipped] | None] = [None] * len(entries)
    found = [i for i, (_, explicit) in enumerate(entries) if not explicit]
    workers = min(os.cpu_count() or 1, 8)
    running = []
    if workers > 1 and len(found) >= PARALLEL_MIN_FILES and os.environ.get("MOLTDIAG_WORKERS") != "1":
        from moltdiag.parsers import worker

        share = -(-len(found) // workers)
        for k in range(0, len(found), share):
            part = found[k:k + share]
            running.append((part, worker.start([entries[i] for i in part], low_memory)))
    modules = parser_modules()
    taken = {i for part, _ in running for i in part}
    for i in range(len(entries)):
        if i not in taken:
            results[i] = _load_one(*entries[i], low_memory, modules)
    for part, job in running:
        out = job.result()
        if out is None:  # the worker failed (it said why on stderr): read its files here
            out = [_load_one(*entries[i], low_memory, modules) for i in part]
        for i, items in zip(part, out):
            results[i] = items
        report_progress(sum(_file_size(entries[i][0]) for i in part))
    parsed = [r for out in results for r in out or [] if isinstance(r, ParsedSource)]
    skipped = [r for out in results for r in out or [] if isinstance(r, Skipped)]
    if not any(p.rows for p in parsed):
        where = ", ".join(paths)
        raise InputError(f"{where}: nothing moltdiag can read here ({len(skipped)} file(s) skipped)")
    return parsed, skipped


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _load_one(path: str, explicit: bool, low_memory: bool,
              modules: list[ModuleType]) -> list[ParsedSource | Skipped]:
    """The ParsedSources (and Skipped members) of one path; raises for an unusable explicit file."""
    from moltdiag.parsers import containers

    out: list[ParsedSource | Skipped] = []
    members: list[containers.SkippedMember] = []
    try:
        inputs = containers.expand(path, members)
    except InputError as exc:
        if explicit:
            raise
        return [Skipped(path, str(exc))]
    out.extend(Skipped(m.source, m.reason) for m in members)
    # Inside an archive an unknown member is skipped, like a file in a directory.
    in_archive = any(containers.SEP in i.name for i in inputs)
    for inp in inputs:
        inp.keep_routine = not low_memory
        try:
            result = _parse_with_progress(inp, explicit and not in_archive, modules)
        except InputError as exc:
            if explicit and not in_archive:
                raise
            out.append(Skipped(inp.name, str(exc)))
            continue
        out.append(result if result is not None else Skipped(inp.name, "not a format moltdiag reads"))
    return out
