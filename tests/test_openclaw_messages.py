"""The shared message classifier (spec §0.2, §1.1–1.9, §2.1, §2.4, §5): every kind, both log shapes.

Each row names one spec string. Console rows are run bare and behind both zoned ISO
prefixes (`…Z`, `…+01:00`); file rows carry the file-log message (and, where the file
message itself does not name the channel, the file-log subsystem the parser would set).
Every typed field is asserted, so a field filled where it should stay null fails too.
"""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from moltdiag.parsers import openclaw_messages as om
from moltdiag.parsers.openclaw_messages import classify_log_messages
from moltdiag.schema import KINDS, UTC_US, conform

STAMPS = {
    "bare": ("", None),
    "utc": ("2026-01-27T19:05:10.412Z ", datetime(2026, 1, 27, 19, 5, 10, 412000, tzinfo=timezone.utc)),
    "offset": ("2026-03-05T20:05:10.412+01:00 ", datetime(2026, 3, 5, 19, 5, 10, 412000, tzinfo=timezone.utc)),
}

# Typed fields checked on every positive row (absent from a row's expectation = must be null).
TYPED = ("kind", "channel", "code", "backoff_ms", "after_code", "duration_ms", "listener", "event_name",
         "pid", "session_key", "session_id")



def classify(texts: list[str], **cols: list) -> pl.DataFrame:
    return classify_log_messages(conform(pl.DataFrame({"text": texts, **cols})))


def one(text: str, subsystem: str | None = None) -> dict:
    cols = {"subsystem": [subsystem]} if subsystem is not None else {}
    df = classify([text], **cols)
    assert df.height == 1
    return df.row(0, named=True)


# --- the table --------------------------------------------------------------------------

CASES: list = []


def console(case_id: str, line: str, *, subsystem: str | None = "", marks=(), **expected) -> None:
    """A console/journald line `[tag] message`, bare and behind each zoned prefix.

    subsystem "" = the line's own leading tag; None = do not check.
    """
    if subsystem == "" and line.startswith("["):
        subsystem = line[1:line.index("]")]
    for stamp_id, (prefix, instant) in STAMPS.items():
        CASES.append(pytest.param(prefix + line, None, subsystem, instant, expected,
                                  id=f"{case_id}-console-{stamp_id}", marks=marks))


def file(case_id: str, text: str, *, file_subsystem: str | None = None, marks=(), **expected) -> None:
    """A file-log message (`discord gateway: X`), optionally with the file-log subsystem."""
    CASES.append(pytest.param(text, file_subsystem, file_subsystem, None, expected, id=f"{case_id}-file", marks=marks))


def both(case_id: str, console_line: str, file_text: str, *, file_subsystem: str | None = None,
         console_marks=(), file_marks=(), **expected) -> None:
    console(case_id, console_line, marks=console_marks, **expected)
    file(case_id, file_text, file_subsystem=file_subsystem, marks=file_marks, **expected)


DISCORD_SUB = "gateway/channels/discord"

# §1.1 Discord era A — Carbon 0.14 debug lines promoted to INFO.
both("resume", "[discord] gateway: Attempting resume with backoff: 1000ms",
     "discord gateway: Attempting resume with backoff: 1000ms",
     kind="resume_attempt", channel="discord", backoff_ms=1000)
both("resume-after-code", "[discord] gateway: Attempting resume with backoff: 2000ms after code 1006",
     "discord gateway: Attempting resume with backoff: 2000ms after code 1006",
     kind="resume_attempt", channel="discord", backoff_ms=2000, after_code=1006)
both("reconnecting", "[discord] gateway: Reconnecting with backoff: 4000ms",
     "discord gateway: Reconnecting with backoff: 4000ms",
     kind="reconnect_attempt", channel="discord", backoff_ms=4000)
both("reconnecting-after-code", "[discord] gateway: Reconnecting with backoff: 30000ms after code 4009",
     "discord gateway: Reconnecting with backoff: 30000ms after code 4009",
     kind="reconnect_attempt", channel="discord", backoff_ms=30000, after_code=4009)
