"""Reading line formats piece by piece (parsers/streaming.py, InputFile.line_chunks): the events
must not depend on where the pieces are cut, and --low-memory keeps what later stages read."""

from __future__ import annotations

import bz2
import gzip
import lzma
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from moltdiag.parsers import containers, journald_text, streaming
from moltdiag.parsers.base import DiskFile, InputFile

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_JOURNALS = sorted(
    p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and p.name.startswith("journal") and p.suffix == ".txt"
)

# Crafted cases where a cut in the wrong place would change the result.
ROLLOVER = "".join([
    "Dec 31 23:59:58 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n",
    "-- Boot 3f2a9c0d1e2b4c5d8e9f0a1b2c3d4e5f --\n",
    "Jan  1 00:00:02 host node[43079]: [discord] gateway: WebSocket connection closed with code 1005\n",
    "Feb 29 12:00:00 host node[43079]: [heartbeat] started\n",
    "Mar  1 12:00:00 host node[43079]: [heartbeat] started\n",
    "Dec 30 10:00:00 h node[1]: c\n",
    "Jan  3 10:00:00 h node[1]: d\n",
])
CONTINUATION = "".join([
    "Jan 27 20:05:10 host node[43079]: 2026-01-27T19:05:10.412Z [discord] Error: boom\n",
    "    at Gateway.connect (gateway.js:10:5)\n",
    "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n",
    "Jan 27 20:05:11 host node[43079]: [discord] gateway: Attempting resume with backoff: 1000ms\n",
    "Jan 27 20:05:11 host node[430\n",  # a cut header: unparsed, not `-o cat`
])
CAT = "".join(f"2026-01-27T19:05:{s:02d}.000Z [discord] gateway: line {s}\n" for s in range(40))


def _parse(data: bytes, size: int | None):
    if size is not None:
        old = streaming.CHUNK_BYTES
        streaming.CHUNK_BYTES = size
    try:
        return journald_text.parse(InputFile(name="journal.txt", data=data))
    finally:
        if size is not None:
            streaming.CHUNK_BYTES = old


def _same(a, b) -> None:
    assert a.events.equals(b.events), "events differ"
    assert (a.lines, a.notes, a.format, a.unparsed) == (b.lines, b.notes, b.format, b.unparsed)


@pytest.mark.parametrize("path", FIXTURE_JOURNALS, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_fixture_journals_read_the_same_in_small_pieces(path):
    data = path.read_bytes()
    whole = _parse(data, None)
    assert whole.events.height
    for size in (97, 1000, 4096):
        _same(_parse(data, size), whole)


@pytest.mark.parametrize("text", [ROLLOVER, CONTINUATION, CAT], ids=["rollover", "continuation", "cat"])
@pytest.mark.parametrize("size", [1, 30, 64, 150, 300])
def test_cuts_anywhere_give_the_same_events(text, size):
    _same(_parse(text.encode(), size), _parse(text.encode(), None))


def test_rollover_between_pieces_moves_the_later_piece_on():
    # one line a piece: every rollover falls between two pieces
    r = _parse(ROLLOVER.encode(), 1)
    walls = r.events["wall"].to_list()
    assert walls[0] == datetime(2000, 12, 31, 23, 59, 58)
    assert walls[2] == datetime(2001, 1, 1, 0, 0, 2)
    assert walls[3] is None  # Feb 29 2001 is no date
    assert walls[4] == datetime(2001, 3, 1, 12)
    assert walls[6] == datetime(2002, 1, 3, 10)
    assert any("2 year rollover(s)" in n for n in r.notes)
    assert any("1 journal stamp(s) name a date that does not exist" in n for n in r.notes)


def test_continuation_lines_stay_with_their_entry():
    r = _parse(CONTINUATION.encode(), 1)
    ev = r.events.to_dicts()
    assert [e["line"] for e in ev] == [1, 2, 3, 4, 5]
    assert ev[1]["ts"] == ev[0]["ts"] and ev[2]["pid"] == 43079
    assert ev[4]["kind"] == "unparsed" and r.unparsed == 1


def test_line_chunks_cut_at_line_ends_and_never_before_an_indented_line(tmp_path):
    data = CONTINUATION.encode() * 50
    inp = InputFile(name="j", data=data)
    pieces = list(inp.line_chunks(size=100, glue_indented=True))
    assert b"".join(pieces) == data and len(pieces) > 5
    assert all(p.endswith(b"\n") for p in pieces)
    assert not any(p.startswith((b" ", b"\t")) for p in pieces)
    plain = list(inp.line_chunks(size=100))
    assert b"".join(plain) == data and any(p.startswith(b" ") for p in plain)
    # no newline at the end, and a line longer than the piece size
    odd = b"x" * 500 + b"\n" + b"short\n" * 20 + b"last"
    pieces = list(InputFile(name="o", data=odd).line_chunks(size=64))
    assert pieces[0].startswith(b"x" * 500 + b"\n") and b"".join(pieces) == odd
    assert all(p.endswith(b"\n") for p in pieces[:-1]) and pieces[-1].endswith(b"last")


@pytest.mark.parametrize("suffix,compress", [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)])
def test_compressed_files_stream_from_disk(tmp_path, suffix, compress):
    data = (ROOT / "fixtures/discord-reset-3106/journal.txt").read_bytes()
    path = tmp_path / f"journal.txt{suffix}"
    path.write_bytes(compress(data))
    (inp,) = containers.expand(str(path))
    assert isinstance(inp, DiskFile) and inp.disk_path() is None
    assert b"".join(inp.line_chunks(size=256)) == data
    streamed, whole = journald_text.parse(inp), _parse(data, None)
    assert set(streamed.events["source"]) == {str(path)}
    assert streamed.events.drop("source").equals(whole.events.drop("source"))
    assert (streamed.lines, streamed.notes) == (whole.lines, whole.notes)


