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

import bz2
import gzip
import hashlib
import lzma
import zlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import polars as pl

HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 16 << 20  # line-format parsers read this much at a time
LOW_MEMORY_CHUNK_BYTES = 4 << 20

# Called with the number of input bytes (as stored on disk) just consumed; the CLI's progress bar.
PROGRESS: ContextVar[Callable[[int], None] | None] = ContextVar("moltdiag_progress", default=None)


def report_progress(nbytes: int) -> None:
    callback = PROGRESS.get()
    if callback is not None and nbytes:
        callback(nbytes)


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
    # False under --low-memory: parsers that stream keep diagnostic rows and a thin sample of
    # routine ones (see parsers/streaming.py), not every routine line.
    keep_routine: bool = True

    @property
    def head(self) -> bytes:
        return self.data[:HEAD_BYTES]

    def is_blank(self) -> bool:
        return not self.data.strip()

    def open(self) -> BinaryIO:
        """The content as a binary stream (decompressed)."""
        import io

        return io.BytesIO(self.data)

    def _read(self, stream: BinaryIO, size: int = -1) -> bytes:
        return stream.read(size)

    def stream_position(self, stream: BinaryIO) -> int:
        """How many stored bytes `stream` (from `open`) has consumed, for progress."""
        return stream.tell()

    def sha256(self) -> str:
        if self.raw_sha256 is None:
            self.raw_sha256 = hashlib.sha256(self.data).hexdigest()
        return self.raw_sha256

    def line_chunks(self, size: int = CHUNK_BYTES, *, glue_indented: bool = False) -> Iterator[bytes]:
        """The content in pieces of about `size` bytes, each ending at a line end (the last one
        may not). With `glue_indented`, a piece never ends before an indented line, so a
        journal entry and its continuation lines stay together. Progress is reported per piece."""
        carry = b""
        with self.open() as stream:
            done = 0
            while True:
                block = self._read(stream, size)
                # one byte ahead: at the end of the data the last piece is everything left
                # (never a stray last line on its own), elsewhere the byte after the last
                # newline is known (indented or not)
                ahead = self._read(stream, 1) if block else b""
                pos = self.stream_position(stream)
                report_progress(pos - done)
                done = pos
                if not ahead:
                    if carry or block:
                        yield carry + block if carry else block
                    return
                buf = carry + block + ahead if carry else block + ahead
                cut = _last_boundary(buf, glue_indented)
                if cut < 0:  # one line longer than `size`: read on
                    carry = buf
                    continue
                carry = buf[cut:]
                yield buf[:cut] if carry else buf
                del buf, block

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


def _last_boundary(buf: bytes, glue_indented: bool) -> int:
    """Index just past the last newline of `buf` where a piece may end (-1: none)."""
    end = len(buf)
    while True:
        i = buf.rfind(b"\n", 0, end)
        if i < 0:
            return -1
        if not glue_indented:
            return i + 1
        if i + 1 < len(buf) and buf[i + 1] not in b" \t":
            return i + 1
        end = i  # the next line is indented, or not read yet: cut earlier


_OPENERS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    ".bz2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    ".xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),
}


def file_sha256(path: Path) -> str:
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class _Decompressing:
    """A decompressing reader that also closes the file under it (GzipFile and BZ2File given a
    file object leave it open) and keeps it at hand for progress."""

    def __init__(self, raw: BinaryIO, inner: BinaryIO):
        self.raw, self.inner = raw, inner

    def read(self, size: int = -1) -> bytes:
        return self.inner.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self.inner.read1(size)

    def __enter__(self) -> "_Decompressing":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.inner.close()
        finally:
            self.raw.close()


_PART = 1 << 20