both("ws-close-1005", "[discord] gateway: WebSocket connection closed with code 1005",
     "discord gateway: WebSocket connection closed with code 1005",
     kind="ws_close", channel="discord", code=1005)
both("ws-close-4014", "[discord] gateway: WebSocket connection closed with code 4014",
     "discord gateway: WebSocket connection closed with code 4014",
     kind="ws_close", channel="discord", code=4014)
both("stalled", "[discord] connection stalled: no HELLO received within 30000ms, forcing reconnect",
     "connection stalled: no HELLO received within 30000ms, forcing reconnect", file_subsystem=DISCORD_SUB,
     kind="connection_stalled", channel="discord")
both("fatal-era-a", "[discord] gateway error: Fatal Gateway error: 4014",
     "discord gateway error: Fatal Gateway error: 4014",
     kind="gateway_error", channel="discord", code=4014)
both("max-reconnect-after-code", "[discord] gateway error: Max reconnect attempts (50) reached after code 1005",
     "discord gateway error: Max reconnect attempts (0) reached after code 1005",
     kind="gateway_error", channel="discord", code=1005)
both("max-reconnect", "[discord] gateway error: Max reconnect attempts (5) reached",
     "discord gateway error: Max reconnect attempts (5) reached",
     kind="gateway_error", channel="discord")
both("gateway-error-dns", "[discord] gateway error: Error: getaddrinfo ENOTFOUND gateway-us-east1-d.discord.gg",
     "discord gateway error: Error: getaddrinfo ENOTFOUND gateway-us-east1-d.discord.gg",
     kind="gateway_error", channel="discord")
# Carbon's console.* lines are captured into the file without subsystem: same text both ways.
console("eventqueue-slow", "[EventQueue] Slow listener detected: InteractionEventListener took 4503ms for event INTERACTION_CREATE",
        kind="slow_listener", channel="discord", duration_ms=4503.0, listener="InteractionEventListener",
        event_name="INTERACTION_CREATE")
console("openclaw-slow-seconds", "[discord] Slow listener detected: DiscordMessageListener took 12.3 seconds for event MESSAGE_CREATE",
        kind="slow_listener", channel="discord", duration_ms=12300.0, listener="DiscordMessageListener",
        event_name="MESSAGE_CREATE")
console("eventqueue-timeout", "[EventQueue] Listener DiscordMessageListener timed out after 30000ms for event MESSAGE_CREATE",
        kind="listener_timeout", channel="discord", duration_ms=30000.0, listener="DiscordMessageListener",
        event_name="MESSAGE_CREATE")
file("unknown-interaction", "Unknown interaction", kind="interaction_expired")
file("unknown-interaction-api", "DiscordAPIError[10062]: Unknown interaction", kind="interaction_expired")
file("already-acked", "Interaction has already been acknowledged", kind="interaction_expired")
both("interaction-expired", "[discord] interaction reply skipped (interaction expired)",
     "discord: interaction reply skipped (interaction expired)",
     kind="interaction_expired", channel="discord")
both("starting-provider", "[discord] [default] starting provider (@molty)",
     "[default] starting provider (@molty)", file_subsystem=DISCORD_SUB,
     kind="provider_start", channel="discord")
both("logged-in", "[discord] logged in to discord as 123456789012345678",
     "logged in to discord", file_subsystem=DISCORD_SUB,
     kind="provider_start", channel="discord")
both("channel-exited", "[discord] [default] channel exited: Max reconnect attempts (50) reached after code 1005",
     "[default] channel exited: Max reconnect attempts (50) reached after code 1005", file_subsystem=DISCORD_SUB,
     kind="provider_exit", channel="discord")

# §1.2 Discord eras B/C.
both("ws-closed-era-b", "[discord] gateway: Gateway websocket closed: 1000",
     "discord gateway: Gateway websocket closed: 1000",
     kind="ws_close", channel="discord", code=1000)
