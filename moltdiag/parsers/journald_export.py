"""journalctl `-o export`: the journal's own serialisation.

Records are `FIELD=value` lines separated by an empty line. A field whose value is not
plain text (control characters such as colour codes, newlines, invalid UTF-8) is written
as `FIELD\\n`, a 64-bit little-endian length, the raw bytes, and `\\n`. Field mapping as in
`-o json` (`journald_json.journal_fields_frame`). One Python pass over the records; the
classification afterwards is vectorised.

`line` is the 1-based physical line where a record starts; `lines` counts records.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from moltdiag.parsers.base import InputError, InputFile, ParsedSource
from moltdiag.parsers.journald_json import FIELDS, journal_fields_frame

FORMAT = "journald-export"

_FIELD_NAME = re.compile(rb"^[A-Z_][A-Z0-9_]*$")
_WANTED = {name.encode(): col for name, col in FIELDS.items()}


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace").removesuffix("\r")


def parse(source: InputFile) -> ParsedSource:
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    rows: dict[str, list] = {"line": [], **{c: [] for c in FIELDS.values()}, "kind": []}
    notes: list[str] = []
    n = len(data)
    pos = 0
    line_no = 1  # physical line at pos
    records = 0
    bad_lines = 0
    truncated = False
    fields = 0

    record: dict[str, str] = {}
    record_line = 0
    garbage: list[str] = []

    rec_fields = 0  # fields in the current record (wanted or not)

    def flush() -> None:
        nonlocal records
        if rec_fields:
            records += 1
            rows["line"].append(record_line)
            for col in FIELDS.values():
                rows[col].append(record.get(col))
            rows["kind"].append(None)
        elif garbage:
            records += 1
            rows["line"].append(record_line)
            for col in FIELDS.values():
                rows[col].append("\n".join(garbage) if col == "text" else None)
            rows["kind"].append("unparsed")

    while pos < n:
        end = data.find(b"\n", pos)
        if end < 0:
            end = n
        raw = data[pos:end]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:  # record separator
            flush()
            record, garbage, rec_fields = {}, [], 0
            pos, line_no = end + 1, line_no + 1
            continue
        if not rec_fields and not garbage:
            record_line = line_no
        eq = raw.find(b"=")
        name = raw[:eq] if eq > 0 else raw
        if eq > 0 and _FIELD_NAME.match(name):
            col = _WANTED.get(name)
            if col is not None and col not in record:
                record[col] = _text(raw[eq + 1:])
            fields += 1
            rec_fields += 1
            pos, line_no = end + 1, line_no + 1
            continue
        if eq < 0 and _FIELD_NAME.match(raw):
            # binary field: NAME\n <u64 LE length> <bytes> \n
            start = end + 1
            if start + 8 > n:
                truncated = True
                break
            (size,) = struct.unpack_from("<Q", data, start)
            stop = start + 8 + size
            if stop > n:
                truncated = True
                break
            if stop == n or data[stop:stop + 1] == b"\n":
                fields += 1
                rec_fields += 1
                col = _WANTED.get(raw)
                if col is not None and col not in record:
                    record[col] = _text(data[start + 8:stop])
                line_no += 1 + data.count(b"\n", start, stop) + (stop < n)
                pos = stop + 1
                continue
        # neither `FIELD=value` nor a binary field header
        bad_lines += 1
        garbage.append(_text(raw))
        pos, line_no = end + 1, line_no + 1
    flush()

    if not fields and bad_lines:
        raise InputError(f"{source.name}: not a journal export (no FIELD=value records)")
    if truncated:
        notes.append("the export ends inside a binary field (file cut)")
    if bad_lines:
        notes.append(f"{bad_lines} line(s) were not FIELD=value pairs and were ignored or kept as unparsed")
    events = journal_fields_frame(rows, source=source.name, fmt=FORMAT)
    return ParsedSource(source=source.name, format=FORMAT, events=events, lines=records, notes=notes,
                        mtime=source.mtime())


def sniff(path: Path, head: bytes) -> float:
    if not head:
        return 0.0
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first = head[:4096]
    if first.startswith((b"__CURSOR=", b"__REALTIME_TIMESTAMP=")) or b"\n__REALTIME_TIMESTAMP=" in first \
            or b"\n__CURSOR=" in first:
        return 0.95
    lines = [line for line in first.split(b"\n")[:40] if line.strip()]
    if not lines:
        return 0.0
    pairs = sum(1 for line in lines if _FIELD_NAME.match(line.split(b"=", 1)[0]) and b"=" in line)
    if pairs * 2 >= len(lines) and any(line.startswith(b"MESSAGE=") for line in lines) \
            and any(line.startswith((b"_PID=", b"_HOSTNAME=", b"SYSLOG_IDENTIFIER=", b"PRIORITY=")) for line in lines):
        return 0.7
    return 0.0