class DiskFile(InputFile):
    """An input file on disk, read only as far as a parser asks: `head` reads 64 KiB,
    `line_chunks` streams it (decompressing `.gz`/`.bz2`/`.xz` on the fly), and `data` reads it
    whole, once, for the parsers that need all of it. So a streaming parser never holds the
    file in memory, and the SHA-256 for the manifest is computed only when a report asks."""

    def __init__(self, name: str, path: Path, compression: str = "",
                 opener: Callable[[BinaryIO], BinaryIO] | None = None, *,
                 max_whole: int | None = None, too_big: Callable[[str, int], Exception] | None = None):
        self.name = name
        self._max_whole, self._too_big = max_whole, too_big
        self.path = path
        self.keep_routine = True
        self._compression = compression
        self._opener = opener or _OPENERS.get(compression)
        self._data: bytes | None = None
        self._head: bytes | None = None
        self._sha: str | None = None
        self.cut_short = False  # the compressed stream ended before its end marker
        self.raw_size = path.stat().st_size

    def __repr__(self) -> str:
        return f"DiskFile({self.name!r}, compression={self._compression!r})"

    @property
    def data(self) -> bytes:  # type: ignore[override]
        if self._data is None:
            with self.open() as stream:
                if self._max_whole is None:
                    self._data = self._read(stream)
                else:  # a compressed file that inflates past the cap is refused, not read
                    data = self._read(stream, self._max_whole + 1)
                    if len(data) > self._max_whole:
                        raise (self._too_big(self.name, len(data)) if self._too_big else
                               InputError(f"{self.name}: too large to read whole"))
                    self._data = data
            report_progress(self.raw_size or 0)
        return self._data

    @property
    def head(self) -> bytes:
        if self._data is not None:
            return self._data[:HEAD_BYTES]
        if self._head is None:
            with self.open() as stream:
                self._head = self._read(stream, HEAD_BYTES)
        return self._head

    def _read(self, stream: BinaryIO, size: int = -1) -> bytes:
        if self._compression:
            # one decompressor step at a time (read1): a stream that ends early keeps what came
            # before the end, where one big read would drop it with the error
            parts, want = [], size
            while want != 0:
                part = self._read_step(stream, _PART if want < 0 else min(_PART, want))
                if not part:
                    break
                parts.append(part)
                want = want - len(part) if want > 0 else want
            return b"".join(parts)
        return self._read_step(stream, size)

    def _read_step(self, stream: BinaryIO, size: int) -> bytes:
        try:
            return stream.read1(size) if self._compression else stream.read(size)
        except EOFError:
            # a compressed file cut off (copied while the log was written): read to where it
            # ends; the decompressors raise this only when nothing more came out
            self.cut_short = True
            return b""
        except OSError as exc:
            if not self._compression:
                raise InputError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
            raise InputError(f"{self.name}: cannot decompress {self._compression} data: {exc}") from None
        except (ValueError, lzma.LZMAError, zlib.error) as exc:
            raise InputError(f"{self.name}: cannot decompress {self._compression} data: {exc}") from None

    @property
    def raw_sha256(self) -> str | None:  # type: ignore[override]
        return self._sha

    def sha256(self) -> str:
        if self._sha is None:
            self._sha = file_sha256(self.path)
        return self._sha

    def is_blank(self) -> bool:
        head = self.head
        if len(head) < HEAD_BYTES:
            return not head.strip()
        return False  # 64 KiB and more of nothing but whitespace: let the parser say so

    def open(self) -> BinaryIO:
        raw = self.path.open("rb")
        if self._opener is None:
            return raw
        return _Decompressing(raw, self._opener(raw))  # type: ignore[return-value]

    def stream_position(self, stream: BinaryIO) -> int:
        raw = stream.raw if isinstance(stream, _Decompressing) else stream
        try:
            return raw.tell()
        except (OSError, ValueError):
            return 0

    def disk_path(self) -> Path | None:
        return self.path if self._opener is None else None


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
    digest_of: Callable[[], str] | None = None  # computes sha256 on demand (large inputs)
    routine_dropped: int = 0  # routine rows (kind other) not kept under --low-memory

    def digest(self) -> str | None:
        """The input's SHA-256, computed the first time a report asks for it."""
        if self.sha256 is None and self.digest_of is not None:
            self.sha256 = self.digest_of()
        return self.sha256

    _released: tuple[int, int] | None = None  # (rows, unparsed) once the timeline took the rows

    def release_events(self) -> None:
        """The timeline holds the rows now: keep the counts, drop this frame (it would pin a
        second copy of every column the correlator rewrites)."""
        if self._released is None:
            self._released = (self.events.height, self.unparsed)
            self.events = self.events.clear()

    @property
    def rows(self) -> int:
        """Rows this input contributed to the timeline."""
        return self._released[0] if self._released is not None else self.events.height

    @property
    def unparsed(self) -> int:
        if self._released is not None:
            return self._released[1]
        return int((self.events["kind"] == "unparsed").sum()) if self.events.height else 0

    @property
    def event_count(self) -> int:
        return self.rows - self.unparsed + self.routine_dropped
