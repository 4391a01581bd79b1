"""Check `reset_cause` behind unexplained-reset.toml and replayed-interaction.toml: why did each session start?

For every session lifetime the classifier looks for a cause in the evidence, in this order
(spec: openclaw-events.md §3.2, §4.2, §5):

  command reset     the bare-reset prompt (or the ✅ notice) opens the transcript: /new or /reset
                    ran. Native slash command when a slow InteractionEventListener line brackets
                    the start; its `[message_id]` is the interaction id, a snowflake whose
                    creation time says when the user actually issued it.
  automatic reset   a log line `Auto-compaction failed … Restarting session <key> -> <id>` /
                    `Role ordering conflict …` names the new id.
  thread fork       the header has `parentSession`.
  first session     no earlier lifetime of the key in the inputs.
  daily reset       the previous lifetime's last activity lies before the most recent
                    daily boundary (default 04:00 host-local) and the start after it.
  idle reset        (only with --idle-minutes) the gap since the previous activity exceeds it.
  commands.log      a logged /new or /reset for the key within seconds of the start.
  unknown           none of the above: the rule fires.

A command reset also fires when it coincides with gateway instability (a flap window
around the start): the user who reported it says they never typed the command, and the
interaction's creation time is what settles whether it was fresh or replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from moltdiag.correlate.flaps import window_around
from moltdiag.correlate.timeline import Timeline
from moltdiag.knowledge.snowflake import created_at
from moltdiag.rules.finding import Finding, evidence_rows, iso_z

RULE_ID = "unexplained-reset"
# Reasons a stable-id store (OpenClaw ≥ 2026.9) writes on its reset events.
COMMAND_REASONS = ("new", "reset")
POLICY_REASONS = ("idle", "daily", "cron-stale")
REPLAY_RULE_ID = "replayed-interaction"


@dataclass
class ResetParams:
    """Thresholds; rule files set them under [correlate.params], CLI flags override."""

    daily_hour: int = 4  # OpenClaw's default session.reset.atHour
    idle_minutes: int | None = None  # session.reset.idleMinutes, when the user's config sets one
    flap_margin: timedelta = timedelta(seconds=30)
    fresh_within: timedelta = timedelta(seconds=15)  # interaction created this close to the start: fresh
    replay_after: timedelta = timedelta(seconds=60)  # created this long before the start: replayed
    bracket_slack: timedelta = timedelta(seconds=2)
    command_log_within: timedelta = timedelta(seconds=15)
    # Later builds can rotate sessions when the gateway recovers from a restart (#95443):
    # a start this soon after a gateway start/restart, with no activity in between, is explained.
    restart_within: timedelta = timedelta(minutes=10)


def _seconds(delta: timedelta) -> str:
    s = delta.total_seconds()
    return f"{s:.1f} s" if abs(s) < 120 else f"{s / 60:.1f} min"


def _last_boundary(local: datetime, hour: int) -> datetime:
    boundary = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return boundary if boundary <= local else boundary - timedelta(days=1)


def _bracketing_listener(events: pl.DataFrame, start: datetime, slack: timedelta) -> dict | None:
    slow = events.filter(
        (pl.col("kind") == "slow_listener")
        & (pl.col("event_name") == "INTERACTION_CREATE")
        & pl.col("ts").is_not_null()
    ).with_columns(began=pl.col("ts") - pl.duration(milliseconds=pl.col("duration_ms").fill_null(0)))
    hit = slow.filter((pl.col("began") - slack <= start) & (pl.col("ts") + slack >= start))
    return hit.sort("ts").row(0, named=True) if hit.height else None


def classify_resets(tl: Timeline, params: ResetParams | None = None) -> list[Finding]:
    params = params or ResetParams()
    events, clock, findings = tl.events, tl.clock, []
    has_journal = events.filter(pl.col("format").cast(pl.String).str.starts_with("journald")).height > 0
    has_file_log = events.filter(pl.col("format").cast(pl.String).str.starts_with("openclaw-file")).height > 0
    has_commands_log = events.filter(pl.col("format") == "commands-log").height > 0
    reset_logs = events.filter(pl.col("kind") == "session_reset_log")
    # The session-memory hook writes its file when /new runs: as good as a commands.log line.
    command_logs = events.filter(pl.col("kind").is_in(["command_log", "session_memory"]))

    for life in tl.lifetimes.sort("start").iter_rows(named=True):
        start: datetime = life["start"]
        sid = life["session_id"]
        ruled_out: list[str] = []
        blind: list[str] = []
        local = clock.local_label

        if not has_journal and not has_file_log:
            blind.append("no gateway log given: flap windows, slow listeners and restarts cannot be seen "
                         "(add `journalctl --user -u <brand>-gateway` output or the /tmp/<brand>/*.log file log)")
        elif not has_file_log:
            blind.append("journald console output hides DiscordMessageListener slow-listener lines and "
                         "`Opening session` lines unless the gateway ran with --verbose: add the gateway file log")
        if not has_commands_log:
            blind.append("no commands.log: who ran a /new or /reset (senderId) cannot be shown; enable the "
                         "command-logger hook, or read the bot reply's interaction_metadata.user in Discord")

        reason = life.get("reset_reason")
        if reason in POLICY_REASONS:
            continue  # the store recorded an idle / daily / stale-cron reset itself
        is_command = (life["first_user_kind"] == "reset_prompt" or bool(life["reset_notice"])
                      or reason in COMMAND_REASONS)
        flap = window_around(tl.flaps, start, params.flap_margin)

        if is_command:
            listener = _bracketing_listener(events, start, params.bracket_slack)
            msg_id = life["first_user_message_id"] if life["first_user_kind"] == "reset_prompt" else None
            created = created_at(msg_id)
            how = "native slash command" if listener else "text or native command"
            cause = f"command reset ({how})"
            facts = {
                "previous_session_id": life["prev_session_id"],
                "message_id": msg_id,
                "interaction_created": iso_z(created),
                "flap_window": _flap_dict(flap),
                "slow_listener": None if not listener else {
                    "listener": listener["listener"], "duration_ms": listener["duration_ms"],
                    "began": iso_z(listener["began"]), "logged": iso_z(listener["ts"]),
                },
            }
            age = (start - created) if created else None
            replayed = created is not None and (
                age > params.replay_after or (flap is not None and created < flap["start"] - params.flap_margin)
            )
            if not flap and not replayed:
                continue  # an ordinary /new or /reset on a quiet gateway

            evidence = _evidence(events, life, flap, listener, start)
            parts = [f"Session {sid} ({life['session_key'] or 'key unknown'}) was started by a /new or /reset "
                     f"at {local(start)} ({iso_z(start)})"]
            if life["prev_session_id"]:
                parts.append(f"replacing {life['prev_session_id']} whose last activity was "
                             f"{local(life['prev_last_activity'])}")
            if flap:
                parts.append(
                    f"while the {flap['channel']} gateway was flapping ({local(flap['start'])} – {local(flap['end'])}: "
                    f"{flap['closes']} closes, codes {', '.join(map(str, flap['codes'])) or 'none'}, "
                    f"{flap['resumes']} resume attempts)"
                )
            if listener:
                parts.append(
                    f"a slow {listener['listener']} ({listener['duration_ms']:.0f} ms for INTERACTION_CREATE, "
                    f"began {local(listener['began'])}) brackets the start: a native slash command ran"
                )
            if created is not None:
                if replayed:
                    parts.append(f"the interaction id {msg_id} was created at {local(created)}, {_seconds(age)} "
                                 "before the session started: delivered late (replayed on RESUME or queued)")
                elif age is not None and abs(age) <= params.fresh_within:
                    parts.append(f"the interaction id {msg_id} was created at {local(created)}, {_seconds(age)} "
                                 "before the session started: a fresh command — somebody ran /new or /reset then")
                else:
                    parts.append(f"the interaction id {msg_id} was created at {local(created)} ({_seconds(age)} "
                                 "before the start)")
            elif msg_id:
                parts.append(f"message id {msg_id} is not a Discord snowflake; its creation time is unknown")
            else:
                blind.append("the reset prompt carries no [message_id]: when the command was issued cannot be dated")

            ruled_out.extend(_ruled_out_policy(life, params, clock, start))
            if created is not None and not replayed:
                ruled_out.append(f"replayed interaction: id created {_seconds(age)} before the start"
                                 + (f", after the flap window began at {local(flap['start'])}" if flap else ""))
            ruled_out.append(_restart_ruled_out(events, start, life["prev_last_activity"], clock))

            if flap:
                findings.append(Finding(
                    rule=RULE_ID, severity="high", ts=start, session_id=sid, cause=cause,
                    summary="; ".join(parts) + ".",
                    anchor=(life["source"], _line(life["start_line"])),
                    evidence=evidence, ruled_out=ruled_out, blind_spots=blind, facts=facts,
                ))
            if replayed:
                findings.append(Finding(
                    rule=REPLAY_RULE_ID, severity="high", ts=start, session_id=sid, cause="replayed interaction",
                    summary=(f"The /new or /reset that started session {sid} at {local(start)} came from interaction "
                             f"{msg_id} created at {local(created)}, {_seconds(age)} earlier"
                             + (f", before the flap window began at {local(flap['start'])}" if flap else "")
                             + ": it was delivered or processed late, not issued at the time of the reset."),
                    anchor=(life["source"], _line(life["first_user_line"])),
                    evidence=evidence, ruled_out=ruled_out[:-1], blind_spots=blind, facts=facts,
                ))
            continue

        # Not a command: find another cause.
        explained = _explained_without_command(life, params, clock, start, reset_logs, command_logs, events)
        if explained is not None:
            continue
        evidence = _evidence(events, life, flap, None, start)
        ruled_out.append("command reset: the transcript does not open with the bare-reset prompt or the ✅ notice")
        ruled_out.extend(_ruled_out_policy(life, params, clock, start))
        ruled_out.append(_restart_ruled_out(events, start, life["prev_last_activity"], clock))
        findings.append(Finding(
            rule=RULE_ID, severity="high" if flap else "warning", ts=start, session_id=sid, cause="unknown",
            summary=(f"Session {sid} ({life['session_key'] or 'key unknown'}) started at {local(start)} replacing "
                     f"{life['prev_session_id']} (last activity {local(life['prev_last_activity'])}) and nothing "
                     "in the inputs explains it" + (f"; the gateway was flapping ({local(flap['start'])} – "
                                                     f"{local(flap['end'])})" if flap else "") + "."),
            anchor=(life["source"], _line(life["start_line"])),
            evidence=evidence, ruled_out=ruled_out, blind_spots=blind,
            facts={"previous_session_id": life["prev_session_id"], "flap_window": _flap_dict(flap)},
        ))
    return findings


def _line(value) -> int:
    return 1 if value is None else int(value)


def _restart_between(events: pl.DataFrame, since: datetime | None, start: datetime, within: timedelta) -> bool:
    lo = max(since, start - within) if since is not None else start - within
    return events.filter(
        pl.col("kind").is_in(["gateway_start", "gateway_restart"]) & pl.col("ts").is_between(lo, start)
    ).height > 0


def _explained_without_command(life, params, clock, start, reset_logs, command_logs, events) -> str | None:
    sid = life["session_id"]
    if reset_logs.height and reset_logs.filter(pl.col("session_id") == sid).height:
        text = reset_logs.filter(pl.col("session_id") == sid)["text"][0]
        return "role-ordering conflict" if "Role ordering" in text else "compaction failure"
    if life["parent_session"]:
        return "thread fork"
    if life["prev_session_id"] is None:
        return "first session of the key in the inputs"
    if command_logs.height and life["session_key"]:
        near = command_logs.filter(
            (pl.col("session_key") == life["session_key"])
            & ((pl.col("ts") - start).abs() <= params.command_log_within)
        )
        if near.height:
            reason = near["stop_reason"].drop_nulls()
            if reason.len() and reason[0] in POLICY_REASONS:
                return f"{reason[0]} reset (session-memory file)"
            return "command (commands.log or session-memory file)"
    if _daily_crossed(life, params, clock, start):
        return "daily reset"
    if _restart_between(events, life["prev_last_activity"], start, params.restart_within):
        return "restart recovery"
    if params.idle_minutes and life["prev_last_activity"] is not None:
        if start - life["prev_last_activity"] >= timedelta(minutes=params.idle_minutes):
            return "idle reset"
    return None


def _daily_crossed(life, params, clock, start) -> bool:
    prev = life["prev_last_activity"]
    if prev is None:
        return False
    boundary = _last_boundary(clock.localize(start), params.daily_hour)
    return clock.localize(prev) < boundary


def _ruled_out_policy(life, params, clock, start) -> list[str]:
    out = []
    prev = life["prev_last_activity"]
    if prev is None:
        out.append("daily / idle reset: no earlier session of this key in the inputs to compare with")
        return out
    boundary = _last_boundary(clock.localize(start), params.daily_hour)
    if clock.localize(prev) >= boundary:
        out.append(f"daily reset: previous activity {clock.local_label(prev)}, the "
                   f"{params.daily_hour:02d}:00 boundary ({boundary.strftime('%Y-%m-%d %H:%M')}) was not crossed")
    gap = start - prev
    if params.idle_minutes:
        if gap < timedelta(minutes=params.idle_minutes):
            out.append(f"idle reset: {_seconds(gap)} since the previous activity, below idleMinutes={params.idle_minutes}")
    else:
        out.append(f"idle reset: {_seconds(gap)} since the previous activity (idle resets are off by default; "
                   "pass --idle-minutes if the config sets one)")
    return out


def _restart_ruled_out(events: pl.DataFrame, start: datetime, since: datetime | None, clock) -> str:
    """Was the gateway restarted between the previous session's last activity and this start?"""
    since = since or start - timedelta(minutes=10)
    span = pl.col("ts").is_between(since, start + timedelta(seconds=5))
    restarts = events.filter(span & pl.col("kind").is_in(["gateway_start", "gateway_stop", "gateway_restart"]))
    pids = events.filter(span & pl.col("pid").is_not_null() & pl.col("ident").is_in(["node", "bun", "openclaw", "clawdbot", "moltbot"]))["pid"].unique()
    where = f"between {clock.local_label(since)} and the start"
    if restarts.height:
        return f"gateway restart: NOT ruled out — {restarts.height} start/stop line(s) {where}"
    if pids.len() == 1:
        return f"gateway restart: same PID {pids[0]} throughout, no start/stop line {where}"
    if pids.len() > 1:
        return f"gateway restart: NOT ruled out — PIDs {', '.join(map(str, pids.sort()))} {where}"
    return f"gateway restart: no gateway log line {where} (a log covering it would settle this)"


