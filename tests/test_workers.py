"""Worker processes for directories of many files (parsers/worker.py): the same sources, rows
and skips as reading them in this process, in the same order; a failed worker costs nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from moltdiag import parsers
from moltdiag.correlate.timeline import build_timeline
from moltdiag.parsers import worker

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def many_files(tmp_path):
    """Several fixture bundles side by side, plus a file nobody reads, in one directory."""
    for name in ("discord-reset-3106", "discord-replayed-interaction", "openclaw-2026.9-sqlite",
                 "controls/daily-reset"):
        shutil.copytree(ROOT / "fixtures" / name, tmp_path / name.replace("/", "-"))
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01binary")
    return tmp_path


def _load(path: Path, monkeypatch, workers: bool):
    monkeypatch.setattr(parsers, "PARALLEL_MIN_FILES", 2 if workers else 10**9)
    monkeypatch.setattr(parsers.os, "cpu_count", lambda: 2)  # workers even on a one-core runner
    return parsers.load_inputs([str(path)])


def test_workers_read_the_same_as_one_process(many_files, monkeypatch):
    one, skipped_one = _load(many_files, monkeypatch, workers=False)
    many, skipped_many = _load(many_files, monkeypatch, workers=True)
    assert len(one) == len(many) > 10
    assert [p.source for p in one] == [p.source for p in many]
    for a, b in zip(one, many):
        assert (a.format, a.lines, a.notes, a.rows, a.unparsed) == (b.format, b.lines, b.notes, b.rows, b.unparsed)
        assert a.events.equals(b.events), a.source
        assert a.digest() == b.digest()
    assert [(s.source, s.reason) for s in skipped_one] == [(s.source, s.reason) for s in skipped_many]
    assert any("notes.bin" in s.source for s in skipped_many)


def test_the_timeline_and_findings_do_not_change(many_files, monkeypatch):
    from moltdiag.rules import evaluate, load_rules

    monkeypatch.setattr(parsers.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parsers, "PARALLEL_MIN_FILES", 10**9)
    one = build_timeline([str(many_files)])
    monkeypatch.setattr(parsers, "PARALLEL_MIN_FILES", 2)
    many = build_timeline([str(many_files)])
    assert one.events.equals(many.events)
    gist = lambda tl: sorted((f.rule, f.ts) for f in evaluate(load_rules(), tl).findings)  # noqa: E731
    assert gist(one) == gist(many) and gist(one)


def test_a_failed_worker_is_replaced_by_reading_here(many_files, monkeypatch):
    class Broken:
        def result(self):
            return None

    monkeypatch.setattr(worker, "start", lambda entries, low_memory: Broken())
    one, _ = _load(many_files, monkeypatch, workers=False)
    again, _ = _load(many_files, monkeypatch, workers=True)
    assert [p.source for p in one] == [p.source for p in again]
    assert all(a.events.equals(b.events) for a, b in zip(one, again))


def test_a_worker_finds_moltdiag_and_garbage_from_it_is_a_failure(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/nonexistent")
    job = worker.start([("/nonexistent/file.jsonl", False)], False)
    # it starts and answers (the package root is put first on its path): a missing file found
    # in a directory is skipped, as in one process …
    out = job.result()
    assert out is not None and out[0][0].source == "/nonexistent/file.jsonl"
    # … and garbage on its stdout is a failure, not an exception
    job = worker.Job.__new__(worker.Job)
    job._out = b"not a pickle"
    job.proc = type("P", (), {"wait": lambda self: 0})()
    job._writer = job._reader = type("T", (), {"join": lambda self: None})()
    assert job.result() is None


def test_no_workers_below_the_threshold_or_when_told(many_files, monkeypatch):
    started = []
    monkeypatch.setattr(worker, "start", lambda *a: started.append(a))
    monkeypatch.setattr(parsers, "PARALLEL_MIN_FILES", 10**9)
    parsers.load_inputs([str(many_files)])
    monkeypatch.setattr(parsers, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setenv("MOLTDIAG_WORKERS", "1")
    parsers.load_inputs([str(many_files)])
    assert started == []