both("scheduled-resume-true", "[discord] gateway: Gateway reconnect scheduled in 1234ms (close, resume=true)",
     "discord gateway: Gateway reconnect scheduled in 1234ms (close, resume=true)",
     kind="resume_attempt", channel="discord", backoff_ms=1234)
both("scheduled-zombie", "[discord] gateway: Gateway reconnect scheduled in 987ms (zombie, resume=true)",
     "discord gateway: Gateway reconnect scheduled in 987ms (zombie, resume=true)",
     kind="resume_attempt", channel="discord", backoff_ms=987)
both("scheduled-resume-false", "[discord] gateway: Gateway reconnect scheduled in 1234ms (close, resume=false)",
     "discord gateway: Gateway reconnect scheduled in 1234ms (close, resume=false)",
     kind="reconnect_attempt", channel="discord", backoff_ms=1234)
both("scheduled-invalid-session", "[discord] gateway: Gateway reconnect scheduled in 5000ms (invalid-session, resume=false)",
     "discord gateway: Gateway reconnect scheduled in 5000ms (invalid-session, resume=false)",
     kind="reconnect_attempt", channel="discord", backoff_ms=5000)
both("fresh-identify", "[discord] gateway: Gateway forcing fresh IDENTIFY after 3 failed resume attempts",
     "discord gateway: Gateway forcing fresh IDENTIFY after 3 failed resume attempts",
     kind="reconnect_attempt", channel="discord")
both("fatal-close-code", "[discord] gateway error: Fatal gateway close code: 4014",
     "discord gateway error: Fatal gateway close code: 4014",
     kind="gateway_error", channel="discord", code=4014)
both("max-reconnect-close-code", "[discord] gateway error: Max reconnect attempts (50) reached after close code 1006",
     "discord gateway error: Max reconnect attempts (50) reached after close code 1006",
     kind="gateway_error", channel="discord", code=1006)
both("heartbeat-ack-timeout", "[discord] gateway error: Gateway heartbeat ACK timeout",
     "discord gateway error: Gateway heartbeat ACK timeout",
     kind="gateway_error", channel="discord")
both("closed-4014-intents", "[discord] gateway closed with code 4014 (missing privileged gateway intents). Enable it.",
     "discord: gateway closed with code 4014 (missing privileged gateway intents). Enable it.",
     kind="gateway_error", channel="discord", code=4014)
file("json-slow-listener",
     '{"scope":"event-queue","level":"warn","type":"slow-listener","listener":"InteractionEventListener",'
     '"eventType":"INTERACTION_CREATE","durationMs":3241,"lane":"interactions"}',
     kind="slow_listener", channel="discord", duration_ms=3241.0, listener="InteractionEventListener",
     event_name="INTERACTION_CREATE")
both("not-ready", "[discord] gateway did not reach READY within 30000ms",
     "discord gateway did not reach READY within 30000ms",
     kind="connection_stalled", channel="discord")
both("opened-not-ready", "[discord] gateway opened but did not reach READY within 15000ms",
     "discord gateway opened but did not reach READY within 15000ms",
     kind="connection_stalled", channel="discord")
both("ready-wait-timed-out", "[discord] gateway READY wait timed out after 15000ms; reconnecting with backoff (attempt 2)",
     "discord: gateway READY wait timed out after 15000ms; reconnecting with backoff (attempt 2)",
     kind="connection_stalled", channel="discord")
both("client-initialized", "[discord] client initialized as 123456789012345678 (molty); awaiting gateway readiness",
     "discord client initialized as 123456789012345678 (molty); awaiting gateway readiness",
     kind="provider_start", channel="discord")

# §1.3 health monitor: the tag names channel and account.
console("health-monitor", "[discord:default] health-monitor: restarting (reason: stale-socket)",
        kind="health_restart", channel="discord")
console("health-monitor-tagged", "[gateway] [telegram:default] health-monitor: restarting (reason: stuck)",
        kind="health_restart", channel="telegram")