def test_a_plain_file_is_not_read_until_a_parser_asks(tmp_path):
    path = tmp_path / "journal.txt"
    path.write_bytes(CAT.encode())
    (inp,) = containers.expand(str(path))
    assert isinstance(inp, DiskFile) and inp._data is None
    journald_text.parse(inp)
    assert inp._data is None  # streamed, never read whole
    import hashlib

    assert inp.sha256() == hashlib.sha256(CAT.encode()).hexdigest()


# --- --low-memory ----------------------------------------------------------------------------


def _busy_journal() -> bytes:
    """Six hours of routine RPC lines every 5 s on a -06:00 host, a 1005 close every 75 minutes,
    the clock stepped back ten minutes once (NTP)."""
    lines = []
    start = datetime(2026, 1, 27, 19, 0, 0)  # UTC
    for i in range(6 * 720):
        utc = start + timedelta(seconds=5 * i - (600 if i == 3000 else 0))
        local = utc - timedelta(hours=6)
        msg = (f"{utc:%Y-%m-%dT%H:%M:%S}.000Z [ws] ⇄ res ✓ node.list 3ms" if i % 900
               else f"{utc:%Y-%m-%dT%H:%M:%S}.000Z [discord] gateway: WebSocket connection closed with code 1005")
        lines.append(f"{local:%b %d %H:%M:%S} atlas node[17043]: {msg}\n")
    return "".join(lines).encode()