def _flap_dict(flap: dict | None) -> dict | None:
    if not flap:
        return None
    return {"start": iso_z(flap["start"]), "end": iso_z(flap["end"]), "channel": flap["channel"],
            "closes": flap["closes"], "resumes": flap["resumes"], "reconnects": flap["reconnects"],
            "codes": list(flap["codes"]), "self_closes": flap["self_closes"]}


def _evidence(events, life, flap, listener, start) -> list[dict]:
    sid, prev = life["session_id"], life["prev_session_id"]
    pred = (pl.col("session_id") == sid) & pl.col("kind").is_in(["session_start", "reset_prompt", "reset_notice"])
    if prev:
        last = life["prev_last_activity"]
        pred = pred | ((pl.col("session_id") == prev) & (pl.col("ts") == last))
    if flap:
        # The connection events nearest the start, on both sides.
        near = (pl.col("kind").is_in(["ws_close", "resume_attempt", "reconnect_attempt"])
                & ((pl.col("ts") - start).abs() <= timedelta(seconds=45)))
        pred = pred | near
    if listener:
        pred = pred | ((pl.col("source") == listener["source"]) & (pl.col("line") == listener["line"]))
    return evidence_rows(events, pred, limit=16)


def run(tl: Timeline, rule=None, params: dict | None = None) -> list[Finding]:
    """Entry point for the rule engine: findings of both rules this check serves."""
    params = dict(params or {})
    for key in ("flap_margin", "fresh_within", "replay_after", "bracket_slack", "command_log_within", "restart_within"):
        if isinstance(params.get(key), str):
            from moltdiag.rules.model import parse_duration

            params[key] = parse_duration(params[key], f"{getattr(rule, 'path', 'reset_cause')}: params.{key}")
    known = {k: v for k, v in params.items() if k in ResetParams.__dataclass_fields__}
    # Two rule files name this check: classify once per timeline and parameter set.
    key = tuple(sorted((k, str(v)) for k, v in known.items()))
    cache = tl.__dict__.setdefault("_reset_cause_cache", {})
    if key not in cache:
        cache[key] = classify_resets(tl, ResetParams(**known))
    return cache[key]
