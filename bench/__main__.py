"""Runs the benchmarks: `python -m bench [prefix]`.

Each module in this package declares `NAMES` (the figures it prints) and
`run(emit)`. A module runs when any of its names starts with the prefix;
`emit` prints only the figures that match, as `bench: <name> = <value> <unit>`.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(prefix: str) -> int:
    def emit(name: str, value: float, unit: str) -> None:
        if name.startswith(prefix):
            print(f"bench: {name} = {value:.4g} {unit}", flush=True)

    package_dir = Path(__file__).parent
    ran = 0
    for module_info in sorted(pkgutil.iter_modules([str(package_dir)]), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{module_info.name}")
        names = getattr(module, "NAMES", [])
        if any(name.startswith(prefix) for name in names):
            module.run(emit)
            ran += 1
    if not ran:
        print(f"no benchmark is named with the prefix '{prefix}'", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
