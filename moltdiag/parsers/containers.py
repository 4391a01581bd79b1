"""Archives and compressed files as inputs: `.zip`, tarballs (plain, gz, xz, bz2, zst) and single
compressed files (`.gz`, `.xz`, `.bz2`, `.zst`), read in memory.

`expand(path)` turns one path into the InputFiles inside it. Members are named
`archive.tar.gz!path/inside.log`; a compressed member (`x.log.gz` in a tarball) is decompressed
and keeps its name; an archive inside an archive is opened too (`outer.zip!inner.tar!x.log`,
at most `MAX_DEPTH` deep). Nothing is written to disk and member names are only labels, so
`../../etc/passwd` inside an archive is harmless. Links are never followed: symlink and hardlink
members are skipped and reported, like devices, FIFOs and hidden files (`.DS_Store`,
`__MACOSX/…`); directories are skipped silently. A member larger than `MAX_MEMBER_BYTES`
(4 GiB, also the cap on any decompressed stream) is an InputError naming it.

zstd needs the optional `zstandard` module; without it a `.zst` input is an InputError with
a one-line hint. A path that is not a container comes back as one InputFile, unchanged.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import stat
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from moltdiag.parsers.base import DiskFile, InputError, InputFile

SEP = "!"
MAX_MEMBER_BYTES = 4 << 30
MAX_DEPTH = 3
COMPRESSION_SUFFIXES = (".gz", ".xz", ".bz2", ".zst")
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".txz", ".tbz", ".tbz2", ".tzst",
                    ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst")
ZSTD_HINT = "zstd data needs the optional 'zstandard' package (pip install zstandard); or decompress with `zstd -d` first"

_MAGIC = (
    (b"\x1f\x8b", ".gz"),
    (b"\xfd7zXZ\x00", ".xz"),
    (b"BZh", ".bz2"),
    (b"\x28\xb5\x2f\xfd", ".zst"),
    (b"PK\x03\x04", ".zip"),
    (b"PK\x05\x06", ".zip"),  # empty zip
)
_CHUNK = 1 << 20


@dataclass
class SkippedMember:
    """A member that was not read, and why (same fields as parsers.Skipped)."""

    source: str
    reason: str


@dataclass
class MemberFile(InputFile):
    """An InputFile from inside an archive: `mtime()` is the member's own time when the archive has one."""

    member_mtime: float | None = None

    def mtime(self) -> float | None:
        return self.member_mtime if self.member_mtime is not None else super().mtime()


def _suffix(name: str) -> str:
    """The container suffix of a name (`.tar.gz`, `.zip`, `.gz` …), or ''."""
    lower = name.lower()
    for suffix in sorted((*ARCHIVE_SUFFIXES, *COMPRESSION_SUFFIXES), key=len, reverse=True):
        if lower.endswith(suffix):
            return suffix
    return ""


def is_container(path: str) -> bool:
    """True when the name says archive or compressed file (contents are not looked at)."""
    return bool(_suffix(Path(path).name))


def _sniff_magic(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if len(data) > 262 and data[257:262] == b"ustar":
        return ".tar"
    return ""


def human_size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _too_big(name: str, size: int) -> InputError:
    return InputError(
        f"{name}: {human_size(size)} (at least) is over the {human_size(MAX_MEMBER_BYTES)} limit moltdiag reads into "
        "memory per file; extract it and pass smaller pieces"
    )


def _read_capped(stream: BinaryIO, name: str) -> bytes:
    """Read a (decompressing) stream to the end, refusing more than MAX_MEMBER_BYTES."""
    buf = io.BytesIO()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return buf.getvalue()
        buf.write(chunk)
        if buf.tell() > MAX_MEMBER_BYTES:
            raise _too_big(name, buf.tell())


def _zstd_reader(raw: BinaryIO, name: str) -> BinaryIO:
    try:
        import zstandard
    except ImportError:
        raise InputError(f"{name}: {ZSTD_HINT}") from None
    return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)


def _opener(kind: str, name: str) -> Callable[[BinaryIO], BinaryIO]:
    if kind == ".gz":
        return lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == ".xz":
        return lambda raw: lzma.LZMAFile(raw, mode="rb")
    if kind == ".bz2":
        return lambda raw: bz2.BZ2File(raw, mode="rb")
    if kind == ".zst":
        return lambda raw: _zstd_reader(raw, name)
    raise ValueError(kind)


