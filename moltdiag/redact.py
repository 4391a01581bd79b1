"""Redaction for reports that get pasted into public GitHub issues.

Three things happen, in this order:

1. **Secrets are removed outright** (never pseudonymised, never put in the mapping): Discord /
   Telegram / Slack bot tokens, OpenAI / Anthropic / GitHub / AWS / Google keys, bearer and
   ``Authorization`` values, ``token=`` / ``"apiKey":"…"`` style values, the gateway token
   environment variables, private key blocks, JWTs, webhook URLs and URL credentials. Each
   becomes ``[REDACTED:<type>]``.
2. **Message text** (user / assistant / tool bodies of transcript rows) is replaced by
   ``[text: <n> chars, sha256:<8 hex>]`` unless ``include_text`` is set; the structural markers a
   diagnosis needs are kept (the bare-reset sentence, ``✅ New session started …``, the channel
   envelope with pseudonymised names and ids, ``[message_id: …]``, tool and compaction headers …).
3. **Identifiers get consistent pseudonyms** for the whole report (same original → same
   pseudonym everywhere): host names, user names, e-mail addresses, phone numbers / WhatsApp
   JIDs, IP addresses (loopback kept), Discord snowflakes, Telegram and Slack ids, guild /
   channel / chat names from envelopes. :meth:`Redactor.mapping` returns original → pseudonym
   for an optional ``--redaction-map`` file.

Redaction runs *after* analysis (``redact_frame`` on the finished timeline) so snowflake
times are decoded before ids are masked. Everything here is deterministic: the same inputs
processed in the same order give the same pseudonyms, so reports are byte-identical on rerun.
Redacting an already redacted value returns it unchanged.

Public API::

    red = Redactor(include_text=False)
    red.learn_frame(df)                     # optional: learn host / user names first
    out = red.redact_frame(df)              # every string column
    red.redact_text(s)                      # free text: summaries, evidence, paths, argv
    red.redact_message_text(s, role, kind=…)  # one transcript message body
    red.text(s) / red.message(s, kind)      # the report renderer's protocol
    red.mapping()                           # {original: pseudonym}
    Redactor.from_mapping(m)                # reuse a map (same pseudonyms across reports)

plus module-level ``redact_frame``, ``redact_text``, ``redact_message_text`` and
``redact_secrets`` (each with a fresh ``Redactor`` unless one is passed), and
``secrets_expr(expr)`` (the secret pass as a Polars expression).

Known limits (the patterns are heuristics; the report says redaction is best effort):

- A secret is found by its shape (``xoxb-``, ``sk-ant-``, ``ghp_``, ``AKIA``, Discord / Telegram
  token layout …) or by its key (``token=``, ``"apiKey":``, ``Authorization:``, ``…_GATEWAY_TOKEN=``,
  ``--token``). A generic value without either (a password pasted alone, a custom provider key
  without prefix) is not recognised. Bare ``token``/``api-key`` values need 8+ characters (so
  ``token:config`` survives); a key block printed one line per journal entry is blanked per
  source for at most 200 rows.
- Message bodies are hashed with plain SHA-256 truncated to 8 hex digits: a short, guessable
  message ("ok", "/new") can be confirmed by hashing candidates; pass ``hash_key`` to prevent it.
- Identifier detection is contextual: snowflakes are 17–20 digit numbers (bare ones only when
  they decode to 2015–2035); Telegram / other numeric ids only after ``chatId=``, ``user id:``,
  ``telegram:`` … ; Slack ids need the ``U/C/T/W/G/D/B/E`` + 8–10 upper-case-with-a-digit
  shape; host names come from the ``host`` column, syslog prefixes, ``hostname`` fields, URLs,
  ``user@host`` prompts and private / common public TLDs; user names from home paths,
  envelopes, ``of user X``/``User=X`` and ``(@bot)``. A name mentioned elsewhere is replaced as a
  whole word only once learned (hosts ≥ 3 characters, users ≥ 5, never common words).
- A four-part version number (``1.2.3.4``) looks like an IPv4 address and is pseudonymised.
- Names inside later-build JSON metadata blocks and tool-call ``arguments`` objects in raw
  (unparsed) transcript lines are only covered by the secret and id patterns, unless the whole
  message text is hashed (the default).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping

import polars as pl

__all__ = [
    "MESSAGE_KINDS",
    "SECRET_PATTERNS",
    "Redactor",
    "redact_frame",
    "redact_message_text",
    "redact_secrets",
    "redact_text",
    "secrets_expr",
    "is_message_row",
]

# Transcript kinds whose text is a chat / tool body (replaced by length + hash).
MESSAGE_KINDS = frozenset(
    {"user_message", "assistant_message", "reset_prompt", "reset_notice", "tool_result", "compaction"}
)
MESSAGE_ROLES = frozenset({"user", "assistant", "toolResult"})

# Columns that only hold enumerations or uuids: secrets pass only, no pseudonyms.
_ENUM_COLUMNS = frozenset({"format", "kind", "level", "role", "channel", "stop_reason", "session_id"})

# ---------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------
# Every pattern is valid in both Python `re` and Rust `regex` (no look-around, no
# back-references) so the same list runs vectorised in Polars and per string in Python.
# A replacement may keep group 1 (a key / header prefix) written as "{1}".

_KV_VALUE = r"[^\s\"'&,;)}\]\[<>`\\][^\s\"'&,;)}\]<>`\\]*"  # never starts with '[' → idempotent


def _kv_patterns() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    keys = [
        ("token", r"[A-Za-z0-9_.-]{0,40}token", "token"),
        ("api-key", r"[A-Za-z0-9_.-]{0,40}api[_-]?key", "api-key"),
        ("secret", r"[A-Za-z0-9_.-]{0,40}secret", "secret"),
        ("password", r"[A-Za-z0-9_.-]{0,40}(?:password|passwd)", "password"),
        ("credential", r"[A-Za-z0-9_.-]{0,40}credentials?", "credential"),
    ]
    for name, key, typ in keys:
        # JSON / quoted:  "botToken": "…"   'apiKey': '…'   and JSON inside a JSON string: \"token\":\"…\"
        out.append((f"json-{name}", rf"(?i)(\\*\"{key}s?\\*\"\s*:\s*\\*\")[^\"\\\[][^\"\\]*", f"{{1}}[REDACTED:{typ}]"))
        out.append((f"squote-{name}", rf"(?i)('{key}s?'\s*:\s*')[^'\\\[][^'\\]*", f"{{1}}[REDACTED:{typ}]"))
        # key=value / key: value (bare). Tokens and keys need 8+ characters so that
        # `token:config` / `tokens: 0` style labels survive; passwords and secrets any length.
        minlen = "{7,}" if typ in ("token", "api-key") else "*"
        bare = rf"[^\s\"'&,;)}}\]\[<>`\\][^\s\"'&,;)}}\]<>`\\]{minlen}"
        out.append((f"kv-{name}", rf"(?i)(\b{key}\\*[\"']?[ \t]*[=:][ \t]*\\*[\"']?)" + bare, f"{{1}}[REDACTED:{typ}]"))
    return out


# (name, pattern, replacement). Order matters: specific token shapes before generic keys.
SECRET_PATTERNS: list[tuple[str, str, str]] = [
    (
        "private-key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?:(?s:.)*?-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|(?:\\[nr]|[A-Za-z0-9+/=\s:,.-])*)",
        "[REDACTED:private-key]",
    ),
    ("url-credentials", r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:\[\]]+:[^\s/@\[\]]+@", "{1}[REDACTED:url-credentials]@"),
    (
        "discord-webhook",
        r"(?i)(discord(?:app)?\.com/api/(?:v\d+/)?webhooks/)\d+/[A-Za-z0-9_-]+",
        "{1}[REDACTED:discord-webhook]",
    ),
    ("slack-webhook", r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_-]+", "{1}[REDACTED:slack-webhook]"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "[REDACTED:jwt]"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{16,}", "[REDACTED:anthropic-key]"),
    ("openai-key", r"\bsk-[A-Za-z0-9_-]{20,}", "[REDACTED:openai-key]"),
    ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}", "[REDACTED:stripe-key]"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", "[REDACTED:github-token]"),
    ("slack-token", r"\bxox[abposre](?:\.xox[a-z])?-[A-Za-z0-9-]{8,}", "[REDACTED:slack-token]"),
    ("slack-app-token", r"\bxapp-\d+-[A-Za-z0-9-]{8,}", "[REDACTED:slack-app-token]"),
    ("aws-access-key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b", "[REDACTED:aws-access-key]"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", "[REDACTED:google-api-key]"),
    ("groq-key", r"\bgsk_[A-Za-z0-9]{20,}", "[REDACTED:api-key]"),
    ("xai-key", r"\bxai-[A-Za-z0-9]{20,}", "[REDACTED:api-key]"),
    ("discord-bot-prefix", r"(\bBot[ \t]+)[A-Za-z0-9_.-]{50,}", "{1}[REDACTED:discord-token]"),
    (
        "discord-token",
        r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}",
        "[REDACTED:discord-token]",
    ),
    ("telegram-token", r"\d{8,10}:[A-Za-z0-9_-]{30,}", "[REDACTED:telegram-token]"),
    ("bearer", r"(?i)(\bbearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}", "{1}[REDACTED:bearer-token]"),
    (
        "authorization",
        r"(?i)(\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:basic|token|bot)[ \t]+)[A-Za-z0-9._~+/=-]{6,}",
        "{1}[REDACTED:authorization]",
    ),
    (
        "authorization-bare",
        r"(?i)(\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?)[A-Za-z0-9._~+/=-]{16,}",
        "{1}[REDACTED:authorization]",
    ),
    (
        "gateway-token-env",
        r"(?i)(\b(?:OPENCLAW|CLAWDBOT|MOLTBOT)_GATEWAY_(?:TOKEN|PASSWORD)[\"']?[ \t]*[=:][ \t]*[\"']?)" + _KV_VALUE,
        "{1}[REDACTED:gateway-token]",
    ),
    (
        "cli-flag",
        r"(?i)(--(?:token|api-key|password|secret|bot-token|app-token)(?:=|[ \t]+))" + _KV_VALUE,
        "{1}[REDACTED:token]",
    ),
    *_kv_patterns(),
]


def _py_repl(template: str) -> str:
    return template.replace("\\", "\\\\").replace("{1}", r"\g<1>")


def _rs_repl(template: str) -> str:
    return template.replace("$", "$$").replace("{1}", "${1}")


# Literal substrings (lower case) one of which a pattern needs in order to match: a cheap
# pre-check so that ordinary log lines skip most regex scans. Missing name = always run.
_SECRET_NEEDLES: dict[str, tuple[str, ...]] = {
    "private-key": ("-----begin",),
    "url-credentials": ("://",),
    "discord-webhook": ("webhooks",),
    "slack-webhook": ("hooks.slack",),
    "jwt": ("eyj",),
    "anthropic-key": ("sk-ant-",),
    "openai-key": ("sk-",),
    "stripe-key": ("_live_", "_test_"),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "slack-token": ("xox",),
    "slack-app-token": ("xapp-",),
    "aws-access-key": ("akia", "asia", "agpa", "aida", "aroa", "anpa"),
    "google-api-key": ("aiza",),
    "groq-key": ("gsk_",),
    "xai-key": ("xai-",),
    "discord-bot-prefix": ("bot ", "bot\t"),
    "discord-token": (".",),
    "telegram-token": (":",),
    "bearer": ("bearer",),
    "authorization": ("authorization",),
    "authorization-bare": ("authorization",),
    "gateway-token-env": ("_gateway_",),
    "cli-flag": ("--",),
}
for _name, _words in (("token", ("token",)), ("api-key", ("key",)), ("secret", ("secret",)),
                      ("password", ("passw",)), ("credential", ("credential",))):
    for _form in ("json", "squote", "kv"):
        _SECRET_NEEDLES[f"{_form}-{_name}"] = _words

_SECRET_RX = [(re.compile(p), _py_repl(r), _SECRET_NEEDLES.get(n)) for n, p, r in SECRET_PATTERNS]


def redact_secrets(text: str | None) -> str | None:
    """Remove every secret shape in ``text`` (no pseudonyms, no state)."""
    if not text:
        return text
    low = text.lower()
    for rx, repl, needles in _SECRET_RX:
        if needles is None or any(n in low for n in needles):
            text = rx.sub(repl, text)
            low = text.lower()
    return text


def secrets_expr(expr: pl.Expr) -> pl.Expr:
    """The same secret removal as a Polars expression (vectorised, Rust regex)."""
    for _, pattern, repl in SECRET_PATTERNS:
        expr = expr.str.replace_all(pattern, _rs_repl(repl))
    return expr


# ---------------------------------------------------------------------------------------
# Identifier shapes
# ---------------------------------------------------------------------------------------

_NAMESPACES = {
    "host": "host-{n}",
    "user": "user-{n}",
    "email": "email-{n}@example.invalid",
    "phone": "phone-{n}",
    "ip": "ip-{n}",
    "discord-id": "discord-id-{n}",
    "telegram-id": "telegram-id-{n}",
    "slack-id": "slack-id-{n}",
    "group": "group-{n}",
    "guild": "guild-{n}",
    "channel": "channel-{n}",
    "chat": "chat-{n}",
    "id": "id-{n}",
}
_PSEUDO_RX = re.compile(
    r"(?:host|user|phone|ip|discord-id|telegram-id|slack-id|group|guild|channel|chat|id|email)-\d+(?:@example\.invalid)?"
)
_PSEUDO_PARSE = re.compile(r"^(?P<ns>[a-z-]+?)-(?P<n>\d+)(?:@.*)?$")
_PLACEHOLDER_RX = re.compile(r"\[text: \d+ chars, sha256:[0-9a-f]{8}\]|\[REDACTED:[a-z0-9-]+\]")

# Names that are not personal: kept in paths and never replaced as words.
_COMMON_ACCOUNTS = {
    "root", "ubuntu", "pi", "admin", "administrator", "user", "users", "debian", "ec2-user", "node", "runner",
    "runneradmin", "linuxbrew", "vagrant", "centos", "fedora", "opc", "azureuser", "codespace", "shared",
    "public", "default", "default user", "all users", "nobody", "www-data", "app", "docker", "openclaw",
    "clawdbot", "moltbot", "container", "guest", "home", "unknown", "localhost", "clawd", "workspace",
}
_STOP_WORDS = _COMMON_ACCOUNTS | {
    "clawd", "gateway", "server", "host", "agent", "main", "test", "dev", "system", "systemd", "discord",
    "telegram", "slack", "whatsapp", "signal", "imessage", "webchat", "new", "reset", "session", "sessions",
    "bot", "github", "mac", "desktop", "laptop", "work", "backup", "data", "api", "web", "http", "https",
    "local", "code", "info", "error", "warn", "warning", "debug", "none", "null", "true", "false",
    "example", "invalid", "service", "daemon", "cron", "hook", "chat", "channel", "guild", "general",
    "message", "model", "tool", "text", "chars", "redacted", "sha256", "config", "status", "start", "stop",
    "restart", "ready", "resume", "close", "closed", "open", "heartbeat", "canvas", "browser", "memory",
    "exec", "node", "npm", "pnpm", "bun", "linux", "darwin", "windows", "mint", "arch", "raspberrypi",
}

_UUID_RX = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_JID_FULL = re.compile(r"^(?P<num>\d{5,20}(?:-\d{5,15})?)(?::\d{1,3})?@(?P<dom>s\.whatsapp\.net|c\.us|g\.us|lid)$")
_EMAIL_FULL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE_FULL = re.compile(r"^\+[1-9]\d{6,14}$")
_SLACK_FULL = re.compile(r"^[UWCGDTBE](?=[A-Z0-9]*\d)[A-Z0-9]{8,10}$")
_SNOWFLAKE_EPOCH_MS = 1420070400000
_SNOWFLAKE_MAX_MS = 2051222400000  # 2035-01-01


def _is_system_name(name: str) -> bool:
    """Account / client names that identify software, not people (kept as they are)."""
    low = name.casefold().lstrip("@")
    return low in _COMMON_ACCOUNTS or low.startswith(("openclaw", "clawdbot", "moltbot", "gateway", "webchat", "cli"))


def _plausible_snowflake(digits: str) -> bool:
    n = int(digits)
    return _SNOWFLAKE_EPOCH_MS < (n >> 22) + _SNOWFLAKE_EPOCH_MS < _SNOWFLAKE_MAX_MS


def _is_kept(value: str) -> bool:
    """Already a pseudonym or a redaction marker: leave alone (idempotence)."""
    return bool(_PSEUDO_RX.fullmatch(value) or _PLACEHOLDER_RX.fullmatch(value)) or "[REDACTED:" in value


_PUBLIC_DOMAINS = (
    "discord.com", "discord.gg", "discordapp.com", "discordapp.net", "discord.media", "telegram.org", "t.me",
    "slack.com", "slack-edge.com", "whatsapp.net", "whatsapp.com", "signal.org", "apple.com", "icloud.com",
    "anthropic.com", "claude.ai", "openai.com", "chatgpt.com", "openrouter.ai", "googleapis.com", "google.com",
    "github.com", "githubusercontent.com", "github.io", "npmjs.org", "npmjs.com", "nodejs.org", "openclaw.ai",
    "clawd.bot", "clawdbot.com", "molt.bot", "moltbot.com", "x.ai", "groq.com", "mistral.ai", "deepseek.com",
    "ollama.com", "ollama.ai", "huggingface.co", "example.com", "example.org", "example.net", "example.invalid",
    "socket.io", "ts.net", "tailscale.com", "cloudflare.com", "microsoft.com", "gstatic.com", "bun.sh",
    "x.com", "twitter.com", "youtube.com", "reddit.com", "wikipedia.org", "stackoverflow.com", "npm.im",
    "brew.sh", "docker.com", "docker.io", "ghcr.io", "pypi.org", "python.org", "mozilla.org", "ietf.org",
    "w3.org", "schema.org", "json-schema.org", "letsencrypt.org", "ubuntu.com", "debian.org", "fly.io",
    "vercel.app", "vercel.com", "netlify.app", "heroku.com", "render.com", "railway.app", "amazon.com",
)
_PRIVATE_TLDS = r"(?:local|lan|home|internal|localdomain|home\.arpa|ts\.net|corp|intranet|private)"
_PUBLIC_TLDS = (
    r"(?:com|net|org|io|dev|app|cloud|me|de|fr|uk|nl|ch|at|eu|us|ca|au|jp|xyz|info|biz|site|online|tech|"
    r"host|page|space|ai|co|se|no|fi|dk|pl|it|es|be|cz|ru|br|in|nz)"
)


def _is_public_domain(host: str) -> bool:
    h = host.lower().rstrip(".")
    return any(h == d or h.endswith("." + d) for d in _PUBLIC_DOMAINS)


# ---------------------------------------------------------------------------------------
# Regexes used on text
# ---------------------------------------------------------------------------------------

_ENV_CHANNELS = (
    r"Discord|Telegram|WhatsApp|Slack|Signal|iMessage|Google Chat|GoogleChat|WebChat|Webchat|Matrix|"
    r"Microsoft Teams|MSTeams|Teams|LINE|Line|Zalo Personal|Zalo|Mattermost|Nextcloud Talk|Nostr|Twitch|"
    r"BlueBubbles|Feishu|Lark|IRC|Tlon|[A-Z][A-Za-z]+"
)
_ENV_TAIL = (
    r"(?: \+\d+[smhdw](?:\d+[smhdw])*)?"
    r" (?:[A-Z][a-z]{2},? )?\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?Z?)?"
    r"(?: [A-Za-z]{1,6}(?:[+-]\d{1,2}(?::?\d{2})?)?)?"
)
_ENVELOPE = re.compile(
    r"^(?P<indent>[ \t]*)\[(?P<chan>" + _ENV_CHANNELS + r")(?: (?P<label>[^\]\n]*?))?(?P<tail>" + _ENV_TAIL + r")\]"
    r"(?P<sep>[ \t]?)",
    re.M,
)
_SENDER = re.compile(r"(?P<name>[^\n:()\[\]]{1,64}?)(?: \((?P<handle>[^\n()\[\]]{1,64})\))?: ")
_LABEL_GUILD = re.compile(r"^(?P<guild>.*?) ?#(?P<chan>[^#]+?) channel id:(?P<id>\S+)$")
_LABEL_HASH = re.compile(r"^(?P<guild>.*?) #(?P<chan>[^\s#]+)$")
_LABEL_USER = re.compile(r"^(?P<user>.+?) user id:(?P<id>\S+)$")
_LABEL_ID = re.compile(r"^(?P<name>.*?) ?id:(?P<id>\S+)$")

_SESSION_KEY_IN_TEXT = re.compile(r"(?<![\w:])agent:[A-Za-z0-9_-]+(?::[A-Za-z0-9_.+@=\[\]-]*[A-Za-z0-9_+@\]=-])+")
_KEY_ID_MARKERS = {"dm", "group", "channel", "slash", "user", "direct", "peer", "space", "room", "chat", "topic", "thread"}
_CHANNEL_NAMES = {
    "discord", "telegram", "whatsapp", "slack", "signal", "imessage", "googlechat", "webchat", "matrix",
    "msteams", "line", "zalo", "zalouser", "mattermost", "nostr", "twitch", "bluebubbles", "feishu", "irc", "tlon",
}

_URL = re.compile(
    r"(?i)\b(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<host>\[[0-9a-f:.%a-z]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)"
)
_JID = re.compile(r"(?<![\w.+-])(?P<num>\d{5,20}(?:-\d{5,15})?)(?::\d{1,3})?@(?P<dom>s\.whatsapp\.net|c\.us|g\.us|lid)\b")
_EMAIL = re.compile(
    r"(?<![\w.+%-])(?P<local>[A-Za-z0-9._%+-]+)@(?P<dom>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})\b"
)
_PHONE = re.compile(
    r"(?<![\w+/=.-])(?:\+[1-9]\d{6,14}|\+[1-9]\d{0,2}[ -]\(?\d{2,4}\)?[ -]\d{3,4}[ -]?\d{3,4})(?![\w])"
)
_IPV4 = re.compile(r"(?<![\w.@-])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:\.\d{1,3}){0,3}(?:%[\w.-]+)?(?![\w:])")
_HOME = re.compile(
    r"(?<![\w.~-])(?P<pre>/home/|/Users/|/var/home/|[A-Za-z]:(?:\\\\|\\|/)Users(?:\\\\|\\|/))"
    r"(?P<name>[^./\\\s\"'`:*?<>|,;)\]}][^/\\\s\"'`:*?<>|,;)\]}]*)"
)
_PROMPT = re.compile(r"(?<![\w.@-])(?P<user>[a-z_][a-z0-9_.-]{0,31})@(?P<host>[A-Za-z][A-Za-z0-9-]{0,62})(?=:[~/])")
_SSH = re.compile(r"\b(?P<pre>(?:ssh|scp|rsync|sftp)\s+(?:-\S+\s+)*)(?P<user>[\w.-]+)@(?P<host>[\w.-]+)")
_SYSLOG = re.compile(
    r"^(?P<pre>(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)[ \t]+)"
    r"(?P<host>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<post>[ \t]+[\w./@-]+(?:\[\d+\])?:[ \t])",
    re.M,
)
_HOSTNAME_KV = re.compile(
    r"(?P<pre>\"hostname\"\s*:\s*\"|\bhostname[=:]\s*|\bhost=|\b(?:instance=\"|fqdn=)(?=[^\s\"(]+ \(\w+\)))"
    r"(?P<host>[A-Za-z][A-Za-z0-9._-]*)"
)
_LAN_SUFFIX = re.compile(r"(?i)^(?P<first>[^.]+)(?P<suffix>\.(?:local|lan|home|localdomain|internal|home\.arpa)\.?)$")
_PROVIDER_BOT = re.compile(r"(?P<pre>\(@|\blogged in (?:to \w+ )?as @)(?P<name>[A-Za-z0-9_.-]{2,64})(?=[)\s,;]|$)")
_USER_CONTEXT = re.compile(
    r"(?P<pre>\b(?:[Oo]f|[Ff]or|[Bb]y) [Uu]ser |\b(?:User|USER|LOGNAME|SUDO_USER|user)=\"?)"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_-]{0,31}(?:\.[A-Za-z0-9_-]+)*)"
)
_ID_CONTEXT = re.compile(
    r"(?P<pre>\b(?:(?:user|channel|guild|author|sender|chat|peer)(?:[ _]?id|Id|ID)?"
    r"|(?:message|from|to|group|space|thread|interaction|member|role|team|account|recipient|target)(?:[ _]id|Id|ID))"
    r"(?:\"\s*:\s*\"?|[=:]\s*|\sid:)|\b(?:discord|telegram|slack|signal|whatsapp):(?:(?:dm|group|channel|user|slash):)?"
    r"|<[@#]!?&?|\bunauthori[sz]ed sender: |\blogged in to \w+ as |\b(?:by|for) (?=[+\d]))(?P<id>[+-]?\d{5,20})(?![\w.])"
)
_COMMAND_BY = re.compile(r"(?P<pre>^/\w+ by )(?P<id>\S+)(?P<post> via )", re.M)
_SNOWFLAKE = re.compile(r"(?<![\w.-])\d{17,20}(?![\w])")
_SNOWFLAKE_HASH = re.compile(r"(?P<pre>(?:discord-id-\d+|\d{17,20}))#(?P<chan>[\w-]{1,100})")
_SLACK_ID = re.compile(r"\b[UWCGDTBE](?=[A-Z0-9]*\d)[A-Z0-9]{8,10}\b")
_PRIVATE_FQDN = re.compile(
    r"(?i)(?<![\w./@-])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\." + _PRIVATE_TLDS + r"\b(?![.-]\w)"
)
_PUBLIC_FQDN = re.compile(
    r"(?i)(?<![\w./@-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+" + _PUBLIC_TLDS + r"\b(?![.-]?\w)(?!/\w+\.(?:js|ts|json))"
)
_JSON_BODY = re.compile(
    r"(?P<pre>\"(?:text|thinking|content|summary|partialJson|arguments|prompt|body|caption)\"\s*:\s*\")(?P<val>(?:[^\"\\]|\\.)*)\""
)
# Streamed reply text in verbose gateway logs: `→ event agent … stream=assistant … text=<reply so far>`
_LOG_TEXT_KV = re.compile(r"(?P<pre>(?<![\w-])(?:text|preview)=)(?P<val>(?:[^\n\"\\]|\\.)+)")
_JSON_NAME = re.compile(
    r"(?P<pre>\"(?P<key>groupChannel|subject|groupSubject|senderName|senderUsername|username|label|displayName|"
    r"conversation_label|group_channel)\"\s*:\s*\")(?P<val>(?:[^\"\\]|\\.)*)\""
)

# Message-text structure kept when bodies are hashed (each alternative is a "keep" span).
_MSG_KEEP = re.compile(
    r"\[text: \d+ chars, sha256:[0-9a-f]{8}\]"
    r"|\A\[(?:delivery-mirror|injected)\] "
    r"|A new session was started via /new(?: or /reset)?\.?"
    r"|✅ New session started[^\n]*"
    r"|🧭 New session: [^\n]*"
    r"|🧹 Auto-compaction complete[^\n]*"
    r"|^Note: The previous agent run was aborted by the user\.[^\n]*"
    r"|Read HEARTBEAT\.md if it exists[^\n]*"
    r"|\bHEARTBEAT_OK\b|\bNO_REPLY\b"
    r"|Pre-compaction memory flush\."
    r"|Summary unavailable due to context limits\. Older messages were truncated\."
    r"|\[(?:openclaw|clawdbot|moltbot|clawd)\] missing tool result in session history[^\n]*"
    r"|^\[(?:Thread starter|Replied message) - for context\]"
    r"|^System: \[[^\]\n]*\] "
    r"|\[toolCall [^\]\n]{1,80}\]|\[image\]"
    r"|^\[error: [^\n]*\]$"
    r"|\[message_id: (?:\[REDACTED:[a-z0-9-]+\]|[^\]\n])+\]"
    r"|\[from: [^\]\n]+\]",
    re.M,
)
_MSG_PREFIX = {
    "tool_result": re.compile(r"\A\[[^\]\n]{1,80}\] ?"),
    "compaction": re.compile(r"\Acompaction tokensBefore=\S* firstKeptEntryId=\S*(?: fromHook)?: ?"),
}
_ENTRY_BODY_PREFIX = re.compile(r"\A(?:message role=\w*: |custom_message [^\s:]+: |branch_summary from \S+: )")
_MESSAGE_ID = re.compile(r"\[message_id: (?P<id>(?:\[REDACTED:[a-z0-9-]+\]|[^\]\n])+)\]")
_FROM = re.compile(r"\[from: (?P<who>[^\]\n]+)\]")


_DIGITS5 = re.compile(r"\d{5}")
# (needles or None, needs a run of 5 digits, regex, Redactor method) – applied in this order.
_IDENTIFIER_STEPS: list[tuple[tuple[str, ...] | None, bool, re.Pattern[str], str]] = [
    (('"',), False, _JSON_NAME, "_json_name"),
    (("agent:",), False, _SESSION_KEY_IN_TEXT, "_sub_session_key"),
    (("://",), False, _URL, "_url"),
    (("ssh", "scp", "rsync", "sftp"), False, _SSH, "_sub_ssh"),
    (("@",), False, _PROMPT, "_sub_prompt"),
    (("@",), True, _JID, "_sub_jid"),
    (("@",), False, _EMAIL, "_email"),
    (("+",), False, _PHONE, "_sub_phone"),
    ((".",), False, _IPV4, "_sub_ipv4"),
    ((":",), False, _IPV6, "_ipv6"),
    (("/home/", "users"), False, _HOME, "_home"),
    ((":",), False, _SYSLOG, "_sub_syslog"),
    (("host",), False, _HOSTNAME_KV, "_sub_hostname"),
    (("(@", "as @"), False, _PROVIDER_BOT, "_sub_bot"),
    (("user",), False, _USER_CONTEXT, "_sub_user_context"),
    ((" by ",), False, _COMMAND_BY, "_sub_command_by"),
    (None, True, _ID_CONTEXT, "_id_context"),
    (("#",), False, _SNOWFLAKE_HASH, "_sub_snowflake_hash"),
    (None, True, _SNOWFLAKE, "_bare_snowflake"),
    (None, False, _SLACK_ID, "_sub_slack"),
    ((".",), False, _PRIVATE_FQDN, "_sub_fqdn"),
    ((".",), False, _PUBLIC_FQDN, "_public_fqdn"),
]


def _norm(ns: str, value: str) -> str:
    if ns == "phone":
        return re.sub(r"\D", "", value.split("@", 1)[0].split(":", 1)[0])
    if ns == "ip":
        try:
            return ipaddress.ip_address(value.strip("[]").split("%", 1)[0]).compressed
        except ValueError:
            return value.lower()
    if ns == "slack-id":
        return value.upper()
    if ns in ("user",):
        return value.casefold().lstrip("@")
    if ns in ("host", "email", "group", "channel", "chat", "guild"):
        return value.casefold()
    return value


class NoRedaction:
    """The renderers' redactor protocol (`text`, `message`, `mapping`) doing nothing: --no-redact."""

    def text(self, value):
        return value

    def message(self, value, kind=None, role=None):
        return value

    def mapping(self) -> dict[str, str]:
        return {}