# §1.4–1.7 other channels.
both("telegram-409",
     "[telegram] getUpdates conflict: Call to 'getUpdates' failed! (409: Conflict: terminated by other getUpdates "
     "request; make sure that only one bot instance is running); retrying in 30s.",
     "Telegram getUpdates conflict: Call to 'getUpdates' failed! (409: Conflict: terminated by other getUpdates "
     "request; make sure that only one bot instance is running); retrying in 30s.",
     kind="channel_conflict", channel="telegram", code=409)
both("telegram-start", "[telegram] [default] starting provider (@mybot)", "[default] starting provider (@mybot)",
     file_subsystem="gateway/channels/telegram", kind="provider_start", channel="telegram")
both("whatsapp-440",
     "[whatsapp] Web connection closed (status 440). Retry 2/12 in 4.46s… (status=440 Unknown Stream Errored (conflict))",
     "WhatsApp Web connection closed (status 440). Retry 2/12 in 4.46s… (status=440 Unknown Stream Errored (conflict))",
     kind="channel_reconnect", channel="whatsapp", code=440)
both("whatsapp-web-reconnect", "[whatsapp] web reconnect: connection closed", "web reconnect: connection closed",
     file_subsystem="gateway/channels/whatsapp", kind="channel_reconnect", channel="whatsapp")
both("whatsapp-no-messages", "[whatsapp] No messages received in 31m - restarting connection",
     "No messages received in 31m - restarting connection", file_subsystem="gateway/channels/whatsapp",
     kind="channel_reconnect", channel="whatsapp")
both("whatsapp-listening", "[whatsapp] Listening for personal WhatsApp inbound messages.",
     "Listening for personal WhatsApp inbound messages.", file_subsystem="gateway/channels/whatsapp",
     kind="provider_start", channel="whatsapp")
console("slack-pong", "[WARN]  socket-mode:SlackWebSocket:1 A pong wasn't received from the server before the timeout of 5000ms!",
        subsystem=None, kind="channel_reconnect", channel="slack")
console("slack-ping", "[WARN]  socket-mode:SlackWebSocket:3 A ping wasn't received from the server before the timeout of 30000ms!",
        subsystem=None, kind="channel_reconnect", channel="slack")
console("slack-connected", "[INFO]  socket-mode:SocketModeClient:2 Now connected to Slack",
        subsystem=None, kind="channel_reconnect", channel="slack")
# Later builds print this after every socket-mode reconnect, not once per provider start
# (#72808), so it is not evidence of a provider restart.
both("slack-socket-mode", "[slack] socket mode connected", "slack socket mode connected",
     file_subsystem="gateway/channels/slack",
     kind="other", channel="slack")
both("slack-start", "[slack] [default] starting provider", "[default] starting provider",
     file_subsystem="gateway/channels/slack", kind="provider_start", channel="slack")
both("signal-sse-lost", "[signal] SSE connection lost, reconnecting in 2s...",
     "Signal SSE connection lost, reconnecting in 2s...",
     kind="channel_reconnect", channel="signal")

# §1.8 gateway process lifecycle (no channel — "signal" here is not the Signal channel).
both("listening", "[gateway] listening on ws://127.0.0.1:18789 (PID 43079)",
     "listening on ws://127.0.0.1:18789 (PID 43079)", file_subsystem="gateway",
     kind="gateway_start", pid=43079)
both("sigterm", "[gateway] signal SIGTERM received", "signal SIGTERM received", kind="gateway_stop")
both("sigint", "[gateway] signal SIGINT received", "signal SIGINT received", kind="gateway_stop")
both("sigterm-shutting-down", "[gateway] received SIGTERM; shutting down", "received SIGTERM; shutting down",
     kind="gateway_stop")
both("sigusr1-restarting", "[gateway] received SIGUSR1; restarting", "received SIGUSR1; restarting",
     kind="gateway_restart")
