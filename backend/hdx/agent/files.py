"""Secret files of the agent: written whole or not at all, readable by the agent's user only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) and restrict it to the owner, also when it already existed."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomic: a crash leaves either the old content or the new, never a torn file. The temporary
    file is created 0600, so the secret is never readable by others, not even for a moment."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    # The rename itself must survive a power cut, or the old file comes back.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o777
