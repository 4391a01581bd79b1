"""The timeline's row order (ts, source, line) taken the cheap way (correlate/timeline.py:
blocks per source, then a stable sort on ts) must equal the plain three-key sort."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from moltdiag import schema
from moltdiag.correlate.timeline import _sort_lean, _timeline_order


def _frame(rng: random.Random, *, shuffled: bool, repeats: bool) -> pl.DataFrame:
    rows = []
    for name in rng.sample(["b.txt", "a.jsonl", "z/x.log", "m", "a.jsonl2"], rng.randint(1, 4)):
        line = 0
        for _ in range(rng.randint(1, 30)):
            line += rng.randint(0 if repeats else 1, 3)
            ts = None if rng.random() < 0.1 else datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(
                seconds=rng.randint(0, 20))
            rows.append((ts, name, line, f"text {line}"))
    if shuffled:
        rng.shuffle(rows)
    return pl.DataFrame(rows, schema={"ts": schema.UTC_US, "source": pl.String, "line": pl.Int64, "text": pl.String},
                        orient="row").with_columns(pl.col("source").cast(pl.Categorical()))


@pytest.mark.parametrize("shuffled,repeats", [(False, False), (True, False), (False, True)])
def test_cheap_order_equals_the_three_key_sort(shuffled, repeats):
    rng = random.Random(7)
    for _ in range(200):
        df = _frame(rng, shuffled=shuffled, repeats=repeats)
        expected = df.select(pl.arg_sort_by(["ts", "source", "line"], nulls_last=True, maintain_order=True))
        assert _timeline_order(df).equals(expected.to_series())
        sorted_frame = _sort_lean(df.clone())
        assert sorted_frame.equals(df.sort("ts", "source", "line", nulls_last=True, maintain_order=True))
