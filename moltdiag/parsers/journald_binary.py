"""Binary systemd journal files (`*.journal`, `*.journal~`, `/var/log/journal/<machine-id>/…`).

The on-disk journal format is not parsed here: the real `journalctl --file <path> -o json
--all --no-pager` reads it (it opens the file read-only and never writes to it) and its output
goes through the `-o json` parser (`journald_json.parse`), so a binary journal gives exactly
the events its `-o json` text would. `--all` keeps fields over 4096 bytes, which `-o json`
otherwise prints as `null`.

- Sniff: the journal header magic `LPKSHHRH` at offset 0 → 0.99; a `.journal` / `.journal~`
  name without the magic (a damaged file) → 0.5, so `parse` can say what is wrong with it.
- An input without an on-disk file holding exactly its bytes (stdin, a decompressed
  `.journal.gz`, an archive member) is written to a private temporary file that is removed
  before `parse` returns.
- No `journalctl` → `InputError("<name>: reading binary journals needs journalctl (Debian
  package systemd)")`. A file journalctl cannot open → `InputError` with its message. When
  journalctl stops early on a damaged file but printed entries, those are kept and a note
  says so.

Rows keep `source` = the journal file as given, `line` = the entry's position (1-based) in
journalctl's output, `format` = `journald-binary`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import polars as pl

from moltdiag.parsers import journald_json
from moltdiag.parsers.base import InputError, InputFile, ParsedSource

FORMAT = "journald-binary"
MAGIC = b"LPKSHHRH"
NAME_SUFFIXES = (".journal", ".journal~")
TIMEOUT_S = 600
NO_JOURNALCTL = "reading binary journals needs journalctl (Debian package systemd)"


def journalctl_path() -> str | None:
    """The journalctl binary moltdiag would run, or None."""
    return shutil.which("journalctl") or next(
        (p for p in ("/usr/bin/journalctl", "/bin/journalctl") if os.access(p, os.X_OK)), None)


def sniff(path: Path, head: bytes) -> float:
    if head.startswith(MAGIC):
        return 0.99
    name = path.name.lower()
    if name.endswith(NAME_SUFFIXES) and (not head or b"\x00" in head[:4096]):
        return 0.5  # named like a journal, binary, but no magic: parse() explains
    return 0.0


def _usable_path(source: InputFile) -> Path | None:
    return source.disk_path()


def _first_line(text: bytes) -> str:
    for line in text.decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return line.strip()
    return ""


def run_journalctl(path: Path, name: str, *, journalctl: str | None = None) -> tuple[bytes, str | None]:
    """`journalctl --file PATH -o json --all --no-pager` → (stdout, warning or None)."""
    exe = journalctl or journalctl_path()
    if exe is None:
        raise InputError(f"{name}: {NO_JOURNALCTL}")
    argv = [exe, "--file", str(path), "-o", "json", "--all", "--no-pager"]
    env = {**os.environ, "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", "LC_ALL": "C.UTF-8"}
    try:
        done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, check=False, env=env,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise InputError(f"{name}: {NO_JOURNALCTL}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{name}: journalctl took longer than {TIMEOUT_S} s reading this journal") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot run journalctl: {exc.strerror or exc}") from None
    why = _first_line(done.stderr)
    if done.returncode != 0:
        if not done.stdout.strip():
            why = why or f"exit status {done.returncode}"
            raise InputError(f"{name}: journalctl cannot read this journal file: {why}")
        return done.stdout, f"journalctl stopped early (exit status {done.returncode}: {why or 'no message'}); " \
                            "the entries it printed are kept"
    return done.stdout, None


def parse(source: InputFile) -> ParsedSource:
    if not source.data.startswith(MAGIC):
        raise InputError(f"{source.name}: named like a systemd journal but has no journal header "
                         "(magic LPKSHHRH); damaged or not a journal file")
    exe = journalctl_path()
    if exe is None:
        raise InputError(f"{source.name}: {NO_JOURNALCTL}")
    notes: list[str] = []
    path = _usable_path(source)
    tmp: str | None = None
    try:
        if path is None:
            tmp = tempfile.mkdtemp(prefix="moltdiag-journal-")
            path = Path(tmp) / "input.journal"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(source.data)
            notes.append("no on-disk path for this journal: read from a private temporary copy")
        out_json, warning = run_journalctl(path, source.name, journalctl=exe)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if warning:
        notes.append(warning)
    parsed = journald_json.parse(InputFile(name=source.name, data=out_json, path=None))
    events = parsed.events.with_columns(format=pl.lit(FORMAT))
    notes.append(f"read with {Path(exe).name} --file … -o json ({parsed.lines} entries)")
    return ParsedSource(source=source.name, format=FORMAT, events=events, lines=parsed.lines,
                        notes=notes + parsed.notes, mtime=source.mtime())
