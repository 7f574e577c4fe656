"""Combine sampled mutation runs of one package (scripts/mutation-run --sample N --seed S).

Two samples drawn with different seeds from the same work directory (the same mutants) may
share mutants; each mutant counts once. Prints killed / survived / timeout / no tests /
equivalent over the union and the rate killed / (decided - equivalent) with its 95 % Wilson
interval, then the survivors::

    .venv/bin/python scripts/mutation_combine.py --work /tmp/mut-window 40-10 60-11
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutation_sample import DECIDED, equivalent_names, statuses, wilson


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--mutmut", default=str(Path(sys.prefix) / "bin" / "mutmut"))
    parser.add_argument(
        "--equivalent", type=Path,
        default=Path(__file__).resolve().parent / "mutation-equivalent.txt",
    )  # fmt: skip
    parser.add_argument("samples", nargs="+", help="N-SEED of each sample-N-SEED.txt")
    args = parser.parse_args()
    drawn: list[set[str]] = []
    for sample in args.samples:
        path = args.work / f"sample-{sample}.txt"
        drawn.append(set(path.read_text(encoding="utf-8").split()))
    union = sorted(set().union(*drawn))
    known = statuses(args.work, args.mutmut)
    equivalent = equivalent_names(args.equivalent)
    status: Counter[str] = Counter()
    left: list[str] = []
    for name in union:
        state = known.get(name, "not checked")
        if name in equivalent and state != "killed":
            state = "equivalent"
        status[state] += 1
        if state not in ("killed", "equivalent", "not checked"):
            left.append(f"{name} ({state})")
    n = sum(status[s] for s in DECIDED)
    killed = status["killed"]
    low, high = wilson(killed, n)
    sizes = " + ".join(str(len(d)) for d in drawn)
    print(f"samples {', '.join(args.samples)}: {sizes} drawn, {len(union)} distinct")
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
    if n:
        print(f"  kill rate (estimate): {killed}/{n} = {100 * killed / n:.1f} %, "
              f"95 % Wilson interval {100 * low:.1f}-{100 * high:.1f} %")  # fmt: skip
    for line in left:
        print(f"  not killed: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
