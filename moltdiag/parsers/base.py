"""What every parser module provides, and the result it returns.

A parser module exposes:

    FORMAT: str                                   # e.g. "journald-json"
    def sniff(path: Path, head: bytes) -> float   # 0.0 (not mine) … 1.0 (certainly mine)
    def parse(source: InputFile) -> ParsedSource

`head` is the first 64 KiB of the (decompressed) file. `parse` never raises on bad
content: a line it cannot read becomes a row of kind `unparsed` with the raw text kept.
It raises `InputError` only when the whole file is unusable (binary, not this format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

HEAD_BYTES = 64 * 1024


class InputError(Exception):
    """A whole input is unusable; the message names the file (and line when known)."""


@dataclass
class InputFile:
    """One input as bytes, with the name to show and the path on disk (for mtime)."""

    name: str
    data: bytes
    path: Path | None = None
    raw_size: int | None = None  # size of the file as given (before decompression)
    raw_sha256: str | None = None  # its SHA-256, for the report manifest

    @property
    def head(self) -> bytes:
        return self.data[:HEAD_BYTES]

    def disk_path(self) -> Path | None:
        """The file on disk that holds exactly `data` (None for stdin, decompressed input or an
        archive member): readers that need a real path (sqlite3, journalctl) use it or a temp copy."""
        p = self.path
        if p is None or p.suffix.lower() in (".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4"):
            return None
        try:
            return p if p.is_file() and p.stat().st_size == len(self.data) else None
        except OSError:
            return None

    def mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime if self.path is not None else None
        except OSError:
            return None


@dataclass
class ParsedSource:
    """A parser's result: canonical events plus the counts every output reports."""

    source: str
    format: str
    events: pl.DataFrame  # conforms to schema.FULL_SCHEMA
    lines: int  # physical lines (or records) read
    notes: list[str] = field(default_factory=list)  # what the parser assumed, shown to the user
    mtime: float | None = None
    size: int | None = None  # bytes of the input as given
    sha256: str | None = None

    @property
    def unparsed(self) -> int:
        return int((self.events["kind"] == "unparsed").sum()) if self.events.height else 0

    @property
    def event_count(self) -> int:
        return self.events.height - self.unparsed
