"""HDX: the Health Data Exchange service, its party agent and the protocols they share."""

import ctypes
import os
import sys

# Memory allocators, set before anything allocates much. Measured on an upload of 1,000,000 rows
# (bench/RESULTS.md), each lowers the server's peak memory by 10-25 MiB with no measurable slowdown;
# an operator's own arena setting is kept.
# - Polars allocates with jemalloc, which by default gives threads separate arenas (four per core)
#   that each keep the memory freed in them. Polars adds its own options to this variable when it is
#   first imported (after this, or in a parent process that passed them on).
_JEMALLOC = os.environ.get("_RJEM_MALLOC_CONF", "")
if "narenas:" not in _JEMALLOC:
    os.environ["_RJEM_MALLOC_CONF"] = ",".join(filter(None, [_JEMALLOC, "narenas:1"]))
# - Python's objects come from glibc's malloc, which gives each new thread an arena of its own
#   (up to eight per core): one arena (M_ARENA_MAX) lets the worker threads reuse each other's memory.
_M_ARENA_MAX = -8  # from glibc's malloc.h
if sys.platform == "linux" and "MALLOC_ARENA_MAX" not in os.environ:
    try:
        if os.confstr("CS_GNU_LIBC_VERSION"):
            ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)
    except (ValueError, OSError, AttributeError):
        pass

__version__ = "0.1.0"
