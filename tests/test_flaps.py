"""Flap windows (spec §2.4, §5): Carbon 0.14's stale-ACK self-close loop and its neighbours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from moltdiag.correlate.flaps import DEFAULT_GAP, FLAP_SCHEMA, flap_windows, window_around
from moltdiag.schema import conform, empty_frame

T0 = datetime(2026, 1, 28, 2, 5, 10, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)
S = timedelta(seconds=1)


def ev(ts, kind, *, code=None, after_code=None, backoff_ms=None, channel="discord", host="gw1") -> dict:
    return {"ts": ts, "kind": kind, "code": code, "after_code": after_code, "backoff_ms": backoff_ms,
            "channel": channel, "host": host}


def frame(rows: list[dict]) -> pl.DataFrame:
    rows = [{**r, "source": "journal.txt", "line": i + 1} for i, r in enumerate(rows)]
    return conform(pl.DataFrame(rows, schema_overrides={"ts": pl.Datetime("us", "UTC")}, infer_schema_length=None))


def carbon_loop(start: datetime, pairs: int = 5, *, period=(37, 36, 38, 37, 35, 41), channel="discord",
                after_code=None, host="gw1") -> list[dict]:
    """Un-suffixed `Attempting resume with backoff: 1000ms` then a 1005 close 80 ms later, every ~37 s."""
    rows, t = [], start
    for i in range(pairs):
        rows.append(ev(t, "resume_attempt", backoff_ms=1000, after_code=after_code, channel=channel, host=host))
        rows.append(ev(t + 80 * MS, "ws_close", code=1005, channel=channel, host=host))
        t += period[i % len(period)] * S
    return rows


def test_carbon_stale_ack_loop_is_one_window_of_self_closes():
    rows = carbon_loop(T0)
    flaps = flap_windows(frame(rows))
    assert flaps.schema == pl.Schema(FLAP_SCHEMA)
    assert flaps.height == 1
    w = flaps.row(0, named=True)
    assert (w["window"], w["channel"], w["host"]) == (1, "discord", "gw1")
    assert (w["start"], w["end"]) == (T0, rows[-1]["ts"])
    assert (w["closes"], w["resumes"], w["self_closes"]) == (5, 5, 5)
    assert (w["reconnects"], w["stalls"], w["events"]) == (0, 0, 10)
    assert w["codes"] == [1005]


def test_two_bursts_further_apart_than_the_gap_are_two_windows():
    first = carbon_loop(T0, 3)
    second_start = first[-1]["ts"] + DEFAULT_GAP + 30 * S
    second = carbon_loop(second_start, 2)
    flaps = flap_windows(frame(second + first))  # input order must not matter
    assert flaps.height == 2
    assert flaps["window"].to_list() == [1, 2]
    assert flaps["start"].to_list() == [T0, second_start]
    assert flaps["end"].to_list() == [first[-1]["ts"], second[-1]["ts"]]
    assert flaps["closes"].to_list() == [3, 2]
    assert flaps["self_closes"].to_list() == [3, 2]


def test_gap_parameter_controls_splitting():
    events = frame(carbon_loop(T0))
    assert flap_windows(events, gap=timedelta(seconds=10)).height == 5
    assert flap_windows(events, gap=timedelta(seconds=40)).height == 1


def test_resume_after_code_then_close_is_not_a_self_close():
    rows = carbon_loop(T0, 3, after_code=1006)
    w = flap_windows(frame(rows)).row(0, named=True)
    assert (w["closes"], w["resumes"], w["self_closes"]) == (3, 3, 0)
    assert w["codes"] == [1005]


def test_self_close_needs_1005_and_a_fast_follow():
    rows = [
        ev(T0, "resume_attempt", backoff_ms=1000),
        ev(T0 + 80 * MS, "ws_close", code=1006),  # not 1005
        ev(T0 + 30 * S, "resume_attempt", backoff_ms=1000),
        ev(T0 + 33 * S, "ws_close", code=1005),  # 3 s later: too slow for a self-close
        ev(T0 + 60 * S, "reconnect_attempt", backoff_ms=1000),
        ev(T0 + 60 * S + 80 * MS, "ws_close", code=1005),  # after a fresh IDENTIFY, not a resume
        ev(T0 + 90 * S, "resume_attempt", backoff_ms=1000),
        ev(T0 + 90 * S + 80 * MS, "ws_close", code=1005),  # the one genuine self-close
    ]
    w = flap_windows(frame(rows)).row(0, named=True)
    assert w["self_closes"] == 1
    assert (w["closes"], w["resumes"], w["reconnects"]) == (4, 3, 1)
    assert w["codes"] == [1005, 1006]


def test_two_channels_never_merge():
    discord = carbon_loop(T0, 3)
    whatsapp = [ev(r["ts"] + 5 * S, "channel_reconnect", code=440, channel="whatsapp") for r in discord[::2]]
    flaps = flap_windows(frame(discord + whatsapp))
    assert flaps.height == 2
    by_channel = {r["channel"]: r for r in flaps.iter_rows(named=True)}
    assert set(by_channel) == {"discord", "whatsapp"}
    assert by_channel["discord"]["events"] == 6 and by_channel["discord"]["codes"] == [1005]
    assert by_channel["discord"]["self_closes"] == 3
    assert by_channel["whatsapp"]["events"] == 3 and by_channel["whatsapp"]["codes"] == [440]
    assert by_channel["whatsapp"]["closes"] == 0 and by_channel["whatsapp"]["self_closes"] == 0
    assert sorted(flaps["window"].to_list()) == [1, 2]


def test_two_hosts_never_merge():
    flaps = flap_windows(frame(carbon_loop(T0, 2, host="a") + carbon_loop(T0 + 1 * S, 2, host="b")))
    assert flaps.height == 2
    assert sorted(flaps["host"].to_list()) == ["a", "b"]
    assert flaps["self_closes"].to_list() == [2, 2]


def test_stalls_and_reconnects_counted_other_kinds_ignored():
    rows = [
        ev(T0, "ws_close", code=1006),
        ev(T0 + 1 * S, "resume_attempt", backoff_ms=1000, after_code=1006),
        ev(T0 + 31 * S, "connection_stalled"),
        ev(T0 + 32 * S, "reconnect_attempt", backoff_ms=2000),
        ev(T0 + 33 * S, "slow_listener"),
        ev(T0 + 34 * S, "gateway_error", code=4014),
        ev(None, "ws_close", code=1000),
    ]
    flaps = flap_windows(frame(rows))
    assert flaps.height == 1
    w = flaps.row(0, named=True)
    assert (w["closes"], w["resumes"], w["stalls"], w["reconnects"], w["events"]) == (1, 1, 1, 1, 4)
    assert w["codes"] == [1006]
    assert w["end"] == T0 + 32 * S


@pytest.mark.parametrize("events", [
    empty_frame(),
    conform(pl.DataFrame({"text": ["[heartbeat] started"], "kind": ["other"], "ts": [T0]})),
], ids=["no-rows", "no-connection-events"])
def test_empty_input_gives_typed_empty_frame(events):
    flaps = flap_windows(events)
    assert flaps.is_empty()
    assert flaps.schema == pl.Schema(FLAP_SCHEMA)


def test_window_around():
    rows = carbon_loop(T0)
    flaps = flap_windows(frame(rows))
    start, end = T0, rows[-1]["ts"]
    margin = timedelta(seconds=30)
    assert window_around(flaps, start + 60 * S)["window"] == 1
    assert window_around(flaps, start - 29 * S, margin)["window"] == 1
    assert window_around(flaps, end + 30 * S, margin)["window"] == 1
    assert window_around(flaps, start - 31 * S, margin) is None
    assert window_around(flaps, end + 31 * S, margin) is None
    assert window_around(flaps, start - 1 * S, timedelta(0)) is None
    assert window_around(flaps, None) is None
    assert window_around(pl.DataFrame(schema=FLAP_SCHEMA), start) is None
    hit = window_around(flaps, start + 60 * S)
    assert hit["codes"] == [1005] and hit["self_closes"] == 5


def test_same_second_stamps_order_by_line():
    # journald `short` has whole seconds: resume and close share a stamp; line order decides.
    rows = [ev(T0 + i * 37 * S, k, code=c, backoff_ms=b)
            for i in range(3) for k, c, b in (("resume_attempt", None, 1000), ("ws_close", 1005, None))]
    w = flap_windows(frame(rows)).row(0, named=True)
    assert (w["closes"], w["resumes"], w["self_closes"]) == (3, 3, 3)