class Redactor:
    """Consistent pseudonyms and secret removal for one report.

    ``include_text`` keeps message bodies (still without secrets and with identifiers
    pseudonymised). ``hash_key`` (bytes) switches the body hash from plain SHA-256 to
    HMAC-SHA-256, which stops dictionary guesses of short messages ("ok", "/new").
    """

    def __init__(self, *, include_text: bool = False, hash_key: bytes | None = None) -> None:
        self.include_text = include_text
        self.hash_key = hash_key
        self._by_key: dict[tuple[str, str], str] = {}
        self._counters: dict[str, int] = {}
        self._orig: dict[str, str] = {}
        self._by_ns: dict[str, dict[str, str]] = {}
        self._words: dict[str, str] = {}  # casefolded known host / user name → pseudonym
        self._words_rx: re.Pattern[str] | None = None

    # ---- pseudonym registry -----------------------------------------------------------

    def pseudonym(self, ns: str, original: str) -> str:
        """The pseudonym of ``original`` in namespace ``ns`` (allocated on first sight)."""
        if ns not in _NAMESPACES:
            raise ValueError(f"unknown pseudonym namespace {ns!r}")
        if _is_kept(original):
            return original
        key = (ns, _norm(ns, original))
        p = self._by_key.get(key)
        if p is None:
            n = self._counters.get(ns, 0) + 1
            self._counters[ns] = n
            p = _NAMESPACES[ns].format(n=n)
            self._by_key[key] = p
        self._record(ns, original, p)
        return p

    def _record(self, ns: str, original: str, p: str) -> None:
        self._orig.setdefault(original, p)
        self._by_ns.setdefault(ns, {}).setdefault(original, p)

    def _alias(self, ns: str, original: str, p: str) -> str:
        """Map ``original`` to an existing pseudonym ``p`` unless it already has one."""
        key = (ns, _norm(ns, original))
        p = self._by_key.setdefault(key, p)
        self._record(ns, original, p)
        return p

    def mapping(self) -> dict[str, str]:
        """original → pseudonym, in first-seen order (for ``--redaction-map``). Never holds secrets."""
        return dict(self._orig)

    def mapping_by_kind(self) -> dict[str, dict[str, str]]:
        """{namespace: {original: pseudonym}} — complete even when one string is in two namespaces."""
        return {ns: dict(m) for ns, m in self._by_ns.items()}

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object], **kwargs) -> Redactor:
        """A redactor pre-loaded with a map written earlier (flat or by kind)."""
        red = cls(**kwargs)
        items: list[tuple[str | None, str, str]] = []
        for k, v in mapping.items():
            if isinstance(v, Mapping):
                items += [(k, str(o), str(p)) for o, p in v.items()]
            else:
                items.append((None, str(k), str(v)))
        for ns, original, p in items:
            m = _PSEUDO_PARSE.match(p)
            if not m:
                continue
            ns = ns or m["ns"]
            if ns not in _NAMESPACES:
                continue
            n = int(m["n"])
            red._counters[ns] = max(red._counters.get(ns, 0), n)
            red._by_key.setdefault((ns, _norm(ns, original)), _NAMESPACES[ns].format(n=n))
            red._record(ns, original, p)
            if ns in ("host", "user"):
                red._add_word(original, _NAMESPACES[ns].format(n=n))
        return red

    def _add_word(self, name: str, p: str) -> None:
        """Remember a host / user name for whole-word replacement in any later text.

        User names shorter than 5 characters ("max", "will", "mark") are too likely to be
        ordinary words; they are only replaced where their position says they are names.
        """
        key = name.casefold()
        minimum = 3 if p.startswith("host-") else 5
        if len(key) < minimum or key in _STOP_WORDS or key in self._words or _is_kept(name):
            return
        if not re.fullmatch(r"[\w][\w .'-]*[\w]", name):
            return
        self._words[key] = p
        self._words_rx = None

    # ---- classifiers -------------------------------------------------------------------

    def host(self, name: str) -> str:
        """Pseudonym for a host name or address (loopback / localhost / unknown kept)."""
        if not name or _is_kept(name):
            return name
        low = name.casefold().rstrip(".")
        if low in ("localhost", "unknown", "localhost.localdomain", "ip6-localhost", "-", "(none)"):
            return name
        ip = self._ip(name)
        if ip is not None:
            return ip
        if _is_public_domain(low):
            return name
        lan = _LAN_SUFFIX.match(name)
        if lan:  # atlas.local is atlas: same pseudonym, the (non-personal) suffix kept
            if _is_kept(lan["first"]):
                return name
            return self.host(lan["first"]) + lan["suffix"]
        p = self.pseudonym("host", name)
        self._add_word(name, p)
        return p

    def user(self, name: str, *, alias_of: str | None = None) -> str:
        if not name or _is_kept(name) or _is_system_name(name):
            return name
        if alias_of is not None:
            p = self._alias("user", name, alias_of)
        else:
            p = self.pseudonym("user", name)
        self._add_word(name.lstrip("@"), p)
        return p

    def _ip(self, text: str) -> str | None:
        """ip-N for an address, the address itself when loopback/unspecified, None if not an IP."""
        core = text.strip("[]").split("%", 1)[0]
        try:
            addr = ipaddress.ip_address(core)
        except ValueError:
            return None
        if addr.is_loopback or addr.is_unspecified:
            return text
        mapped = getattr(addr, "ipv4_mapped", None)
        if mapped is not None and (mapped.is_loopback or mapped.is_unspecified):
            return text
        return self.pseudonym("ip", text)

    def classify_id(self, value: str, hint: str | None = None, *, name_ns: str | None = None,
                    numbers: bool = True) -> str:
        """Pseudonymise one id-like token according to its shape and channel hint.

        ``name_ns`` is the namespace for values that are names rather than ids (None keeps them);
        ``numbers`` False keeps plain numbers that are not snowflakes (Telegram message ids …).
        """
        if not value or _is_kept(value) or _UUID_RX.match(value):
            return value
        m = _JID_FULL.match(value)
        if m:
            if m["dom"] == "g.us":
                return self.pseudonym("group", m["num"]) + "@g.us"
            return self.pseudonym("phone", m["num"]) + "@" + m["dom"]
        if _EMAIL_FULL.match(value):
            return self.pseudonym("email", value)
        if _PHONE_FULL.match(value):
            return self.pseudonym("phone", value)
        if hint in ("whatsapp", "signal", "imessage") and re.fullmatch(r"\d{7,15}", value):
            return self.pseudonym("phone", value)
        if re.fullmatch(r"\d{17,20}", value) and hint not in ("telegram", "whatsapp", "signal"):
            return self.pseudonym("discord-id", value)
        if (hint == "slack" and re.fullmatch(r"[A-Za-z][A-Za-z0-9]{8,10}", value) and re.search(r"\d", value)) or (
            _SLACK_FULL.match(value)
        ):
            return self.pseudonym("slack-id", value)
        if re.fullmatch(r"-?\d{5,16}", value):
            if not numbers:
                return value
            return self.pseudonym("telegram-id" if hint == "telegram" else "id", value)
        if re.fullmatch(r"-?\d{1,4}|\d+\.\d+|[0-9a-f]{8}", value):
            return value
        if name_ns:
            return self.user(value) if name_ns == "user" else self.pseudonym(name_ns, value)
        return value

    # ---- hashing -----------------------------------------------------------------------

    def body_placeholder(self, body: str) -> str:
        data = body.encode("utf-8", "surrogatepass")
        if self.hash_key:
            digest = hmac.new(self.hash_key, data, hashlib.sha256).hexdigest()
        else:
            digest = hashlib.sha256(data).hexdigest()
        return f"[text: {len(body)} chars, sha256:{digest[:8]}]"

    def _hash_gap(self, gap: str) -> str:
        core = gap.strip()
        if not core or _PLACEHOLDER_RX.fullmatch(core):
            return gap
        lead = gap[: len(gap) - len(gap.lstrip())]
        trail = gap[len(gap.rstrip()) :]
        return lead + self.body_placeholder(core) + trail

    # ---- structured fields ---------------------------------------------------------------

    def redact_host(self, value: str | None) -> str | None:
        if value is None:
            return None
        value = redact_secrets(value)
        if _is_kept(value) or not value.strip():
            return value
        return self.host(value.strip())

    def redact_message_id(self, value: str | None) -> str | None:
        if value is None:
            return None
        value = redact_secrets(value)
        return self.classify_id(value.strip(), numbers=False) if value.strip() == value else self.redact_text(value)

    def redact_session_key(self, key: str | None) -> str | None:
        """Pseudonymise the peer / group / channel ids inside a session key, keep its structure."""
        if key is None:
            return None
        key = redact_secrets(key)
        if any(c.isspace() for c in key):
            return self.redact_text(key)
        markers: list[str] = []

        def protect(m: re.Match[str]) -> str:
            markers.append(m.group(0))
            return f"\x00{len(markers) - 1}\x00"

        protected = _PLACEHOLDER_RX.sub(protect, key)
        parts = protected.split(":")
        hint = next((p.lower() for p in parts if p.lower() in _CHANNEL_NAMES), None)
        out: list[str] = []
        for i, seg in enumerate(parts):
            prev = parts[i - 1].lower() if i else ""
            if "\x00" in seg:
                out.append(seg)
            elif prev in _KEY_ID_MARKERS and i >= 2:
                if prev in ("topic", "thread"):
                    out.append(self.classify_id(seg, hint, numbers=False))
                else:
                    name_ns = {"dm": "user", "direct": "user", "user": "user", "slash": "user", "peer": "user",
                               "group": "group", "channel": "channel", "space": "guild"}.get(prev, "chat")
                    out.append(self.classify_id(seg, hint, name_ns=name_ns))
            elif i >= 2 or (i == 1 and prev != "agent"):
                out.append(self.classify_id(seg, hint, numbers=False) if re.search(r"\d{5}|@|^\+", seg) else seg)
            else:
                out.append(seg)
        return re.sub("\x00(\\d+)\x00", lambda m: markers[int(m.group(1))], ":".join(out))

    # ---- envelopes --------------------------------------------------------------------

    def _label(self, chan: str, label: str) -> str:
        if not label or _is_kept(label):
            return label
        hint = chan.lower().replace(" ", "")
        reply = ""
        if " from: " in label:
            label, who = label.split(" from: ", 1)
            m = _LABEL_USER.match(who)
            if m:
                reply = f" from: {self.user(m['user'])} user id:{self.classify_id(m['id'], hint, name_ns='user')}"
            else:
                reply = f" from: {self.user(who)}"
        m = _LABEL_GUILD.match(label)
        if m:
            guild = self.pseudonym("guild", m["guild"]) if m["guild"] else ""
            out = f"{guild + ' ' if guild else ''}#{self.pseudonym('channel', m['chan'])} channel id:" + self.classify_id(
                m["id"], hint, name_ns="channel"
            )
            return out + reply
        m = _LABEL_USER.match(label)
        if m:
            return f"{self.user(m['user'])} user id:{self.classify_id(m['id'], hint, name_ns='user')}{reply}"
        m = _LABEL_ID.match(label)
        if m:
            name = m["name"]
            shown = self._name_or_contact(name, "chat") if name else ""
            return f"{shown + ' ' if shown else ''}id:{self.classify_id(m['id'], hint, name_ns='chat')}{reply}"
        m = _LABEL_HASH.match(label)
        if m:
            return f"{self.pseudonym('guild', m['guild'])} #{self.pseudonym('channel', m['chan'])}{reply}"
        return self._name_or_contact(label, "chat") + reply

    def _name_or_contact(self, name: str, ns: str) -> str:
        shown = self.classify_id(name)
        if shown != name or _is_kept(name):
            return shown
        return self.redact_text(name) if re.search(r"[@+]\d|@", name) else (
            self.user(name) if ns == "user" else self.pseudonym(ns, name)
        )

    def _sender(self, name: str, handle: str | None) -> str:
        if handle:
            hp = self.user(handle)
            np = self.user(name, alias_of=hp)
            return f"{np} ({'@' if handle.startswith('@') and not hp.startswith('@') else ''}{hp})"
        return self._name_or_contact(name, "user")

    def _envelopes(self, text: str, *, hash_bodies: bool) -> tuple[str, list[tuple[int, int]]]:
        """Rewrite channel envelopes; return new text and the spans (in the new text) to keep."""
        out: list[str] = []
        keep: list[tuple[int, int]] = []
        pos = 0
        length = 0
        for m in _ENVELOPE.finditer(text):
            before = text[pos : m.start()]
            out.append(before)
            length += len(before)
            label = m["label"] or ""
            head = f"{m['indent']}[{m['chan']}{' ' + self._label(m['chan'], label) if label else ''}{m['tail']}]{m['sep']}"
            end = m.end()
            group_like = bool(re.search(r"#|channel id:|group|id:-|@g\.us", label, re.I))
            if m["sep"]:
                s = _SENDER.match(text, end)
                if s and (group_like or s["handle"]) and not _is_kept(s.group(0)[:-2]):
                    head += self._sender(s["name"], s["handle"]) + ": "
                    end = s.end()
                elif s and _PSEUDO_RX.match(s["name"]):
                    head += s.group(0)
                    end = s.end()
            keep.append((length, length + len(head)))
            out.append(head)
            length += len(head)
            pos = end
            if hash_bodies:
                eol = text.find("\n", end)
                eol = len(text) if eol < 0 else eol
                body = text[end:eol]
                nxt = _MSG_KEEP.search(body)
                cut = nxt.start() if nxt else len(body)
                gap = self._hash_gap(body[:cut])
                out.append(gap)
                length += len(gap)
                pos = end + cut
        out.append(text[pos:])
        return "".join(out), keep

    # ---- free / log text --------------------------------------------------------------

    def redact_text(self, text: str | None) -> str | None:
        """Secrets removed and identifiers pseudonymised in log lines and free text.

        JSON ``"text"`` / ``"content"`` … values and envelope bodies are hashed unless
        ``include_text`` is set.
        """
        if not text:
            return text
        text = redact_secrets(text)
        if not self.include_text:
            text = _JSON_BODY.sub(lambda m: m["pre"] + self._hash_gap(m["val"]) + '"', text)
            if "text=" in text or "preview=" in text:
                text = _LOG_TEXT_KV.sub(lambda m: m["pre"] + self._hash_gap(m["val"]), text)
        text, _ = self._envelopes(text, hash_bodies=not self.include_text)
        return self._identifiers(text)

    def _identifiers(self, text: str) -> str:
        low = text.lower()
        digits5 = _DIGITS5.search(text) is not None
        for needles, need_digits, rx, attr in _IDENTIFIER_STEPS:
            if need_digits and not digits5:
                continue
            if needles is not None and not any(n in low for n in needles):
                continue
            new = rx.sub(getattr(self, attr), text)
            if new != text:
                text, low = new, new.lower()
        return self._known_words(text)

    # substitution callbacks (named so that the step table can refer to them)
    def _sub_session_key(self, m: re.Match[str]) -> str:
        return self.redact_session_key(m.group(0)) or m.group(0)

    def _sub_ssh(self, m: re.Match[str]) -> str:
        return f"{m['pre']}{self._maybe_user(m['user'])}@{self.host(m['host'])}"

    def _sub_prompt(self, m: re.Match[str]) -> str:
        return f"{self._maybe_user(m['user'])}@{self.host(m['host'])}"

    def _sub_jid(self, m: re.Match[str]) -> str:
        return self.classify_id(m.group(0))

    def _sub_phone(self, m: re.Match[str]) -> str:
        return self.pseudonym("phone", m.group(0))

    def _sub_ipv4(self, m: re.Match[str]) -> str:
        return self._ip(m.group(0)) or m.group(0)

    def _sub_syslog(self, m: re.Match[str]) -> str:
        return m["pre"] + self.host(m["host"]) + m["post"]

    def _sub_hostname(self, m: re.Match[str]) -> str:
        return m["pre"] + self.host(m["host"])

    def _sub_bot(self, m: re.Match[str]) -> str:
        return m["pre"] + self._maybe_user(m["name"])

    def _sub_user_context(self, m: re.Match[str]) -> str:
        name = m["name"]
        if _is_system_name(name) or name.lower() in ("id", "ids", "name", "agent", "message", "messages", "is", "was"):
            return m.group(0)
        return m["pre"] + self.user(name)

    def _sub_command_by(self, m: re.Match[str]) -> str:
        return m["pre"] + self.classify_id(m["id"], name_ns="user") + m["post"]

    def _sub_snowflake_hash(self, m: re.Match[str]) -> str:
        return m["pre"] + "#" + self.pseudonym("channel", m["chan"])

    def _sub_slack(self, m: re.Match[str]) -> str:
        return self.pseudonym("slack-id", m.group(0))

    def _sub_fqdn(self, m: re.Match[str]) -> str:
        return self.host(m.group(0))

    def _json_name(self, m: re.Match[str]) -> str:
        key, val = m["key"], m["val"]
        if not val or _is_kept(val):
            return m.group(0)
        if key in ("groupChannel", "group_channel"):
            new = ("#" if val.startswith("#") else "") + self.pseudonym("channel", val.lstrip("#"))
        elif key in ("label", "conversation_label"):
            new = self._label("Discord" if "channel id:" in val or "user id:" in val else "", val)
        elif key in ("senderName", "senderUsername", "username"):
            new = self.user(val)
        elif key == "displayName":
            new = self._identifiers_light(val)
        else:
            new = self.pseudonym("chat", val)
        return m["pre"] + new + '"'

    def _identifiers_light(self, val: str) -> str:
        s = _SNOWFLAKE_HASH.sub(lambda m: m["pre"] + "#" + self.pseudonym("channel", m["chan"]), val)
        s = _SNOWFLAKE.sub(lambda m: self.pseudonym("discord-id", m.group(0)), s)
        return s if s != val else self.pseudonym("chat", val)

    def _maybe_user(self, name: str) -> str:
        return self.user(name)

    def _url(self, m: re.Match[str]) -> str:
        host = m["host"]
        if _is_kept(host):
            return m.group(0)
        return m["scheme"] + self.host(host)

    def _email(self, m: re.Match[str]) -> str:
        local, dom = m["local"], m["dom"]
        if _is_kept(m.group(0)) or _PSEUDO_RX.fullmatch(local) or dom.lower() in ("example.invalid",):
            return m.group(0)
        if re.fullmatch(r"s\.whatsapp\.net|c\.us|g\.us", dom):
            return m.group(0)
        return self.pseudonym("email", m.group(0))

    def _ipv6(self, m: re.Match[str]) -> str:
        cand = m.group(0)
        if cand.count(":") < 2:
            return cand
        for c in (cand, cand.rstrip(":")):
            try:
                ipaddress.IPv6Address(c.split("%", 1)[0])
            except ValueError:
                continue
            res = self._ip(c)
            return (res or c) + cand[len(c) :]
        return cand

    def _home(self, m: re.Match[str]) -> str:
        name = m["name"]
        if _is_system_name(name) or _is_kept(name) or name.startswith(("$", "%", "{", "<", "~")):
            return m.group(0)
        return m["pre"] + self.user(name)

    def _id_context(self, m: re.Match[str]) -> str:
        pre = m["pre"]
        hint = None
        low = pre.lower()
        for ch in ("telegram", "discord", "slack", "whatsapp", "signal"):
            if ch in low:
                hint = ch
        return pre + self.classify_id(m["id"], hint)

    def _bare_snowflake(self, m: re.Match[str]) -> str:
        v = m.group(0)
        return self.pseudonym("discord-id", v) if _plausible_snowflake(v) else v

    def _public_fqdn(self, m: re.Match[str]) -> str:
        v = m.group(0)
        if _is_public_domain(v) or _is_kept(v):
            return v
        return self.host(v)

    def _known_words(self, text: str) -> str:
        if not self._words:
            return text
        if self._words_rx is None:
            names = sorted(self._words, key=len, reverse=True)
            self._words_rx = re.compile(
                r"(?<![\w.-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.I
            )
        return self._words_rx.sub(lambda m: self._words.get(m.group(0).casefold(), m.group(0)), text)

    # ---- message bodies ---------------------------------------------------------------

    def redact_message_text(self, text: str | None, role: str | None = None, *, kind: str | None = None) -> str | None:
        """A transcript message body: hashed (unless ``include_text``) with its markers kept."""
        if not text:
            return text
        text = redact_secrets(text)
        if self.include_text:
            return self.redact_text(text)
        keep: list[tuple[int, int]] = []
        prefix = ""
        pm = re.match(r"\A\[(?:delivery-mirror|injected)\] ", text)
        if pm:
            prefix, text = pm.group(0), text[pm.end() :]
        rx = _MSG_PREFIX.get(kind or "") or (_MSG_PREFIX["tool_result"] if role == "toolResult" else None)
        if kind == "transcript_entry":
            rx = _ENTRY_BODY_PREFIX
        head = ""
        if rx is not None:
            hm = rx.match(text)
            if hm:
                head, text = hm.group(0), text[hm.end() :]
        text, env_keep = self._envelopes(text, hash_bodies=False)
        keep += env_keep
        keep += [(m.start(), m.end()) for m in _MSG_KEEP.finditer(text)]
        keep.sort()
        out: list[str] = []
        pos = 0
        env_set = set(env_keep)
        for a, b in keep:
            if a < pos:
                continue
            out.append(self._hash_gap(text[pos:a]))
            span = text[a:b]
            if (a, b) in env_set:
                out.append(span)
            else:
                out.append(self._keep_span(span))
            pos = b
        out.append(self._hash_gap(text[pos:]))
        return self._identifiers(prefix) + self.redact_text(head) + "".join(out)

    def _keep_span(self, span: str) -> str:
        m = _MESSAGE_ID.fullmatch(span)
        if m:
            return f"[message_id: {self.classify_id(m['id'].strip(), numbers=False)}]"
        m = _FROM.fullmatch(span)
        if m:
            return f"[from: {self._name_or_contact(m['who'], 'user')}]"
        if _PLACEHOLDER_RX.fullmatch(span):
            return span
        return self._identifiers(span)

    # ---- report renderer protocol ---------------------------------------------------------

    def text(self, value: str | None) -> str | None:
        return self.redact_text(value)

    def message(self, value: str | None, kind: str | None = None, role: str | None = None) -> str | None:
        if is_message_row(kind, role, value):
            return self.redact_message_text(value, role, kind=kind)
        return self.redact_text(value)

    # ---- frames -----------------------------------------------------------------------

    def learn(self, values: Iterable[str | None], *, column: str = "text", secrets_done: bool = False) -> None:
        """Register host and user names found in ``values`` so that later text uses them."""
        for v in values:
            if not v:
                continue
            if column == "host":
                self.redact_host(v)
                continue
            if not secrets_done:
                v = redact_secrets(v)
            low = v.lower()
            if "/home/" in low or "users" in low:
                for m in _HOME.finditer(v):
                    self._home(m)
            if ":" in v:
                for m in _SYSLOG.finditer(v):
                    self.host(m["host"])
            if "@" in v:
                for m in _PROMPT.finditer(v):
                    self._maybe_user(m["user"])
                    self.host(m["host"])
            if "host" in low:
                for m in _HOSTNAME_KV.finditer(v):
                    self.host(m["host"])
            if "[" in v:
                for m in _ENVELOPE.finditer(v):
                    label = m["label"] or ""
                    if m["sep"]:
                        s = _SENDER.match(v, m.end())
                        if s and (s["handle"] or re.search(r"#|channel id:|group", label)):
                            self._sender(s["name"], s["handle"])
                    lm = _LABEL_USER.match(label)
                    if lm:
                        self.user(lm["user"])

    def learn_frame(self, df: pl.DataFrame, *, secrets_done: bool = False) -> None:
        """Learn hosts (``host`` column first) and user names from every string column."""
        schema = {c: (pl.String if isinstance(t, pl.Categorical) else t) for c, t in df.schema.items()}
        if "host" in schema and schema["host"] == pl.String:
            self.learn(df.get_column("host").drop_nulls().unique(maintain_order=True).to_list(), column="host")
        for col, dtype in schema.items():
            if dtype != pl.String or col in _ENUM_COLUMNS or col == "host":
                continue
            self.learn(df.get_column(col).drop_nulls().unique(maintain_order=True).to_list(), secrets_done=secrets_done)

    def redact_frame(self, df: pl.DataFrame | pl.LazyFrame, *, include_text: bool | None = None) -> pl.DataFrame:
        """A redacted copy of ``df``: every string column (see module docstring).

        ``text`` follows the row's ``kind`` (message bodies vs log text), ``host`` becomes a host
        pseudonym, ``session_key`` and ``message_id`` keep their structure with ids replaced,
        ``source`` and the other free-text columns get the log-text treatment; ``format``,
        ``kind``, ``level``, ``role``, ``channel``, ``stop_reason`` and ``session_id`` only get the
        secret pass. Columns, dtypes, order and row count are unchanged.
        """
        if isinstance(df, pl.LazyFrame):
            df = df.collect()
        saved = self.include_text
        if include_text is not None:
            self.include_text = include_text
        # categorical columns (schema.COMPACT_COLUMNS) are redacted as strings and cast back
        compact = {c: t for c, t in df.schema.items() if isinstance(t, pl.Categorical)}
        if compact:
            df = df.with_columns(pl.col(c).cast(pl.String) for c in compact)
        try:
            out = self._redact_frame(df)
        finally:
            self.include_text = saved
        return out.with_columns(pl.col(c).cast(t) for c, t in compact.items()) if compact else out

    def _redact_frame(self, df: pl.DataFrame) -> pl.DataFrame:
        str_cols = [c for c, t in df.schema.items() if t == pl.String]
        if not str_cols or df.height == 0:
            return df
        if "text" in str_cols:
            df = _private_key_rows(df)
        df = df.with_columns([secrets_expr(pl.col(c)).alias(c) for c in str_cols])
        self.learn_frame(df, secrets_done=True)
        order = [c for c in ("host", "source", "session_key", "message_id", "text") if c in str_cols]
        order += [c for c in str_cols if c not in order]
        funcs: dict[str, Callable[[str], str | None]] = {
            "host": self.redact_host,
            "session_key": self.redact_session_key,
            "message_id": self.redact_message_id,
        }
        words = len(self._words)
        for col in order:
            if col in _ENUM_COLUMNS:
                continue
            if col == "text":
                df = df.with_columns(self._text_column(df).alias("text"))
                continue
            df = df.with_columns(_map_unique(df.get_column(col), funcs.get(col, self.redact_text)).alias(col))
        if len(self._words) != words:
            # a host / user name first met half-way through: apply it to the rows already done
            df = df.with_columns(
                _map_unique(df.get_column(c), self._known_words).alias(c) for c in order if c not in _ENUM_COLUMNS
            )
        return df

    def _text_column(self, df: pl.DataFrame) -> pl.Series:
        text = df.get_column("text")
        kinds = df.get_column("kind") if "kind" in df.columns else pl.Series([None] * df.height, dtype=pl.String)
        roles = df.get_column("role") if "role" in df.columns else pl.Series([None] * df.height, dtype=pl.String)
        mode = [
            (k if is_message_row(k, r, t) else None, r if is_message_row(k, r, t) else None)
            for k, r, t in zip(kinds.to_list(), roles.to_list(), text.to_list())
        ]
        cache: dict[tuple[str | None, str | None, str], str | None] = {}
        out: list[str | None] = []
        for (k, r), t in zip(mode, text.to_list()):
            if t is None:
                out.append(None)
                continue
            key = (k, r, t)
            v = cache.get(key)
            if v is None and key not in cache:
                v = self.message(t, k, r) if (k or r) else self.redact_text(t)
                cache[key] = v
            out.append(v)
        return pl.Series("text", out, dtype=pl.String)


