"""Files that a kill at any moment cannot leave half-written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def write_atomically(path: Path, write: Callable[[Path], T]) -> T:
    """``write`` a temporary file beside ``path``, then rename it: a kill at any moment leaves
    either the old file or the new one, never a half-written one.  If ``write`` raises (a check
    of what it wrote, say), its temporary file is removed and ``path`` is left as it was.
    Returns what ``write`` returns."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        result = write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return result
