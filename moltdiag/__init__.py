"""moltdiag: forensic timelines for OpenClaw (ex-Clawdbot, ex-Moltbot) gateway incidents."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# Polars' allocator (jemalloc) keeps freed pages for a while (polars asks for 0.5 s dirty, 1 s
# muzzy), so a parse that frees its pieces as it goes still shows the memory of several. At
# 0.1 s the peak of a 1.2 GB journal is 0.5 GB lower at no measurable cost; at 0 (what
# --low-memory uses) it is 0.2 GB lower again but parsing is a third slower (JSON: half).
# Read once, when polars loads. A value the user set wins; the one polars itself writes on
# import (inherited by any process a polars-importing Python starts) is not the user's.
ALLOCATOR_DEFAULT = "dirty_decay_ms:100,muzzy_decay_ms:0"
ALLOCATOR_LOW_MEMORY = "dirty_decay_ms:0,muzzy_decay_ms:0"
_POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"


def _allocator(setting: str) -> None:
    """Use `setting` unless polars is loaded already or the user chose their own."""
    if "polars" in _sys.modules:
        return
    current = _os.environ.get("_RJEM_MALLOC_CONF", "").replace(_POLARS_DEFAULT, "").strip(",")
    if current in ("", ALLOCATOR_DEFAULT, ALLOCATOR_LOW_MEMORY):
        _os.environ["_RJEM_MALLOC_CONF"] = setting


_allocator(ALLOCATOR_DEFAULT)
