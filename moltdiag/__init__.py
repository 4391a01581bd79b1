"""moltdiag: forensic timelines for OpenClaw (ex-Clawdbot, ex-Moltbot) gateway incidents."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# Polars' allocator (jemalloc) keeps freed pages for a while, so a parse that frees its pieces
# as it goes would still show the memory of all of them. Returned at once, the peak RSS of a
# 1.2 GB journal is 1.6x the file instead of 1.75x, for about a third more time (set
# `_RJEM_MALLOC_CONF=dirty_decay_ms:100` for that trade). Read once, when polars loads. A value
# the user set wins; the one polars itself writes on import (inherited by any process started
# from a Python that imported polars) does not count as the user's.
_POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"
if "polars" not in _sys.modules:
    _set = _os.environ.get("_RJEM_MALLOC_CONF", "").replace(_POLARS_DEFAULT, "").strip(",")
    if not _set:
        _os.environ["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:0,muzzy_decay_ms:0"
