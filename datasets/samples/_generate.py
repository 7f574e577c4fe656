"""Regenerate the bundled sample catalog (deterministic: same bytes on every run).

.venv/bin/python datasets/samples/_generate.py            # rewrite datasets/samples
.venv/bin/python datasets/samples/_generate.py --out DIR  # write elsewhere (tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _generator.catalog import build_all
from _generator.orgs import ORGANIZATIONS
from _generator.writer import remove_stale, write_organizations, write_package

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="target folder")
    args = parser.parse_args(argv)
    root: Path = args.out
    root.mkdir(parents=True, exist_ok=True)
    packages = build_all()
    names = [package.name for package in packages]
    if len(set(names)) != len(names):
        raise SystemExit("duplicate package names")
    write_organizations(ORGANIZATIONS, root)
    total = 0
    for package in packages:
        total += write_package(package, root)
    removed = remove_stale(root, set(names))
    print(f"wrote {len(packages)} packages, {total / 1e6:.2f} MB to {root}", file=sys.stderr)
    if removed:
        print(f"removed stale packages: {', '.join(removed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
