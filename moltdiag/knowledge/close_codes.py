"""WebSocket close codes as a Discord bot sees them: RFC 6455 §7.4.1 and Discord's 4000–4014.

Sources: RFC 6455; discord-api-docs `developers/topics/opcodes-and-status-codes.mdx`
("Gateway Close Event Codes"); ../shared/spec/openclaw-events.md §2.1.
"""

from __future__ import annotations

from typing import NamedTuple


class CloseCode(NamedTuple):
    meaning: str
    resumable: bool  # may the client RESUME the Discord session after it?
    fatal: bool  # does the client stop reconnecting (bad token, intents …)?


CLOSE_CODES: dict[int, CloseCode] = {
    1000: CloseCode("normal closure (a client-sent 1000 invalidates the Discord session)", False, False),
    1001: CloseCode("going away (a client-sent 1001 invalidates the Discord session)", False, False),
    1005: CloseCode("no status code in the close frame; also what `ws` reports when the client closed without a code", True, False),
    1006: CloseCode("abnormal closure: connection dropped without a close frame", True, False),
    1011: CloseCode("server internal error", True, False),
    1012: CloseCode("service restart", True, False),
    1013: CloseCode("try again later", True, False),
    4000: CloseCode("Discord: unknown error", True, False),
    4001: CloseCode("Discord: unknown opcode sent", True, False),
    4002: CloseCode("Discord: decode error (invalid payload sent)", True, False),
    4003: CloseCode("Discord: not authenticated", False, False),
    4004: CloseCode("Discord: authentication failed (invalid token)", False, True),
    4005: CloseCode("Discord: already authenticated", False, False),
    4007: CloseCode("Discord: invalid seq on resume; start a new session", False, False),
    4008: CloseCode("Discord: rate limited (more than 120 gateway events per 60 s)", True, False),
    4009: CloseCode("Discord: session timed out; start a new session", False, False),
    4010: CloseCode("Discord: invalid shard", False, True),
    4011: CloseCode("Discord: sharding required", False, True),
    4012: CloseCode("Discord: invalid API version", False, True),
    4013: CloseCode("Discord: invalid intent(s)", False, True),
    4014: CloseCode("Discord: disallowed intent(s) (privileged intent not enabled)", False, True),
}

FATAL_CODES = frozenset(code for code, info in CLOSE_CODES.items() if info.fatal)


def describe(code: int | None) -> str:
    if code is None:
        return "no code"
    info = CLOSE_CODES.get(int(code))
    if info is None:
        return f"{code}: not a documented RFC 6455 or Discord close code"
    resume = "fatal, no reconnect" if info.fatal else ("resumable" if info.resumable else "session lost, fresh IDENTIFY")
    return f"{code}: {info.meaning} ({resume})"