both("sigusr1-signal", "[gateway] signal SIGUSR1 received", "signal SIGUSR1 received", kind="gateway_restart")
file("shutdown-timed-out", "shutdown timed out; exiting without full cleanup", kind="gateway_stop")
# systemd's own lines (journald message after `systemd[1]: `).
file("systemd-started", "Started openclaw-gateway.service - OpenClaw Gateway (v2026.1.30).", kind="gateway_start")
file("systemd-started-clawdbot", "Started clawdbot-gateway.service - Clawdbot Gateway.", kind="gateway_start")
file("systemd-stopping", "Stopping openclaw-gateway.service - OpenClaw Gateway (v2026.1.30)...", kind="gateway_stop")
file("systemd-stopped", "Stopped openclaw-gateway.service - OpenClaw Gateway (v2026.1.30).", kind="gateway_stop")
file("systemd-main-exited", "openclaw-gateway.service: Main process exited, code=exited, status=1/FAILURE",
     kind="gateway_stop")
file("systemd-failed", "openclaw-gateway.service: Failed with result 'exit-code'.", kind="gateway_stop")
file("systemd-scheduled-restart", "openclaw-gateway.service: Scheduled restart job, restart counter is at 3.",
     kind="gateway_restart")

# §1.9 automatic resets and refused commands.
console("auto-compaction",
        "Auto-compaction failed (context overflow). Restarting session agent:main:discord:channel:1465 -> "
        "0b6a1c2e-1111-2222-3333-444455556666 and retrying.",
        subsystem=None, kind="session_reset_log", session_key="agent:main:discord:channel:1465",
        session_id="0b6a1c2e-1111-2222-3333-444455556666")
file("role-ordering", "Role ordering conflict (tool_result first). Restarting session agent:main:main -> abc-123.",
     kind="session_reset_log", session_key="agent:main:main", session_id="abc-123")
console("unauthorized-reset", "Ignoring /reset from unauthorized sender: 123", subsystem=None, kind="command_refused")
console("unauthorized-reset-tagged", "[discord] Ignoring /reset from unauthorized sender: 123",
        kind="command_refused", channel="discord")


@pytest.mark.parametrize(("text", "given_subsystem", "subsystem", "instant", "expected"), CASES)
def test_positive(text, given_subsystem, subsystem, instant, expected):
    row = one(text, given_subsystem)
    got = {f: row[f] for f in TYPED}
    want = {f: expected.get(f) for f in TYPED}
    assert got == want
    if subsystem is not None:
        assert row["subsystem"] == subsystem
    assert row["embedded_ts"] == instant


def test_every_emitted_kind_has_a_positive_sample():
    emitted = {k for k, _ in om._KIND_LITERALS} | {k for k, _ in om._KIND_REGEXES}
    covered = {p.values[4]["kind"] for p in CASES if not p.marks}
    assert emitted <= set(KINDS)
    assert emitted - covered == set()


def test_json_listener_timeout_kind():
    # Spec §1.2 names only the type; field names are not specified, so only kind/channel are checked.
    row = one('{"scope":"event-queue","level":"warn","type":"listener-timeout","listener":"DiscordMessageListener",'
              '"eventType":"MESSAGE_CREATE","lane":"messages"}')
    assert row["kind"] == "listener_timeout"
    assert row["channel"] == "discord"


def test_console_and_file_forms_agree():
    pairs = [
        ("[discord] gateway: WebSocket connection closed with code 1005",
         "discord gateway: WebSocket connection closed with code 1005"),
        ("[discord] gateway: Attempting resume with backoff: 1000ms after code 1006",
         "discord gateway: Attempting resume with backoff: 1000ms after code 1006"),
        ("[telegram] getUpdates conflict: Call to 'getUpdates' failed! (409: Conflict: x); retrying in 30s.",
         "Telegram getUpdates conflict: Call to 'getUpdates' failed! (409: Conflict: x); retrying in 30s."),
    ]
    df = classify([t for pair in pairs for t in pair])
    cols = ["kind", "channel", "code", "backoff_ms", "after_code"]
    rows = df.select(cols).rows()
    for i in range(0, len(rows), 2):
        assert rows[i] == rows[i + 1]


# --- timestamps and tags --------------------------------------------------------------------