def _decompress(data: bytes, kind: str, name: str) -> bytes:
    try:
        with _opener(kind, name)(io.BytesIO(data)) as stream:
            return _read_capped(stream, name)
    except InputError:
        raise
    except Exception as exc:  # corrupt streams raise OSError, EOFError, LZMAError, ZstdError …
        raise InputError(f"{name}: cannot decompress {kind} data: {exc}") from None


def _raw(data: bytes) -> dict:
    return {"raw_size": len(data), "raw_sha256": hashlib.sha256(data).hexdigest()}


def _tar_kind(name: str) -> str:
    """The compression of a tarball from its name: '' (plain), .gz, .xz, .bz2 or .zst."""
    suffix = _suffix(name)
    return {".tgz": ".gz", ".txz": ".xz", ".tbz": ".bz2", ".tbz2": ".bz2", ".tzst": ".zst",
            ".tar.gz": ".gz", ".tar.xz": ".xz", ".tar.bz2": ".bz2", ".tar.zst": ".zst"}.get(suffix, "")


def _hidden(member: str) -> bool:
    parts = [p for p in member.replace("\\", "/").split("/") if p not in ("", ".")]
    return any(p.startswith(".") and p != ".." for p in parts) or "__MACOSX" in parts


def _label(member: str) -> str:
    return member[2:] if member.startswith("./") else member


class _Walker:
    def __init__(self, path: Path | None, skipped: list[SkippedMember] | None):
        self.path = path
        self.skipped = skipped
        self.out: list[InputFile] = []

    def skip(self, name: str, reason: str) -> None:
        if self.skipped is not None:
            self.skipped.append(SkippedMember(name, reason))

    def add(self, name: str, data: bytes, mtime: float | None, depth: int) -> None:
        """A member's bytes: open a nested archive (by its name), decompress (by its bytes), or keep."""
        base = Path(name.rsplit(SEP, 1)[-1]).name
        kind, magic = _suffix(base), _sniff_magic(data)
        raw = _raw(data)  # the member as stored, for the report manifest
        nest = depth < MAX_DEPTH
        if nest and kind == ".zip":
            return self.zip(name, data, depth + 1)
        if nest and kind == ".tar":
            return self.tar(name, io.BytesIO(data), depth + 1)
        if nest and _tar_kind(base):
            return self.tar(name, io.BytesIO(_decompress(data, magic or _tar_kind(base), name)), depth + 1)
        if magic in COMPRESSION_SUFFIXES:
            data = _decompress(data, magic, name)
            if nest and _sniff_magic(data) == ".tar":  # logs.gz that holds a tarball
                return self.tar(name, io.BytesIO(data), depth + 1)
        self.out.append(MemberFile(name=name, data=data, path=self.path, member_mtime=mtime, **raw))

    def tar(self, name: str, fileobj: BinaryIO, depth: int) -> None:
        try:
            with tarfile.open(fileobj=fileobj, mode="r:") as archive:
                for member in archive:
                    self.tar_member(name, archive, member, depth)
        except tarfile.TarError as exc:
            raise InputError(f"{name}: not a readable tar archive: {exc}") from None

    def tar_member(self, name: str, archive: tarfile.TarFile, member: tarfile.TarInfo, depth: int) -> None:
        label = f"{name}{SEP}{_label(member.name)}"
        if member.isdir():
            return
        if member.issym() or member.islnk():
            kind = "symlink" if member.issym() else "hard link"
            return self.skip(label, f"{kind} to {member.linkname!r} inside the archive: links are not followed")
        if not member.isfile():
            return self.skip(label, "not a regular file (device, FIFO …)")
        if _hidden(member.name):
            return self.skip(label, "hidden file")
        if member.size > MAX_MEMBER_BYTES:
            raise _too_big(label, member.size)
        stream = archive.extractfile(member)
        data = stream.read() if stream is not None else b""
        self.add(label, data, float(member.mtime) if member.mtime else None, depth)

    def zip(self, name: str, data: bytes | None, depth: int, fileobj: BinaryIO | None = None) -> None:
        try:
            archive = zipfile.ZipFile(fileobj if fileobj is not None else io.BytesIO(data))
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{name}: not a readable zip archive: {exc}") from None
        with archive:
            for info in archive.infolist():
                label = f"{name}{SEP}{_label(info.filename)}"
                mode = info.external_attr >> 16
                if info.is_dir():
                    continue
                if stat.S_ISLNK(mode):
                    self.skip(label, "symlink inside the archive: links are not followed")
                    continue
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # zip tools often store permissions only
                    self.skip(label, "not a regular file (device, FIFO …)")
                    continue
                if _hidden(info.filename):
                    self.skip(label, "hidden file")
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise _too_big(label, info.file_size)
                try:
                    with archive.open(info) as stream:
                        member = _read_capped(stream, label)
                except InputError:
                    raise
                except Exception as exc:  # bad CRC, encrypted, unsupported method
                    raise InputError(f"{label}: cannot read zip member: {exc}") from None
                mtime = None
                try:
                    import datetime as _dt

                    mtime = _dt.datetime(*info.date_time).timestamp()
                except (ValueError, OverflowError):
                    pass
                self.add(label, member, mtime, depth)