def is_message_row(kind: str | None, role: str | None = None, text: str | None = None) -> bool:
    """Does this row's text carry a chat / tool body?"""
    if kind in MESSAGE_KINDS:
        return True
    if kind == "transcript_entry" and text is not None and _ENTRY_BODY_PREFIX.match(text):
        return True
    return kind is None and role in MESSAGE_ROLES


_PEM_BEGIN = r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
_PEM_END = r"-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
_PEM_MAX_ROWS = 200


def _private_key_rows(df: pl.DataFrame) -> pl.DataFrame:
    """A key printed line by line (one journal entry per line): blank every row of the block.

    Rows are followed per ``source`` in frame order from a BEGIN line without its END to the
    END line (at most 200 rows, so a block without END does not swallow the log).
    """
    text = df.get_column("text")
    begins = text.str.contains(_PEM_BEGIN) & ~text.str.contains(_PEM_END)
    if not begins.any():
        return df
    ends = text.str.contains(_PEM_END).to_list()
    sources = df.get_column("source").to_list() if "source" in df.columns else [None] * df.height
    open_at: dict[object, int] = {}
    hit = [False] * df.height
    for i, (b, e, src) in enumerate(zip(begins.to_list(), ends, sources)):
        if b:
            open_at[src] = 0
        if src in open_at:
            hit[i] = True
            open_at[src] += 1
            if (e and not b) or open_at[src] >= _PEM_MAX_ROWS:
                del open_at[src]
    mask = pl.Series(hit)
    return df.with_columns(
        pl.when(mask).then(pl.lit("[REDACTED:private-key]")).otherwise(pl.col("text")).alias("text")
    )


def _map_unique(series: pl.Series, fn: Callable[[str], str | None]) -> pl.Series:
    uniq = series.drop_nulls().unique(maintain_order=True).to_list()
    if not uniq:
        return series
    new = [fn(v) for v in uniq]
    return series.replace(uniq, new)


# ---------------------------------------------------------------------------------------
# Module-level conveniences
# ---------------------------------------------------------------------------------------

def redact_frame(df: pl.DataFrame | pl.LazyFrame, *, include_text: bool | None = None,
                 redactor: Redactor | None = None) -> pl.DataFrame:
    red = redactor or Redactor(include_text=bool(include_text))
    return red.redact_frame(df, include_text=include_text)


def redact_text(text: str | None, *, redactor: Redactor | None = None) -> str | None:
    return (redactor or Redactor()).redact_text(text)


def redact_message_text(text: str | None, role: str | None = None, *, kind: str | None = None,
                        include_text: bool | None = None, redactor: Redactor | None = None) -> str | None:
    red = redactor or Redactor(include_text=bool(include_text))
    saved = red.include_text
    if include_text is not None:
        red.include_text = include_text
    try:
        return red.redact_message_text(text, role, kind=kind)
    finally:
        red.include_text = saved
