"""Fail when a module under apps/ or cli/ passes 500 lines or a function passes 50.

Small modules with one job, and functions a reader takes in at once, are house
rules; this keeps them from eroding one line at a time. An exception is named
below with the reason it stands.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_MAX = 500
FUNCTION_MAX = 50
ROOT = Path(__file__).resolve().parents[2]
# "path" or "path:function" -> why it may be longer.
EXCEPTIONS: dict[str, str] = {}


def _function_lengths(tree: ast.AST) -> list[tuple[str, int, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append((node.name, start, (node.end_lineno or node.lineno) - start + 1))
    return found


def problems() -> list[str]:
    found = []
    paths = [*(ROOT / "apps").rglob("*.py"), *(ROOT / "cli").rglob("*.py")]
    for path in sorted(paths):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative:
            continue
        text = path.read_text()
        lines = text.count("\n") + 1
        if lines > MODULE_MAX and relative not in EXCEPTIONS:
            found.append(f"{relative}: {lines} lines (at most {MODULE_MAX}); split it by job")
        for name, start, length in _function_lengths(ast.parse(text)):
            key = f"{relative}:{name}"
            if length > FUNCTION_MAX and key not in EXCEPTIONS:
                found.append(
                    f"{relative}:{start}: {name}() is {length} lines (at most {FUNCTION_MAX})"
                )
    return found


if __name__ == "__main__":
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    sys.exit(1 if found else 0)
