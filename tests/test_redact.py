"""Redaction: planted secrets never survive, pseudonyms are consistent, diagnosis markers stay.

Every planted secret is assembled from pieces at run time so that no complete token shape
appears in this file (secret scanners on the repository stay quiet).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import polars as pl
import pytest

from moltdiag.redact import (
    SECRET_PATTERNS,
    Redactor,
    redact_frame,
    redact_message_text,
    redact_secrets,
    redact_text,
    secrets_expr,
)
from moltdiag.schema import EVENT_SCHEMA, conform


def j(*parts: str) -> str:
    return "".join(parts)


A36 = "Zx7Kp2Lm4Nq8Rs1Tu5Vw9Xy3Za6Bc0De2Fg"  # 36 characters of token alphabet
A48 = A36 + "Hj4Kl6Mn8Pq0"
PEM_BODY = [
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACDplantedKeyMaterialXyZ0123456789abcdefABCDEFghijklmnopQRSTUV",
]

# (type in the marker, text as it would appear, the secret bytes that must vanish)
PLANTED: list[tuple[str, str, list[str]]] = []


def _plant(typ: str, context: str, *secrets: str) -> None:
    PLANTED.append((typ, context, list(secrets)))


_discord = j("MTQ2MDAwMDAwMDAwMDAwMDAwMQ", ".", "GqX9aB", ".", "Zx7_Kp2-Lm4Nq8Rs1Tu5Vw9Xy3Za6Bc0De")
_plant("discord-token", f"discord token {_discord} loaded", _discord)
_discord2 = j("OTk4ODc3NjY1NTQ0MzMyMjExMA", ".", "Yh6-Tr", ".", "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb")
_plant("discord-token", f"Authorization: Bot {_discord2}", _discord2)
_telegram = j("7123456789", ":", "AAH", "dQw4w9WgXcQ", "plantedTelegramTok3n_x-1")
_plant("telegram-token", f"GET https://api.telegram.org/bot{_telegram}/getUpdates", _telegram)
_slack_b = j("xox", "b-", "123456789012-1234567890123-", "AbCdEfGhIjKlMnOpQrStUvWx")
_plant("slack-token", f"slack botToken {_slack_b}", _slack_b)
_slack_p = j("xox", "p-", "123456789012-1234567890123-1234567890123-", "0123456789abcdef0123456789abcdef")
_plant("slack-token", f"using {_slack_p} for user scope", _slack_p)
_slack_a = j("xa", "pp-", "1-A0123ABCDEF-1234567890123-", "0123456789abcdef" * 4)
_plant("slack-app-token", f"appToken={_slack_a}", _slack_a)
_openai = j("sk", "-proj-", A48, "_Tz9")
_plant("openai-key", f"OPENAI_API_KEY is {_openai}", _openai)
_openai2 = j("sk", "-", A48)
_plant("openai-key", f"key {_openai2} rejected", _openai2)
_anthropic = j("sk", "-ant-", "api03-", A48, A36, "-AAA")
_plant("anthropic-key", f"anthropic auth {_anthropic}", _anthropic)
_bearer = j("plntd", "Bearer0penToken", "1234567890abcdef")
_plant("bearer-token", f"Authorization: Bearer {_bearer}", _bearer)
_tokkv = j("f00dfeed", "cafebabe", "1234")
_plant("token", f"GET /ws?token={_tokkv}&v=3", _tokkv)
_tokjs = j("gw-", "s3cr3tGateway", "Tok3n")
_plant("token", f'{{"gateway":{{"auth":{{"token":"{_tokjs}"}}}}}}', _tokjs)
_apikey = j("k-live-", "998877665544", "33")
_plant("api-key", f'{{"apiKey": "{_apikey}", "model": "x"}}', _apikey)
_gw1 = j("ocgw_", "9f8e7d6c5b4a", "3210")
_plant("gateway-token", f"Environment=OPENCLAW_GATEWAY_TOKEN={_gw1}", _gw1)
_gw2 = j("cbgw_", "0123456789ab", "cdef")
_plant("gateway-token", f"export CLAWDBOT_GATEWAY_TOKEN='{_gw2}'", _gw2)
_ghp = j("gh", "p_", A36)
_plant("github-token", f"git clone https://{_ghp}@github.com/x/y", _ghp)
_ghpat = j("github", "_pat_", "11ABCDEFG0", "_", A48, "abcdefghijk")
_plant("github-token", f"GH_TOKEN {_ghpat}", _ghpat)
_aws = j("AK", "IA", "IOSFODNN7", "PLANTED")
_plant("aws-access-key", f"aws_access_key_id = {_aws}", _aws)
_pem = j("-----BEGIN ", "OPENSSH PRIVATE KEY-----\n", PEM_BODY[0], "\n", PEM_BODY[1], "\n-----END OPENSSH PRIVATE KEY-----")
_plant("private-key", f"identity file:\n{_pem}\nend", *PEM_BODY)
_pem_escaped = _pem.replace("\n", "\\n")
_plant("private-key", f'{{"privateKey":"{_pem_escaped}"}}', *PEM_BODY)

# Secret types recognised by their key / header, not by their own shape.
CONTEXTUAL = {"bearer-token", "token", "api-key", "gateway-token", "private-key"}
ALL_SECRET_VALUES = sorted({s for _, _, secrets in PLANTED for s in secrets})


def _assert_clean(blob: str) -> None:
    for secret in ALL_SECRET_VALUES:
        assert secret not in blob, f"secret leaked: {secret[:12]}…"
        # a long enough tail must not survive either (partial matches leave tails)
        assert secret[-16:] not in blob, f"secret tail leaked: …{secret[-16:]}"


def _frame(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, schema_overrides={k: v for k, v in EVENT_SCHEMA.items() if k != "ts"},
                                infer_schema_length=None), internal=False)


def planted_frame() -> pl.DataFrame:
    """Every planted secret in every string field that can hold it."""
    rows: list[dict] = []
    for i, (typ, context, secrets) in enumerate(PLANTED):
        # a value that is a secret only by its context (``token=…``, a PEM line) is planted with it
        bare = context if typ in CONTEXTUAL else secrets[0]
        rows += [
            {"kind": "other", "text": f"config: {context}", "host": "atlas", "source": "journal.txt", "line": i},
            {"kind": "unparsed", "text": f"raw {context}", "host": bare, "source": f"/home/alice/{bare}/journal.txt"},
            {"kind": "user_message", "role": "user", "session_key": f"agent:main:discord:channel:{bare}",
             "message_id": bare,
             "text": f"[Discord My Server #general channel id:1460000000000000001 +3m 2026-01-27 20:05 GMT+1] "
                     f"Alice (alice): here {context}\n[message_id: 1465905400000000000]"},
            {"kind": "assistant_message", "role": "assistant", "text": f"noted: {context}", "ident": bare},
            {"kind": "tool_result", "role": "toolResult", "text": f"[exec] {context}", "ts_note": f"zone from {context}"},
            {"kind": "reset_prompt", "role": "user",
             "text": f"A new session was started via /new or /reset. {context}\n[message_id: {bare}]"},
            {"kind": "transcript_entry", "text": f"custom openclaw.x: {json.dumps({'data': context})}",
             "listener": bare, "subsystem": context, "event_name": bare},
            {"kind": "unparsed", "format": "transcript",
             "text": json.dumps({"type": "message", "message": {"role": "user", "content": [{"type": "text", "text": context}]}})},
        ]
    return _frame(rows)


# ---------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typ", "context", "secrets"), PLANTED, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(PLANTED)])
def test_each_secret_removed_from_text(typ, context, secrets):
    for include_text in (False, True):
        red = Redactor(include_text=include_text)
        for out in (red.redact_text(context), red.redact_message_text(context, "user", kind="user_message"),
                    redact_secrets(context)):
            for s in secrets:
                assert s not in out
        assert f"[REDACTED:{typ}]" in redact_secrets(context)
        assert not any(s in json.dumps(red.mapping()) for s in secrets)


@pytest.mark.parametrize("include_text", [False, True])
def test_planted_frame_nothing_survives(include_text):
    df = planted_frame()
    blob_in = df.write_ndjson()
    assert all(s in blob_in for s in ALL_SECRET_VALUES)  # the plant worked
    red = Redactor(include_text=include_text)
    out = red.redact_frame(df)
    assert out.schema == df.schema and out.height == df.height
    _assert_clean(out.write_ndjson())
    _assert_clean(json.dumps(red.mapping()))
    _assert_clean(json.dumps(red.mapping_by_kind()))
    # free-text channel too (summaries, evidence)
    _assert_clean("\n".join(red.redact_text(c) for _, c, _ in PLANTED))


def test_module_level_functions_remove_secrets():
    df = planted_frame()
    _assert_clean(redact_frame(df).write_ndjson())
    _assert_clean(redact_frame(df, include_text=True).write_ndjson())
    for _, context, _ in PLANTED:
        _assert_clean(redact_text(context))
        _assert_clean(redact_message_text(context, "user", include_text=True))


def test_python_and_polars_secret_passes_agree():
    samples = [c for _, c, _ in PLANTED] + [
        "System:   - default (dm:pairing, token:config)",
        "maxTokens=4096 totalTokens: 5 tokensBefore=171342",
        "https://alice:hunter2@example.net/x",
        "password: hunter2",
        j("eyJ", "hbGciOiJIUzI1NiJ9", ".", "eyJ", "zdWIiOiIxMjM0NTY3ODkwIn0", ".", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ]
    got = pl.DataFrame({"s": samples}).select(secrets_expr(pl.col("s")))["s"].to_list()
    assert got == [redact_secrets(s) for s in samples]


def test_every_pattern_compiles_in_both_engines():
    for name, pattern, _ in SECRET_PATTERNS:
        re.compile(pattern)
        pl.Series([""]).str.contains(pattern)  # raises on a Rust-regex syntax error


def test_extra_secret_shapes():
    jwt = j("eyJ", "hbGciOiJIUzI1NiJ9", ".", "eyJ", "zdWIiOiIxMjM0NTY3ODkwIn0", ".", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
    hook = j("https://discord.com/api/webhooks/", "1460000000000000001/", "AbCdEf-plantedWebhookTok3n_123")
    slack_hook = j("https://hooks.slack.com/services/", "T00000000/B00000000/", "XXXXplantedXXXXXXXXXXXX")
    creds = "https://alice:hunter2@git.example.net/repo"
    out = redact_text(f"{jwt} {hook} {slack_hook} {creds}")
    for s in (jwt[-20:], "plantedWebhookTok3n", "XXXXplantedXXXX", "hunter2"):
        assert s not in out
    assert "[REDACTED:jwt]" in out and "[REDACTED:discord-webhook]" in out and "[REDACTED:url-credentials]" in out


# ---------------------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------------------

def test_consistent_pseudonyms_across_rows_and_text():
    df = _frame([
        {"kind": "other", "host": "atlas", "text": "listening on ws://127.0.0.1:18789 (PID 43079)", "source": "/home/alice/j.txt"},
        {"kind": "other", "host": "atlas", "text": "ssh deploy@atlas ok; alice@atlas:~$ uptime"},
        {"kind": "unparsed", "host": None, "text": "Jan 27 13:02:11 atlas systemd[1204]: Started Session 3 of User alice."},
        {"kind": "other", "host": "nas", "text": "cwd=/home/bob/clawd mail bob@corp.example.org"},
    ])
    red = Redactor()
    out = red.redact_frame(df)
    host_atlas = red.mapping()["atlas"]
    assert re.fullmatch(r"host-\d+", host_atlas)
    assert out["host"].to_list()[:2] == [host_atlas, host_atlas]
    assert host_atlas in out["text"][1] and host_atlas in out["text"][2]
    assert "atlas" not in out.write_ndjson()
    alice, bob = red.mapping()["alice"], red.mapping()["bob"]
    assert alice != bob and alice.startswith("user-") and bob.startswith("user-")
    assert out["source"][0] == f"/home/{alice}/j.txt"
    assert f"User {alice}." in out["text"][2]
    assert f"/home/{bob}/clawd" in out["text"][3]
    assert red.mapping()["nas"] != host_atlas
    # the same redactor gives the same pseudonyms in free text afterwards; atlas.local is atlas
    assert red.redact_text("atlas: /Users/alice/x") == f"{host_atlas}: /Users/{alice}/x"
    assert red.redact_text("http://atlas.local:8123 host=atlas.lan") == f"http://{host_atlas}.local:8123 host={host_atlas}.lan"
    # streamed reply text in verbose ws logs is message text
    ws = "→ event agent seq=42 run=run-1795596457280558615 stream=assistant aseq=12 text=Let's talk about the plan."
    assert red.redact_text(ws) == ws.split("text=")[0] + "text=" + _ph("Let's talk about the plan.")


def test_identifier_shapes():
    red = Redactor()
    out = red.redact_text(
        "agent:main:whatsapp:dm:+15551234567 from 15551234567@s.whatsapp.net in 120363012345678901@g.us; "
        "signal +4915112345678; mail alice@example.org; peers 192.168.1.20, 10.0.0.7:8080, [2001:db8::5]:443, "
        "fe80::1%eth0; slack U0123ABCD in C0123ABCD (team T0123ABCD); telegram:-1001234567890 chatId=123456789; "
        "<@301234567890123456> in <#1460000000000000001>; logged in to discord as 1440000000000000000; "
        r"C:\Users\carol\AppData /Users/dave/Library"
    )
    for raw in ("15551234567", "4915112345678", "120363012345678901", "alice@example.org", "192.168.1.20", "10.0.0.7",
                "2001:db8::5", "fe80::1", "U0123ABCD", "C0123ABCD", "T0123ABCD", "1001234567890", "123456789",
                "301234567890123456", "1460000000000000001", "1440000000000000000", "carol", "dave"):
        assert raw not in out, raw
    phone = red.mapping()["+15551234567"]
    assert f"dm:{phone} from {phone}@s.whatsapp.net" in out  # the same number in a key and a JID
    assert re.search(r"in group-\d+@g\.us", out)
    assert re.search(r"email-\d+@example\.invalid", out)
    assert re.search(r"ip-\d+, ip-\d+:8080, \[ip-\d+\]:443, ip-\d+", out)
    assert "telegram:telegram-id-1" in out and re.search(r"chatId=id-\d+", out)
    assert re.search(r"<@discord-id-\d+> in <#discord-id-\d+>", out)
    # no IPv4/IPv6 shape hint in the pseudonym
    assert all(re.fullmatch(r"ip-\d+", p) for o, p in red.mapping().items() if p.startswith("ip-"))


def test_loopback_and_unspecified_kept():
    line = "listening on ws://127.0.0.1:18789 and ws://[::1]:18789; canvas on http://0.0.0.0:18793 and http://localhost:3000"
    assert redact_text(line) == line


def test_session_keys():
    red = Redactor()
    assert red.redact_session_key("agent:main:main") == "agent:main:main"
    k = red.redact_session_key("agent:main:discord:channel:1460000000000000001")
    assert re.fullmatch(r"agent:main:discord:channel:discord-id-\d+", k)
    assert red.redact_session_key("agent:main:discord:channel:1460000000000000001") == k
    assert re.fullmatch(r"agent:main:whatsapp:dm:phone-\d+", red.redact_session_key("agent:main:whatsapp:dm:+15551234567"))
    assert re.fullmatch(r"agent:main:telegram:group:telegram-id-\d+:topic:42",
                        red.redact_session_key("agent:main:telegram:group:-1001234567890:topic:42"))
    assert re.fullmatch(r"agent:main:slack:channel:slack-id-\d+:thread:1769540710\.123459",
                        red.redact_session_key("agent:main:slack:channel:c0123abcd:thread:1769540710.123459"))
    # lower-cased store key and upper-case log id are the same Slack channel
    assert red.redact_text("channel C0123ABCD") == "channel " + red.mapping()["c0123abcd"]
    sub = "agent:main:subagent:0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77"
    assert red.redact_session_key(sub) == sub
    assert re.fullmatch(r"agent:main:whatsapp:group:group-\d+@g\.us",
                        red.redact_session_key("agent:main:whatsapp:group:120363012345678901@g.us"))


# ---------------------------------------------------------------------------------------
# Message text
# ---------------------------------------------------------------------------------------

RESET_PROMPT = (
    "A new session was started via /new or /reset. Say hi briefly (1-2 sentences) and ask what the user wants to do "
    "next. If the runtime model differs from default_model in the system prompt, mention the default model in the "
    "greeting. Do not mention internal steps, files, tools, or reasoning.\n[message_id: 1465784686860165696]"
)
ENVELOPE = ("[Discord My Server #general channel id:1460000000000000001 +3m 2026-01-27 20:05 GMT+1] "
            "Alice (alice): can you check the logs?\n[message_id: 1465905400000000000]")


def _ph(body: str) -> str:
    return f"[text: {len(body)} chars, sha256:{hashlib.sha256(body.encode()).hexdigest()[:8]}]"


def test_reset_markers_survive():
    red = Redactor()
    out = red.redact_message_text(RESET_PROMPT, "user", kind="reset_prompt")
    rest = RESET_PROMPT.split("/reset. ", 1)[1].split("\n[message_id", 1)[0]
    assert out == f"A new session was started via /new or /reset. {_ph(rest)}\n[message_id: discord-id-1]"
    notice = "[delivery-mirror] ✅ New session started · model: anthropic/claude-opus-4-5"
    assert red.redact_message_text(notice, "assistant", kind="reset_notice") == notice


def test_discord_envelope_line():
    red = Redactor()
    out = red.redact_message_text(ENVELOPE, "user", kind="user_message")
    assert out == ("[Discord guild-1 #channel-1 channel id:discord-id-1 +3m 2026-01-27 20:05 GMT+1] "
                   f"user-1 (user-1): {_ph('can you check the logs?')}\n[message_id: discord-id-2]")
    assert red.mapping() == {"My Server": "guild-1", "general": "channel-1", "1460000000000000001": "discord-id-1",
                             "alice": "user-1", "Alice": "user-1", "1465905400000000000": "discord-id-2"}
    # a DM envelope has no sender prefix; the user in the label is the same user
    dm = "[Discord alice user id:301234567890123456 +2h 2026-01-27 20:05 GMT+1] hi"
    assert red.redact_message_text(dm, "user", kind="user_message") == (
        f"[Discord user-1 user id:discord-id-3 +2h 2026-01-27 20:05 GMT+1] {_ph('hi')}")


def test_message_text_hashed_and_restored_with_include_text():
    body = "Hey Alice! Fresh session, ready when you are — what should we tackle?"
    assert redact_message_text(body, "assistant", kind="assistant_message") == _ph(body)
    assert redact_message_text(body, "assistant", kind="assistant_message", include_text=True) == body
    tool = "[exec] /dev/sdb1  3.6T  2.9T  716G  81% /mnt/backup"
    assert redact_message_text(tool, "toolResult", kind="tool_result") == f"[exec] {_ph(tool[7:])}"
    comp = "compaction tokensBefore=171342 firstKeptEntryId=c08e91aa fromHook: ## Goal\nplan the trip"
    assert redact_message_text(comp, kind="compaction") == (
        f"compaction tokensBefore=171342 firstKeptEntryId=c08e91aa fromHook: {_ph('## Goal' + chr(10) + 'plan the trip')}")
    red = Redactor(include_text=True)
    assert red.redact_message_text(ENVELOPE, "user", kind="user_message") == (
        "[Discord guild-1 #channel-1 channel id:discord-id-1 +3m 2026-01-27 20:05 GMT+1] "
        "user-1 (user-1): can you check the logs?\n[message_id: discord-id-2]")
    df = _frame([{"kind": "assistant_message", "role": "assistant", "text": body}])
    assert redact_frame(df)["text"][0] == _ph(body)
    assert redact_frame(df, include_text=True)["text"][0] == body


def test_frame_uses_kind_for_text():
    df = _frame([
        {"kind": "user_message", "role": "user", "text": ENVELOPE, "message_id": "1465905400000000000",
         "session_key": "agent:main:discord:channel:1460000000000000001"},
        {"kind": "other", "text": "WebSocket connection closed with code 1005"},
        {"kind": "unparsed", "format": "transcript",
         "text": '{"type":"message","message":{"role":"user","content":[{"type":"text","text":"private words"}]}}'},
    ])
    red = Redactor()
    out = red.redact_frame(df)
    assert out["message_id"][0] == "discord-id-2"
    assert out["session_key"][0] == "agent:main:discord:channel:discord-id-1"
    assert out["text"][0].endswith("[message_id: discord-id-2]")
    assert out["text"][1] == "WebSocket connection closed with code 1005"
    assert "private words" not in out["text"][2] and _ph("private words") in out["text"][2]
    assert out["session_id"].to_list() == df["session_id"].to_list()


def test_report_protocol():
    red = Redactor()
    assert red.message(ENVELOPE, "user_message").startswith("[Discord guild-1 #channel-1")
    assert red.message("Jan 27 13:02:11 atlas node[1]: ok", "other") == "Jan 27 13:02:11 host-1 node[1]: ok"
    assert red.text("atlas") == "host-1"


# ---------------------------------------------------------------------------------------
# Idempotence, determinism, mapping
# ---------------------------------------------------------------------------------------

def _mixed_frame() -> pl.DataFrame:
    base = planted_frame()
    extra = _frame([
        {"kind": "user_message", "role": "user", "text": ENVELOPE},
        {"kind": "reset_prompt", "role": "user", "text": RESET_PROMPT},
        {"kind": "other", "host": "atlas", "text": "Jan 27 13:02:11 atlas node[9]: from 192.168.1.20 mail bob@corp.example.org"},
        {"kind": "session_store_entry", "session_key": "agent:main:whatsapp:dm:+15551234567",
         "text": "agent:main:whatsapp:dm:+15551234567 -> 3f1c2b8e-5d4a-4e7b-9c1d-2a6b8e0f4d11 "
                 "(sessionFile /home/carol/.openclaw/agents/main/sessions/x.jsonl, displayName discord:1454000000000000021#dev)"},
    ])
    return pl.concat([base, extra])


@pytest.mark.parametrize("include_text", [False, True])
def test_idempotent(include_text):
    df = _mixed_frame()
    red = Redactor(include_text=include_text)
    once = red.redact_frame(df)
    assert red.redact_frame(once).equals(once)
    assert Redactor(include_text=include_text).redact_frame(once).equals(once)
    for _, context, _ in PLANTED:
        t = red.redact_text(context)
        assert red.redact_text(t) == t
        m = red.redact_message_text(context, "user", kind="user_message")
        assert red.redact_message_text(m, "user", kind="user_message") == m


def test_deterministic():
    df = _mixed_frame()
    a, b = Redactor(), Redactor()
    assert a.redact_frame(df).write_ndjson() == b.redact_frame(df).write_ndjson()
    assert a.mapping() == b.mapping()


def test_mapping_round_trip(tmp_path: Path):
    df = _mixed_frame()
    red = Redactor()
    out = red.redact_frame(df)
    mapping = red.mapping()
    path = tmp_path / "map.json"
    path.write_text(json.dumps(mapping, ensure_ascii=False, indent=2))
    loaded = json.loads(path.read_text())
    assert loaded == mapping
    # every pseudonym in the output is explained by the map
    blob = out.write_ndjson()
    used = set(re.findall(r"\b(?:host|user|phone|ip|discord-id|telegram-id|slack-id|group|guild|channel|chat|id)-\d+"
                          r"|email-\d+@example\.invalid", blob))
    assert used and used <= set(mapping.values())
    # an original maps to the pseudonym it got in the output
    assert mapping["atlas"] in blob and mapping["+15551234567"] in blob
    # a redactor pre-loaded from the map reproduces the output exactly
    again = Redactor.from_mapping(loaded)
    assert again.redact_frame(df).equals(out)
    assert again.mapping() == mapping
    assert Redactor.from_mapping(red.mapping_by_kind()).redact_frame(df).equals(out)


# ---------------------------------------------------------------------------------------
# No false positives
# ---------------------------------------------------------------------------------------

ORDINARY = [
    "WebSocket connection closed with code 1005",
    "discord gateway: WebSocket connection closed with code 1006",
    "discord gateway: Attempting resume with backoff: 1000ms",
    "gateway: Attempting resume with backoff: 1000ms after code 1006",
    "listening on ws://127.0.0.1:18789 (PID 43079)",
    "2026-01-27T19:05:10.412Z [discord] gateway: Attempting resume with backoff: 1000ms",
    "2026-03-13T19:05:46.621-04:00 started (interval: 300s, startupGrace: 60s)",
    "embedded run done: runId=0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77 sessionId=3f1c2b8e-5d4a-4e7b-9c1d-2a6b8e0f4d11 durationMs=4021 aborted=false",
    "[EventQueue] Slow listener detected: DiscordMessageListener took 36714ms for event MESSAGE_CREATE",
    "Started clawdbot-gateway.service - Clawdbot Gateway (v2026.1.24-3).",
    "clawdbot-gateway.service: Main process exited, code=exited, status=1/FAILURE",
    "agent model: anthropic/claude-opus-4-5",
    "log file: /tmp/clawdbot/clawdbot-2026-01-27.log",
    "System:   - default (dm:pairing, token:config)",
    "compaction tokensBefore=171342 firstKeptEntryId=c08e91aa",
    "⇄ res ✓ chat.history 63ms conn=1b2c3d4e…a1b2 id=8f7e6d5c…1234",
    "signal SIGTERM received",
    "Gateway failed to start: gateway already running (pid 43079); lock timeout after 5000ms",
    "node 22.22.0 on linux x64, INTERACTION_CREATE, GUILD_CREATE, DISCONNECTED, status 429",
    "session 3f1c2b8e-5d4a-4e7b-9c1d-2a6b8e0f4d11 at 2026-01-27 20:05:10 GMT+1, 20:05:10.412",
    "fetch https://discord.com/api/v10/gateway/bot failed: 503; retry in 30000ms",
    "maxTokens=8192 totalTokens: 14251 cacheRead=0",
    "[session-memory] Hook triggered for /new command",
]


@pytest.mark.parametrize("line", ORDINARY)
def test_no_false_positive(line):
    red = Redactor()
    assert red.redact_text(line) == line
    assert red.mapping() == {}
    df = _frame([{"kind": "other", "text": line}])
    assert Redactor().redact_frame(df)["text"][0] == line


# ---------------------------------------------------------------------------------------
# Through the parsers: a planted bundle on disk
# ---------------------------------------------------------------------------------------

def test_planted_bundle_through_parsers(tmp_path: Path):
    from moltdiag.parsers import load_inputs

    root = tmp_path / _openai / "bundle"  # a secret in the source path
    sessions = root / "agents" / "main" / "sessions"
    sessions.mkdir(parents=True)
    journal = [f"Jan 27 13:02:{i % 60:02d} atlas node[28811]: 2026-01-27T19:02:{i % 60:02d}.000Z [gateway] {c.splitlines()[0]}"
               for i, (_, c, _) in enumerate(PLANTED)]
    journal += [f"Jan 27 13:03:{i % 60:02d} atlas node[28811]: {line}" for i, line in enumerate(_pem.splitlines())]
    (root / "journal.txt").write_text("\n".join(journal) + "\n")
    sid = "0c6f7b52-9e1d-4a8f-b0c4-5d2e8a913f77"
    lines = [{"type": "session", "version": 3, "id": sid, "timestamp": "2026-01-27T19:05:10.512Z", "cwd": "/home/alice"}]
    for i, (_, context, _) in enumerate(PLANTED):
        lines.append({"type": "message", "id": f"{i:08x}", "parentId": None, "timestamp": "2026-01-27T19:05:11.000Z",
                      "message": {"role": "user", "content": [{"type": "text", "text":
                                  f"[Discord My Server #general channel id:1460000000000000001 2026-01-27 20:05 GMT+1] "
                                  f"Alice (alice): {context}\n[message_id: {_telegram}]"}], "timestamp": 1769540711000}})
        lines.append({"type": "message", "id": f"{i + 100:08x}", "parentId": None, "timestamp": "2026-01-27T19:05:12.000Z",
                      "message": {"role": "assistant", "content": [{"type": "text", "text": context}],
                                  "stopReason": "stop", "timestamp": 1769540712000}})
    (sessions / f"{sid}.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    store = {f"agent:main:discord:channel:{_slack_b.lower()}": {"sessionId": sid, "updatedAt": 1769540712000,
                                                               "sessionFile": f"/home/alice/{_ghp}/{sid}.jsonl"}}
    (sessions / "sessions.json").write_text(json.dumps(store, indent=2))

    parsed, _ = load_inputs([str(root)])
    df = pl.concat([p.events for p in parsed], how="diagonal_relaxed")
    blob_in = df.write_ndjson()
    assert _openai in blob_in and _discord in blob_in and _slack_b.lower() in blob_in
    for include_text in (False, True):
        red = Redactor(include_text=include_text)
        out = red.redact_frame(df)
        blob = out.write_ndjson()
        _assert_clean(blob)
        assert _slack_b.lower() not in blob and _slack_b.lower()[-16:] not in blob
        assert "alice" not in blob.lower() or include_text  # only message bodies may mention her
        _assert_clean(json.dumps(red.mapping()))


def test_hash_key_and_lazy_frames():
    body = "ok"
    plain = Redactor().redact_message_text(body, "user", kind="user_message")
    keyed = Redactor(hash_key=b"per-report-key").redact_message_text(body, "user", kind="user_message")
    assert plain == _ph(body) and keyed != plain and keyed.startswith("[text: 2 chars, sha256:")
    assert keyed == Redactor(hash_key=b"per-report-key").redact_message_text(body, "user", kind="user_message")
    df = _frame([{"kind": "other", "host": "atlas", "text": "Jan 27 13:02:11 atlas node[1]: hi"}])
    assert Redactor().redact_frame(df.lazy()).equals(Redactor().redact_frame(df))


def test_empty_and_null_values():
    red = Redactor()
    assert red.redact_text(None) is None and red.redact_text("") == ""
    assert red.redact_message_text(None) is None
    empty = _frame([]).head(0)
    assert red.redact_frame(empty).equals(empty)
    df = _frame([{"kind": "user_message", "role": "user", "text": None, "host": None}])
    assert red.redact_frame(df).equals(df)