def test_pretty_time_prefix_is_split_but_has_no_instant():
    row = one("19:05:10 [discord] gateway: WebSocket connection closed with code 1005")
    assert (row["kind"], row["code"], row["subsystem"]) == ("ws_close", 1005, "discord")
    assert row["embedded_ts"] is None
    assert row["text"] == "gateway: WebSocket connection closed with code 1005"


@pytest.mark.parametrize(("prefix", "instant"), [
    ("2026-01-27T19:05:10Z", datetime(2026, 1, 27, 19, 5, 10, tzinfo=timezone.utc)),
    ("2026-01-27T13:05:10.5-06:00", datetime(2026, 1, 27, 19, 5, 10, 500000, tzinfo=timezone.utc)),
    ("2026-01-27T13:05:10.5-0600", datetime(2026, 1, 27, 19, 5, 10, 500000, tzinfo=timezone.utc)),
    ("2026-01-27T19:05:10.123456789Z", datetime(2026, 1, 27, 19, 5, 10, 123456, tzinfo=timezone.utc)),
])
def test_embedded_stamp_precisions_and_offsets(prefix, instant):
    row = one(prefix + " [discord] gateway: Gateway websocket closed: 1000")
    assert row["embedded_ts"] == instant
    assert (row["kind"], row["code"]) == ("ws_close", 1000)


def test_embedded_ts_dtype_and_row_order():
    texts = ["[heartbeat] started", "2026-01-27T19:05:10.412Z [discord] gateway: Gateway websocket closed: 1000",
             "signal SIGTERM received"]
    df = classify(texts)
    assert df.schema["embedded_ts"] == UTC_US
    assert df["kind"].to_list() == ["other", "ws_close", "gateway_stop"]


def test_preset_kind_channel_and_subsystem_are_kept():
    df = classify(["garbage \x00 line", "gateway: WebSocket connection closed with code 1005"],
                  kind=["unparsed", None], subsystem=[None, "gateway/channels/discord"])
    assert df["kind"].to_list() == ["unparsed", "ws_close"]
    assert df["subsystem"].to_list() == [None, "gateway/channels/discord"]
    assert df["channel"].to_list() == [None, "discord"]


# --- negatives -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "subsystem"), [
    ("[heartbeat] started", "heartbeat"),
    ("[ws] ⇄ res ✓ chat.history 63ms", "ws"),
    ("[canvas] host mounted at http://127.0.0.1:18789/__openclaw__/canvas/ (root /home/u/.openclaw/canvas)", "canvas"),
    ("[gateway] agent model: anthropic/claude-opus-4-5", "gateway"),
    ("[gateway] log file: /tmp/openclaw/openclaw-2026-01-27.log", "gateway"),
    ("[reload] config change detected; evaluating reload (gateway.port)", "reload"),
    ("[memory] indexed 3 files", "memory"),
    ("hey the bot timed out again, can you check what happened?", None),
    ("my listener timed out after lunch", None),
    ("2026-01-27T19:05:10.412Z [heartbeat] started", "heartbeat"),
])
def test_ordinary_lines_are_other(text, subsystem):
    row = one(text)
    assert row["kind"] == "other"
    assert row["code"] is None and row["backoff_ms"] is None and row["duration_ms"] is None
    assert row["channel"] is None
    assert row["subsystem"] == subsystem


def test_memory_tag_survives_ansi_stripping():
    row = one("[memory] indexed 3 files")
    assert (row["subsystem"], row["text"]) == ("memory", "indexed 3 files")


@pytest.mark.parametrize("text", ["signal SIGTERM received", "[gateway] signal SIGTERM received",
                                  "2026-01-27T19:05:10.412Z [gateway] signal SIGINT received",
                                  "signal SIGUSR1 received"])
def test_signal_word_is_not_the_signal_channel(text):
    row = one(text)
    assert row["channel"] is None
    assert row["kind"] in {"gateway_stop", "gateway_restart"}


