"""Archives and compressed inputs, read in memory (parsers/containers.py)."""

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
from pathlib import Path

import polars as pl
import pytest

from moltdiag.parsers import containers, journald_text, pasted, transcript
from moltdiag.parsers.base import InputError, InputFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "discord-reset-3106"
SESSIONS = SEED / "agents" / "main" / "sessions"
JOURNAL = (SEED / "journal.txt").read_bytes()
TRANSCRIPT_PATH = sorted(SESSIONS.glob("*.jsonl"))[0]
TRANSCRIPT = TRANSCRIPT_PATH.read_bytes()
PASTE = (FIXTURES / "excerpts" / "pasted" / "grep-n" / "grep-output.txt").read_bytes()
COLS = ["line", "kind", "ts", "wall", "code", "backoff_ms", "session_id", "text"]


def _members() -> dict[str, bytes]:
    return {
        "bundle/journal.txt": JOURNAL,
        f"bundle/agents/main/sessions/{TRANSCRIPT_PATH.name}": TRANSCRIPT,
        "bundle/paste/grep-output.txt": PASTE,
        "bundle/logs/old-journal.txt.gz": gzip.compress(JOURNAL),
        "../../escape/journal.txt": JOURNAL,  # a traversal name: only a label
    }


def _tar(path: Path, mode: str) -> Path:
    with tarfile.open(path, mode) as tar:
        folder = tarfile.TarInfo("bundle")  # a directory entry
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name, data in _members().items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1769540710
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bundle/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        hard = tarfile.TarInfo("bundle/journal-again.txt")
        hard.type, hard.linkname = tarfile.LNKTYPE, "bundle/journal.txt"
        tar.addfile(hard)
        fifo = tarfile.TarInfo("bundle/fifo")
        fifo.type = tarfile.FIFOTYPE
        tar.addfile(fifo)
        hidden = tarfile.TarInfo("bundle/.DS_Store")
        hidden.size = 3
        tar.addfile(hidden, io.BytesIO(b"abc"))
    return path


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bundle/", b"")
        for name, data in _members().items():
            zf.writestr(name, data)
        link = zipfile.ZipInfo("bundle/passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("__MACOSX/bundle/._journal.txt", b"\x00\x05\x16\x07")
    return path


def _by_name(files: list[InputFile], archive: Path) -> dict[str, bytes]:
    prefix = f"{archive}{containers.SEP}"
    assert all(f.name.startswith(prefix) for f in files), [f.name for f in files]
    return {f.name[len(prefix):]: f.data for f in files}


def _same(a, b) -> None:
    assert a.events.select(COLS).equals(b.events.select(COLS))


@pytest.mark.parametrize("suffix,mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"),
                                         (".tar.xz", "w:xz"), (".tar.bz2", "w:bz2")])
def test_tarballs(tmp_path, suffix, mode):
    archive = _tar(tmp_path / f"bundle{suffix}", mode)
    skipped: list[containers.SkippedMember] = []
    files = containers.expand(str(archive), skipped)
    got = _by_name(files, archive)
    assert sorted(got) == sorted(_members())
    assert got["bundle/logs/old-journal.txt.gz"] == JOURNAL  # nested compression, name kept
    assert got["../../escape/journal.txt"] == JOURNAL
    assert not (tmp_path / "escape").exists() and not (tmp_path.parent / "escape").exists()

    reasons = {s.source.split(containers.SEP, 1)[1]: s.reason for s in skipped}
    assert "symlink to '/etc/passwd'" in reasons["bundle/passwd"] and "not followed" in reasons["bundle/passwd"]
    assert "hard link" in reasons["bundle/journal-again.txt"]
    assert "not a regular file" in reasons["bundle/fifo"] and reasons["bundle/.DS_Store"] == "hidden file"
    assert "bundle" not in reasons  # directories are skipped silently

    member = next(f for f in files if f.name.endswith("!bundle/journal.txt"))
    assert member.mtime() == 1769540710.0  # the member's own time, not the archive's
    nested = next(f for f in files if f.name.endswith("old-journal.txt.gz"))
    assert nested.raw_size == len(gzip.compress(JOURNAL)) and nested.data == JOURNAL  # size as stored

    # members parse exactly like the files they came from
    _same(journald_text.parse(member), journald_text.parse(InputFile("journal.txt", JOURNAL)))
    t = next(f for f in files if f.name.endswith(TRANSCRIPT_PATH.name))
    _same(transcript.parse(t), transcript.parse(InputFile(TRANSCRIPT_PATH.name, TRANSCRIPT)))
    p = next(f for f in files if f.name.endswith("grep-output.txt"))
    _same(pasted.parse(p), pasted.parse(InputFile("grep-output.txt", PASTE)))
    assert journald_text.parse(member).source == f"{archive}!bundle/journal.txt"


def test_zip(tmp_path):
    archive = _zip(tmp_path / "bundle.zip")
    skipped: list[containers.SkippedMember] = []
    files = containers.expand(str(archive), skipped)
    got = _by_name(files, archive)
    assert sorted(got) == sorted(_members())
    assert got["bundle/logs/old-journal.txt.gz"] == JOURNAL
    reasons = {s.source.split(containers.SEP, 1)[1]: s.reason for s in skipped}
    assert "symlink" in reasons["bundle/passwd"] and "not followed" in reasons["bundle/passwd"]
    assert reasons["__MACOSX/bundle/._journal.txt"] == "hidden file"
    member = next(f for f in files if f.name.endswith("!bundle/journal.txt"))
    _same(journald_text.parse(member), journald_text.parse(InputFile("journal.txt", JOURNAL)))
    assert member.mtime() is not None


