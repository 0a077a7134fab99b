"""Whether a file path stays inside the directories it is allowed in."""

import os
from collections.abc import Iterable


def is_within(path: str, directories: Iterable[str]) -> bool:
    """True when `path` (absolute), with `..` and symlinks resolved, lies inside a directory.

    Resolving first means `/allowed/../etc/passwd` and a symlink out of an allowed
    directory are both outside.
    """
    if not path or not os.path.isabs(path):
        return False
    real = os.path.realpath(path)
    for directory in directories:
        root = os.path.realpath(directory)
        if real != root and os.path.commonpath([real, root]) == root:
            return True
    return False