def test_verbose_socket_opened_is_other_but_keeps_channel():
    row = one("[discord] gateway: WebSocket connection opened")
    assert (row["kind"], row["channel"], row["code"]) == ("other", "discord", None)


# --- ANSI and multi-line -------------------------------------------------------------------------

ESC = "\x1b"
CLOSE_TEXT = "gateway: WebSocket connection closed with code 1005"


@pytest.mark.parametrize("text", [
    f"{ESC}[2m2026-01-27T19:05:10.412Z{ESC}[22m {ESC}[36m[discord]{ESC}[39m {CLOSE_TEXT}",
    f"[2m2026-01-27T19:05:10.412Z[22m [36m[discord][39m {CLOSE_TEXT}",
    f"{ESC}[1;31m[discord]{ESC}[0m {CLOSE_TEXT}{ESC}[m",
    f"[1;31m[discord][0m {CLOSE_TEXT}[m",
    f"[discord][m {CLOSE_TEXT}",
    f"{ESC}[?25h[discord] {CLOSE_TEXT}",
    f"[m[discord] {CLOSE_TEXT}",
], ids=["esc-stamped", "residue-stamped", "esc-bold", "residue-bold", "residue-bare-m", "esc-private", "residue-m-bracket"])
def test_ansi_is_stripped(text):
    row = one(text)
    assert (row["kind"], row["code"], row["channel"]) == ("ws_close", 1005, "discord")
    assert row["subsystem"] == "discord"
    assert row["text"] == CLOSE_TEXT
    if "2026" in text:
        assert row["embedded_ts"] == STAMPS["utc"][1]


@pytest.mark.parametrize("text", [f"{ESC}[35m[memory]{ESC}[39m indexed 3 files", "[35m[memory][39m indexed 3 files"])
def test_ansi_coloured_memory_tag(text):
    row = one(text)
    assert (row["kind"], row["subsystem"], row["text"]) == ("other", "memory", "indexed 3 files")


def test_multiline_message_keeps_tag_split():
    text = ("2026-01-27T19:05:10.412Z [discord] gateway error: Error: getaddrinfo ENOTFOUND gateway-us-east1-d.discord.gg\n"
            "    at GetAddrInfoReqWrap.onlookup (node:dns:107:26)")
    row = one(text)
    assert row["subsystem"] == "discord"
    assert row["text"].startswith("gateway error: Error: getaddrinfo")
    assert row["text"].endswith("(node:dns:107:26)") and "\n" in row["text"]
    assert (row["kind"], row["channel"]) == ("gateway_error", "discord")
    assert row["embedded_ts"] == STAMPS["utc"][1]


def test_multiline_close_line_still_typed():
    row = one("[discord] gateway: WebSocket connection closed with code 1006\n(continued)")
    assert (row["subsystem"], row["kind"], row["code"]) == ("discord", "ws_close", 1006)


def test_level_tag_with_piped_subsystem_form():
    """`[LEVEL] subsystem | message key=value` lines (issue #5 item 1): level, subsystem and the
    bare message are split; the kind and typed fields come from the message."""
    out = classify([
        "2026-03-05T20:05:10.412+01:00 [INFO] gateway/channels/discord | discord gateway: WebSocket connection "
        "closed with code 1006 attempt=3",
        "[WARN] discord/monitor | Slow listener detected: DiscordMessageListener took 31.2 seconds for event "
        "MESSAGE_CREATE listener=DiscordMessageListener",
        "[memory] indexed 3 files | total 12",  # a tag that is not a level: left alone
    ])
    first, second, third = out.iter_rows(named=True)
    assert (first["kind"], first["code"], first["level"], first["subsystem"]) == ("ws_close", 1006, "info",
                                                                               "gateway/channels/discord")
    assert first["text"].startswith("discord gateway: WebSocket")
    assert (second["kind"], second["duration_ms"], second["level"], second["subsystem"]) == (
        "slow_listener", 31200.0, "warn", "discord/monitor")
    assert (third["subsystem"], third["level"], third["text"]) == ("memory", None, "indexed 3 files | total 12")
