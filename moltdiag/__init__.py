"""moltdiag: forensic timelines for OpenClaw (ex-Clawdbot, ex-Moltbot) gateway incidents."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# Polars' allocator (jemalloc) keeps freed pages for ~10 s by default, so a parse that frees
# its pieces as it goes still shows the memory of all of them: returned at once, the peak RSS
# of a 1.2 GB journal drops by about a third at no measurable cost in time. Read once, when
# polars loads; a value the user set wins.
if "polars" not in _sys.modules:
    _os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