def test_low_memory_keeps_diagnostic_rows_samples_and_clock_steps():
    data = _busy_journal()
    full = journald_text.parse(InputFile(name="j", data=data))
    lean = journald_text.parse(InputFile(name="j", data=data, keep_routine=False))
    kept, dropped = lean.events, lean.routine_dropped
    assert kept.height + dropped == full.events.height
    assert lean.event_count == full.event_count and lean.lines == full.lines
    # every diagnostic row survives, identical
    diag = full.events.filter(pl.col("kind") != "other")
    assert diag.height == 5
    assert kept.filter(pl.col("kind") != "other").equals(diag)
    # routine rows: about one per ten minutes (36 in 6 h), plus the two around the step back
    routine = kept.filter(pl.col("kind") == "other")
    assert 33 <= routine.height <= 40

    def buckets(frame):
        return set((frame["ts"].dt.epoch("us") // 600_000_000).to_list())

    # every ten minutes that had routine lines still has a line kept (a diagnostic one counts)
    assert buckets(kept) == buckets(full.events)
    assert {3000, 3001} <= set(routine["line"].to_list())
    assert dropped > 4000


def test_low_memory_off_keeps_every_line():
    data = _busy_journal()
    r = journald_text.parse(InputFile(name="j", data=data))
    assert r.routine_dropped == 0 and r.events.height == r.lines


# --- the CLI: --low-memory and the progress bar ----------------------------------------------

FIXTURE_DIRS = [ROOT / "fixtures" / d for d in (
    "discord-reset-3106", "discord-replayed-interaction", "controls/typed-new-quiet", "controls/daily-reset",
    "excerpts/process-and-channels/clock-integrity-wsl-resume", "excerpts/process-and-channels/crash-loop-bind-conflict",
)]


def _check_json(*args: str) -> dict:
    import json

    from click.testing import CliRunner

    from moltdiag.cli import main

    result = CliRunner().invoke(main, ["check", *args, "--format", "json", "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("path", FIXTURE_DIRS, ids=lambda p: p.name)
def test_low_memory_finds_the_same_as_the_default(path):
    full, lean = _check_json(str(path)), _check_json(str(path), "--low-memory")

    def gist(doc):
        return sorted((f["rule"], f["severity"], f["ts"], f["summary"]) for f in doc["findings"])

    assert gist(lean) == gist(full)
    assert bool(full["findings"]) == ("controls" not in str(path))  # the controls stay silent
    assert lean["summary"]["events"] + lean["summary"]["routine_not_kept"] == full["summary"]["events"]


def test_progress_bar_counts_every_input_byte(tmp_path, monkeypatch):
    from moltdiag import cli
    from moltdiag.correlate.timeline import build_timeline
    from moltdiag.parsers.base import PROGRESS

    journal = ROOT / "fixtures/discord-reset-3106/journal.txt"
    gz = tmp_path / "j.txt.gz"
    gz.write_bytes(gzip.compress(journal.read_bytes()))
    seen: list[int] = []
    token = PROGRESS.set(seen.append)
    try:
        build_timeline([str(journal), str(gz), str(ROOT / "fixtures/discord-reset-3106/agents")])
    finally:
        PROGRESS.reset(token)
    total = journal.stat().st_size + gz.stat().st_size + sum(
        p.stat().st_size for p in (ROOT / "fixtures/discord-reset-3106/agents").rglob("*") if p.is_file())
    assert sum(seen) == total
    # no bar when stderr is not a terminal, or with -q
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 0)
    with cli._progress([str(journal)], quiet=False):
        assert PROGRESS.get() is None
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True, raising=False)
    with cli._progress([str(journal)], quiet=True):
        assert PROGRESS.get() is None
    with cli._progress([str(journal)], quiet=False):
        assert PROGRESS.get() is not None


@pytest.mark.parametrize("inherited,low_memory,expected", [
    (None, False, "dirty_decay_ms:100,muzzy_decay_ms:0"),
    (None, True, "dirty_decay_ms:0,muzzy_decay_ms:0"),
    ("dirty_decay_ms:500,muzzy_decay_ms:1000", False, "dirty_decay_ms:100,muzzy_decay_ms:0"),  # polars' own
    ("dirty_decay_ms:100,muzzy_decay_ms:0", True, "dirty_decay_ms:0,muzzy_decay_ms:0"),  # ours, inherited
    ("dirty_decay_ms:250", False, "dirty_decay_ms:250"),  # the user's choice stays
    ("dirty_decay_ms:250", True, "dirty_decay_ms:250"),
])
def test_allocator_setting_respects_the_user_not_polars_defaults(inherited, low_memory, expected):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if inherited is not None:
        env["_RJEM_MALLOC_CONF"] = inherited
    env["PYTHONPATH"] = str(ROOT)
    code = "import os, moltdiag\n"
    if low_memory:
        code += "moltdiag._allocator(moltdiag.ALLOCATOR_LOW_MEMORY)\n"
    code += "print(os.environ.get('_RJEM_MALLOC_CONF'))"  # what polars will read when it loads
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == expected


@pytest.mark.parametrize("suffix,compress", [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)])
def test_a_compressed_file_cut_short_keeps_what_it_holds(tmp_path, suffix, compress):
    """A log copied while it was written: the compressed stream has no end marker. What came
    before the cut is read (nothing of it lost) and a note says the data ends early."""
    from moltdiag.parsers import load_inputs

    import random

    rng = random.Random(1)  # a token per line: bz2 works in 900 kB blocks, so the cut must leave one whole
    data = b"".join(line[:-1] + b" id=%016x\n" % rng.getrandbits(64)
                    for line in (_busy_journal() * 3).splitlines(keepends=True))
    packed = compress(data)
    path = tmp_path / f"journal.txt{suffix}"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    (parsed,), _ = load_inputs([str(path)])
    assert any("ends before its end marker" in n for n in parsed.notes)
    (inp,) = containers.expand(str(path))
    got = b"".join(inp.line_chunks(size=1 << 16))
    assert inp.cut_short and 0 < len(got) < len(data) and data.startswith(got)
    # every whole line that came out is an event; a cut last line is kept as unparsed
    assert parsed.lines == got.count(b"\n") + (not got.endswith(b"\n"))
    assert parsed.rows == parsed.lines
    # read whole, the same bytes come out
    (again,) = containers.expand(str(path))
    assert again.data == got
