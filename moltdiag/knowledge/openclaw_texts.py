"""Fixed texts OpenClaw writes into transcripts, which readers match and generators write.

Source: ../shared/spec/openclaw-formats.md §5.2 (reset prompt by period), §4.6 (✅ notice),
§4.7 (main-session system block). Standard library only: fixtures/make_fixtures.py imports it.
"""

# The bare-reset prompt: match on these prefixes; the suffix changed many times.
RESET_PROMPT_MARKERS = (
    "A new session was started via /new or /reset",
    "A new session was started via /new.",  # before 2025-12-22
)
# Full text of the 2026-01-20 (15e5bb34) → v2026.1.30 period: Clawdbot 2026.1.24-3, the seed's build.
RESET_PROMPT_2026_01_20 = (
    "A new session was started via /new or /reset. Say hi briefly (1-2 sentences) and ask what the "
    "user wants to do next. If the runtime model differs from default_model in the system prompt, "
    "mention the default model in the greeting. Do not mention internal steps, files, tools, or reasoning."
)
# Mirrored into the new transcript as a delivery-mirror assistant message (2026-01-20 … 2026-04-05).
RESET_NOTICE_PREFIX = "✅ New session started"
# A new main (DM) session's first user message starts with the channel summary.
MAIN_SESSION_SYSTEM_BLOCK = "System: Discord: configured\nSystem:   - default (dm:pairing, token:config)\n\n"
