"""`moltdiag ingest -o DIR`: a hive-partitioned Parquet dataset that timeline/check read back."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from moltdiag.cli import main
from moltdiag.parsers import events_parquet
from moltdiag.parsers.base import InputError, InputFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "discord-reset-3106"
QUIET = FIXTURES / "controls" / "typed-new-quiet"


def _ingest(tmp_path: Path, *paths: Path) -> Path:
    out = tmp_path / "events"
    result = CliRunner().invoke(main, ["ingest", *map(str, paths), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_ingest_writes_host_and_date_partitions(tmp_path):
    out = _ingest(tmp_path, SEED, QUIET)
    parts = sorted(str(p.relative_to(out).parent) for p in out.rglob("*.parquet"))
    assert "host=atlas/date=2026-01-27" in parts  # the typed-new control's journal names host atlas
    assert "host=__unknown__/date=2026-01-28" in parts  # the seed journal has no host column
    meta = json.loads((out / "_moltdiag.json").read_text())
    assert meta["events"] == sum(i["events"] + i["unparsed"] for i in meta["inputs"])
    lazy = pl.scan_parquet(str(out / "**/*.parquet"), hive_partitioning=True)
    closes = lazy.filter(pl.col("kind") == "ws_close").collect()
    assert closes.height == 8 and set(closes["host"]) == {"__unknown__"}
    assert closes.schema["ts"] == pl.Datetime("us", "UTC")


def test_check_reads_the_dataset_to_the_same_findings(tmp_path):
    out = _ingest(tmp_path, SEED)
    direct = json.loads(CliRunner().invoke(main, ["check", str(SEED), "--format", "json"]).output)
    again = json.loads(CliRunner().invoke(main, ["check", str(out), "--format", "json"]).output)
    assert sorted(f["rule"] for f in again["findings"]) == sorted(f["rule"] for f in direct["findings"])
    reset = next(f for f in again["findings"] if f["rule"] == "unexplained-reset")
    assert reset["facts"]["interaction_created"] == "2026-01-28T02:07:40.350Z"
    # Evidence still points at the original files and lines.
    assert any(e["source"].endswith("journal.txt") and e["line"] == 21 for e in reset["evidence"])


def test_ingest_refuses_a_non_empty_directory(tmp_path):
    out = tmp_path / "events"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["ingest", str(SEED), "-o", str(out)])
    assert result.exit_code == 2 and "not empty" in result.output


def test_sniff_and_bad_parquet():
    assert events_parquet.sniff(Path("x.parquet"), b"PAR1....") >= 0.5
    assert events_parquet.sniff(Path("x.parquet"), b'{"a":1}') == 0.0
    try:
        events_parquet.parse(InputFile(name="bad.parquet", data=b"PAR1 not really parquet PAR1"))
    except InputError as exc:
        assert str(exc).startswith("bad.parquet: not a readable Parquet file")
    else:
        raise AssertionError("expected InputError")