def test_archive_inside_an_archive(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("logs/journal.txt", JOURNAL)
    outer = tmp_path / "outer.tar.gz"
    with tarfile.open(outer, "w:gz") as tar:
        info = tarfile.TarInfo("inner.zip")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    files = containers.expand(str(outer))
    assert [f.name for f in files] == [f"{outer}!inner.zip!logs/journal.txt"]
    assert files[0].data == JOURNAL


@pytest.mark.parametrize("suffix,compress", [(".gz", gzip.compress), (".xz", lzma.compress), (".bz2", bz2.compress)])
def test_single_compressed_files(tmp_path, suffix, compress):
    path = tmp_path / f"journal.txt{suffix}"
    path.write_bytes(compress(JOURNAL))
    files = containers.expand(str(path))
    assert len(files) == 1 and files[0].name == str(path) and files[0].data == JOURNAL
    assert files[0].path == path and files[0].raw_size == path.stat().st_size
    assert files[0].sha256() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_gz_holding_a_tarball_is_opened(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("journal.txt")
        info.size = len(JOURNAL)
        tar.addfile(info, io.BytesIO(JOURNAL))
    path = tmp_path / "logs.gz"
    path.write_bytes(gzip.compress(raw.getvalue()))
    assert [f.name for f in containers.expand(str(path))] == [f"{path}!journal.txt"]


def test_plain_file_passes_through(tmp_path):
    path = tmp_path / "journal.txt"
    path.write_bytes(JOURNAL)
    files = containers.expand(str(path))
    assert len(files) == 1 and files[0].name == str(path) and files[0].data == JOURNAL
    assert not containers.is_container(str(path)) and containers.is_container("x.tar.zst")


def test_stdin_archive(monkeypatch, tmp_path):
    archive = _tar(tmp_path / "bundle.tar.gz", "w:gz")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(archive.read_bytes())))
    files = containers.expand("-")
    assert {f.name for f in files} >= {"<stdin>!bundle/journal.txt"}


def test_corrupt_and_mislabelled(tmp_path):
    bad = tmp_path / "journal.txt.gz"
    bad.write_bytes(b"\x1f\x8b" + b"not gzip at all")
    with pytest.raises(InputError, match=r"journal\.txt\.gz: cannot decompress \.gz data"):
        containers.expand(str(bad))
    plain = tmp_path / "notes.gz"
    plain.write_bytes(b"plain text")
    with pytest.raises(InputError, match="not .gz compressed"):
        containers.expand(str(plain))
    broken = tmp_path / "bundle.zip"
    broken.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InputError, match="not a readable zip archive"):
        containers.expand(str(broken))
    with pytest.raises(InputError, match="cannot read"):
        containers.expand(str(tmp_path / "missing.tar.gz"))


def test_member_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(containers, "MAX_MEMBER_BYTES", 1000)
    archive = _tar(tmp_path / "bundle.tar", "w")
    with pytest.raises(InputError, match=r"bundle\.tar!bundle/journal\.txt: 2\.4 KiB .*over the 1000 bytes limit"):
        containers.expand(str(archive))
    gz = tmp_path / "big.log.gz"
    gz.write_bytes(gzip.compress(b"x\n" * 2500))  # a small file that inflates past the cap
    # a single compressed file streams: line by line it is harmless, read whole it is refused
    (inp,) = containers.expand(str(gz))
    assert sum(len(piece) for piece in inp.line_chunks(size=512)) == 5000
    with pytest.raises(InputError, match=r"big\.log\.gz: .*over the 1000 bytes limit"):
        inp.data


def _have_zstd() -> bool:
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return False
    return True


def test_zst_without_the_module_gives_a_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import fails, installed or not
    path = tmp_path / "journal.txt.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 16)
    with pytest.raises(InputError, match=r"journal\.txt\.zst: zstd data needs the optional 'zstandard' package"):
        containers.expand(str(path))
    tzst = tmp_path / "bundle.tar.zst"
    tzst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 16)
    with pytest.raises(InputError, match="pip install zstandard"):
        containers.expand(str(tzst))


def test_zst_roundtrip(tmp_path):
    if not _have_zstd():
        pytest.skip("the optional 'zstandard' module is not installed here: .zst / .tar.zst reading is untested "
                    "(pip install zstandard to run this test)")
    import zstandard

    single = tmp_path / "journal.txt.zst"
    single.write_bytes(zstandard.ZstdCompressor().compress(JOURNAL))
    files = containers.expand(str(single))
    assert len(files) == 1 and files[0].data == JOURNAL

    raw = tmp_path / "bundle.tar"
    _tar(raw, "w")
    tzst = tmp_path / "bundle.tar.zst"
    tzst.write_bytes(zstandard.ZstdCompressor().compress(raw.read_bytes()))
    got = _by_name(containers.expand(str(tzst)), tzst)
    assert sorted(got) == sorted(_members()) and got["bundle/journal.txt"] == JOURNAL
    # streamed zstd frames (no content size in the header) read too
    streamed = tmp_path / "streamed.log.zst"
    buf = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(buf, closefd=False) as w:
        w.write(JOURNAL)
    streamed.write_bytes(buf.getvalue())
    assert containers.expand(str(streamed))[0].data == JOURNAL


def test_sniffers_see_the_member_name(tmp_path):
    archive = _tar(tmp_path / "bundle.tar.gz", "w:gz")
    files = {f.name.split("!", 1)[1]: f for f in containers.expand(str(archive))}
    member = files[f"bundle/agents/main/sessions/{TRANSCRIPT_PATH.name}"]
    assert transcript.sniff(Path(member.name), member.head) > 0.5
    j = files["bundle/journal.txt"]
    assert journald_text.sniff(Path(j.name), j.head) > pasted.sniff(Path(j.name), j.head)
    assert pl.DataFrame({"x": [1]}).height == 1
