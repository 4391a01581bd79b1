"""A worker process that parses a share of the files found in directories (see load_inputs).

Started as `python -m moltdiag.parsers.worker`, not through multiprocessing: spawn and
forkserver re-import the caller's main module, which a script without an
`if __name__ == "__main__"` guard does not survive, and fork is unsafe in a process that runs
Polars' threads. The parent writes a pickled (entries, low_memory) to stdin and reads back one
pickled list per entry: ParsedSources and Skipped, in order.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path


class Job:
    """One running worker; `result()` waits for it (None if it failed)."""

    def __init__(self, proc: subprocess.Popen, payload: bytes):
        self.proc = proc
        self._out: bytes | None = None
        # write and read in threads: neither side may block the other on a full pipe
        self._writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    def _write(self, payload: bytes) -> None:
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.close()
        except OSError:
            pass

    def _read(self) -> None:
        self._out = self.proc.stdout.read()

    def result(self) -> list | None:
        self._writer.join()
        self._reader.join()
        if self.proc.wait() != 0 or not self._out:
            return None
        try:
            out, heights, frame = pickle.loads(self._out)
        except Exception:  # a truncated or foreign stream: the caller parses the files itself
            return None
        import io

        import polars as pl

        events = pl.read_ipc(io.BytesIO(frame))
        self._out = frame = None
        offset = 0
        from moltdiag.parsers.base import ParsedSource

        sources = (item for items in out for item in items if isinstance(item, ParsedSource))
        for item, height in zip(sources, heights):
            item.events = events.slice(offset, height)  # slices share the one frame
            offset += height
        return out


def start(entries: list[tuple[str, bool]], low_memory: bool) -> Job:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["MOLTDIAG_WORKERS"] = "1"  # a worker never starts workers
    proc = subprocess.Popen([sys.executable, "-m", "moltdiag.parsers.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    return Job(proc, pickle.dumps((entries, low_memory), protocol=pickle.HIGHEST_PROTOCOL))


def _serve() -> int:
    from moltdiag.parsers import ParsedSource, _load_one, parser_modules

    import io

    import polars as pl

    from moltdiag import schema

    entries, low_memory = pickle.loads(sys.stdin.buffer.read())
    modules = parser_modules()
    full = pl.Schema(schema.FULL_SCHEMA)
    out, frames, heights = [], [], []
    for path, explicit in entries:
        items = _load_one(path, explicit, low_memory, modules)
        for item in items:
            if not isinstance(item, ParsedSource):
                continue
            # an in-memory input's digest method would carry its bytes back: compute it here
            if item.sha256 is None and item.digest_of is not None and getattr(item.digest_of, "func", None) is None:
                item.sha256, item.digest_of = item.digest_of(), None
            # thousands of small frames pickle slowly one by one: they travel as one Arrow IPC
            # stream and are sliced apart again in the parent
            events = item.events
            frames.append(events if events.schema == full else schema.conform(events))
            heights.append(events.height)
            item.events = None  # an empty frame each would cost more to pickle than the rows
        out.append(items)
    combined = pl.concat(frames, how="vertical", rechunk=False) if frames else schema.empty_frame()
    buf = io.BytesIO()
    combined.write_ipc(buf, compression="uncompressed")
    sys.stdout.buffer.write(pickle.dumps((out, heights, buf.getvalue()), protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