def expand_bytes(name: str, data: bytes, *, path: Path | None = None,
                 skipped: list[SkippedMember] | None = None) -> list[InputFile]:
    """Like `expand`, for bytes already in memory (stdin); the kind is taken from the name or the bytes."""
    walker = _Walker(path, skipped)
    suffix, magic = _suffix(Path(name).name), _sniff_magic(data)
    if suffix == ".zip" or magic == ".zip":
        walker.zip(name, data, 1)
    elif suffix == ".tar" or (magic == ".tar" and suffix == ""):
        walker.tar(name, io.BytesIO(data), 1)
    elif _tar_kind(name):
        walker.tar(name, io.BytesIO(_decompress(data, magic or _tar_kind(name), name)), 1)
    elif suffix == ".zst" and magic != ".zst":
        raise InputError(f"{name}: named .zst but not zstd data")
    elif magic in COMPRESSION_SUFFIXES:
        inner = _decompress(data, magic, name)
        if _sniff_magic(inner) == ".tar":
            walker.tar(name, io.BytesIO(inner), 1)
        else:
            walker.out.append(InputFile(name=name, data=inner, path=path, **_raw(data)))
    elif suffix in COMPRESSION_SUFFIXES:
        raise InputError(f"{name}: named {suffix} but the data is not {suffix} compressed")
    else:
        walker.out.append(InputFile(name=name, data=data, path=path, **_raw(data)))
    return walker.out


def _streamed(path: str, p: Path) -> DiskFile | None:
    """A plain file, or one compressed file (`x.log.gz`) that is not a tarball, as a DiskFile
    read on demand; None for what needs the archive walk (or its error messages)."""
    try:
        with p.open("rb") as fh:
            magic = _sniff_magic(fh.read(512))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    suffix = _suffix(p.name)
    if not suffix and not magic:
        return DiskFile(path, p, max_whole=MAX_MEMBER_BYTES, too_big=_too_big)
    if magic in (".gz", ".bz2", ".xz") and suffix in ("", magic) and not _tar_kind(path):
        inp = DiskFile(path, p, compression=magic, max_whole=MAX_MEMBER_BYTES, too_big=_too_big)
        try:
            inner = inp.head
        except InputError:
            return None  # the in-memory path reports it
        if _sniff_magic(inner) != ".tar":
            return inp
    return None


def expand(path: str, skipped: list[SkippedMember] | None = None) -> list[InputFile]:
    """The inputs inside one path (or stdin `-`): an archive's members, a compressed file's
    content, or the file itself. Members not read are appended to `skipped` when given."""
    if path == "-":
        return expand_bytes("<stdin>", sys.stdin.buffer.read(), skipped=skipped)
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    streamed = _streamed(path, p)
    if streamed is not None:
        return [streamed]
    if not is_container(path) and size > MAX_MEMBER_BYTES:
        raise _too_big(path, size)
    if _suffix(p.name) in (".zip",):
        walker = _Walker(p, skipped)
        try:
            with p.open("rb") as fh:
                walker.zip(path, None, 1, fileobj=fh)
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        return walker.out
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return expand_bytes(path, data, path=p, skipped=skipped)
