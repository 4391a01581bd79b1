"""Discord snowflakes carry their creation time: (id >> 22) + Discord epoch, in ms.

Source: discord-api-docs `developers/reference.mdx` ("Snowflakes").
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars only for the vectorised decode: fixtures/make_fixtures.py imports this module bare
    import polars as pl

DISCORD_EPOCH_MS = 1420070400000
# Ids below this were created before 2015-01-02 — i.e. not Discord snowflakes at all.
_MIN_SNOWFLAKE = 1 << 32


def created_ms(message_id: str | int | None) -> int | None:
    """Creation time in epoch ms, or None when the id is not a Discord snowflake."""
    if message_id is None:
        return None
    text = str(message_id).strip()
    if not text.isdigit() or len(text) > 20:
        return None
    value = int(text)
    if value < _MIN_SNOWFLAKE or value >= 1 << 64:
        return None
    return (value >> 22) + DISCORD_EPOCH_MS


def created_at(message_id: str | int | None) -> datetime | None:
    ms = created_ms(message_id)
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def created_expr(col: str = "message_id") -> pl.Expr:
    """Vectorised decode: a UTC datetime column, null where the id is not a snowflake."""
    import polars as pl

    value = pl.col(col).str.strip_chars().cast(pl.UInt64, strict=False)
    valid = value.is_not_null() & (value >= _MIN_SNOWFLAKE)
    ms = (value // (1 << 22)).cast(pl.Int64) + DISCORD_EPOCH_MS
    return pl.when(valid).then(ms * 1000).cast(pl.Datetime("us", "UTC"))
