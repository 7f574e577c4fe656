"""The sampling mode of scripts/mutation-run: run a random sample of a package's mutants.

A full mutation run of the interregion packages does not fit in the time available (their
tests start a federation, about 10 s a mutant on two shared cores). Random mutant sampling
estimates the full run's kill rate: every mutant mutmut generates is listed, N are picked
with ``random.Random(seed).sample`` over the sorted names (so the same N and seed pick the
same mutants), and only those are run. The rate is killed / (decided - equivalent) with a
95 % Wilson score interval. Timeouts count as not killed.

Called by scripts/mutation-run with the work directory it prepared (the copy of the tree
with its [tool.mutmut] settings); a later call with the same directory, N and seed carries
on with the sampled mutants not yet run. ``--again GLOB`` re-runs sampled mutants whose
names match (after tests were added to kill them).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

DECIDED = ("killed", "survived", "timeout", "no tests", "suspicious", "segfault")


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion ``killed / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _mutmut(work: Path, mutmut: str, *args: str, timeout: float | None = None) -> str:
    # Its own process group, so a time limit stops mutmut's workers too.
    process = subprocess.Popen(  # noqa: S603  (our venv's mutmut, our arguments)
        [mutmut, *args], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        out, _ = process.communicate()
    return out


def list_mutants(work: Path, mutmut: str) -> dict[str, bool]:
    """Every mutant of the package and whether any test reaches its function.

    From mutmut's own files: ``mutmut results`` names the mutants, mutmut-stats.json maps
    each function to the tests that call it (``print-time-estimates`` would be the obvious
    way, but run on its own it empties that map in mutmut 3.8.1).
    """
    stats = json.loads((work / "mutants" / "mutmut-stats.json").read_text(encoding="utf-8"))
    covered = {name for name, tests in stats["tests_by_mangled_function_name"].items() if tests}
    return {
        name: name.replace("__init__.", "").partition("__mutmut_")[0] in covered
        for name in statuses(work, mutmut)
    }


def statuses(work: Path, mutmut: str) -> dict[str, str]:
    out = _mutmut(work, mutmut, "results", "--all", "true")
    return {
        m.group(1): m.group(2)
        for m in (re.match(r"\s*(\S+): (\w[\w ]*)$", line) for line in out.splitlines())
        if m
    }


def equivalent_names(path: Path) -> dict[str, str]:
    """``name  # why`` lines of scripts/mutation-equivalent.txt."""
    found: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, _, why = line.partition("#")
            if name.strip():
                found[name.strip()] = why.strip()
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--sample", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--max-children", default="1")
    parser.add_argument("--mutmut", required=True)
    parser.add_argument("--equivalent", type=Path, required=True)
    parser.add_argument("--again", action="append", default=[])
    args = parser.parse_args()
    work: Path = args.work
    deadline = time.monotonic() + args.time_limit
    log = (work / "run.log").open("a", encoding="utf-8")

    listing = work / "all-mutants.txt"
    if not listing.exists():
        # Generate the mutants and collect which tests reach which function: ``mutmut run``
        # with a name that matches nothing does both, then stops.
        print("generating mutants and collecting test coverage ...", file=sys.stderr)
        log.write(_mutmut(work, args.mutmut, "run", "--max-children", args.max_children,
                          "no-such-mutant-zzz", timeout=args.time_limit))  # fmt: skip
        reached = list_mutants(work, args.mutmut)
        if not reached:
            print("mutmut listed no mutants; see run.log", file=sys.stderr)
            return 1
        lines = (f"{name} {'tests' if has else 'no-tests'}\n" for name, has in reached.items())
        listing.write_text("".join(sorted(lines)), encoding="utf-8")
    reached = {
        name: flag == "tests"
        for name, flag in (line.split() for line in listing.read_text().splitlines())
    }
    population = sorted(reached)
    size = min(args.sample, len(population))
    chosen = sorted(random.Random(args.seed).sample(population, size))  # noqa: S311  (not a secret)
    (work / f"sample-{args.sample}-{args.seed}.txt").write_text("\n".join(chosen) + "\n")

    known = statuses(work, args.mutmut)
    again = [n for n in chosen if any(fnmatch.fnmatch(n, g) for g in args.again)]
    # mutmut itself marks a mutant no test reaches as "no tests" (and a later run, after tests
    # were added, finds the new tests first and then runs it).
    # "no tests" ones are tried again every time (cheap while no test reaches them).
    to_run = [n for n in chosen if known.get(n, "not checked") in ("not checked", "no tests")
              or n in again]  # fmt: skip
    started = time.monotonic()
    batch = 20  # a few at a time, so the time limit stops between batches, not inside one
    for i in range(0, len(to_run), batch):
        left = deadline - time.monotonic()
        if left <= 30:
            print("time limit reached; a later run with the same --work-dir carries on",
                  file=sys.stderr)  # fmt: skip
            break
        names = to_run[i : i + batch]
        print(f"running mutants {i + 1}-{i + len(names)} of {len(to_run)} ...", file=sys.stderr)
        log.write(_mutmut(work, args.mutmut, "run", "--max-children", args.max_children,
                          *names, timeout=left))  # fmt: skip
        log.flush()
    elapsed = time.monotonic() - started
    report(args, population=population, chosen=chosen, reached=reached, elapsed=elapsed)
    return 0


def report(
    args: argparse.Namespace,
    *,
    population: list[str],
    chosen: list[str],
    reached: dict[str, bool],
    elapsed: float,
) -> None:
    work: Path = args.work
    size = len(chosen)
    known = statuses(work, args.mutmut)
    equivalent = equivalent_names(args.equivalent)
    status: Counter[str] = Counter()
    for name in chosen:
        state = known.get(name, "not checked")
        if name in equivalent and state != "killed":
            state = "equivalent"
        status[state] += 1
    decided = sum(status[s] for s in DECIDED) + status["equivalent"]
    n = decided - status["equivalent"]
    killed = status["killed"]
    low, high = wilson(killed, n)
    print(f"package {args.package}: {len(population)} mutants, sample of {size} with seed "
          f"{args.seed}, run in {elapsed:.0f} s")  # fmt: skip
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())))
    if n:
        print(f"  kill rate (estimate from the sample): {killed}/{n} = {100 * killed / n:.1f} %"
              f", 95 % Wilson interval {100 * low:.1f}-{100 * high:.1f} %")  # fmt: skip
    if status["not checked"]:
        print(f"  {status['not checked']} sampled mutants not run yet (time limit)")
    print("not killed (equivalent ones left out):")
    for name in chosen:
        state = known.get(name, "not checked")
        if name in equivalent or state in ("killed", "not checked"):
            continue
        print(f"--- {name} ({state})")
        print("\n".join(_mutmut(work, args.mutmut, "show", name).splitlines()[:40]))
    for name in chosen:
        if name in equivalent and known.get(name) != "killed":
            print(f"equivalent: {name} ({equivalent[name]})")


if __name__ == "__main__":
    sys.exit(main())
