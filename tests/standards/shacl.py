"""pyshacl against the official DCAT-AP 3.0.0 shapes, fast enough for every test run.

pyshacl spends its time per focus node, so a catalogue is validated in
chunks by worker processes (one per core), each of which parses the shapes
once. A chunk travels as N-Triples; the answer is the number of sh:Violation
results and the report text of the first few.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import SH

# ../shared sits beside every checkout (DELTA_STANDARDS_DIR overrides, as
# DELTA_SEARCH_CORPUS does for the corpus): a missing file is an error, not a skip.
STANDARDS = Path(
    os.environ.get("DELTA_STANDARDS_DIR")
    or Path(__file__).resolve().parents[3] / "shared" / "standards"
)
SHAPES = STANDARDS / "dcat-ap-3.0.0"
SHAPES_FILE = SHAPES / "dcat-ap-SHACL.ttl"
EXAMPLES = SHAPES / "examples"


@dataclass(frozen=True)
class Outcome:
    triples: int
    violations: int
    report: str


@cache
def shapes_graph() -> Graph:
    return Graph().parse(SHAPES_FILE)


def _validate(ntriples: bytes) -> Outcome:
    from pyshacl import validate

    data = Graph().parse(data=ntriples, format="nt")
    conforms, results, text = validate(
        data, shacl_graph=shapes_graph(), inference="none", advanced=False
    )
    assert isinstance(results, Graph)
    violations = sum(1 for _ in results.subjects(SH.resultSeverity, SH.Violation))
    if not conforms and violations == 0:
        violations = 1  # not conforming for another reason still counts
    return Outcome(len(data), violations, "" if conforms else text[:4000])


def validate_chunks(chunks: Iterable[Graph]) -> Outcome:
    """All chunks validated (in parallel where there is more than one core)."""
    payloads = [chunk.serialize(format="nt", encoding="utf-8") for chunk in chunks]
    workers = min(len(payloads), os.cpu_count() or 1)
    if workers <= 1:
        outcomes: Sequence[Outcome] = [_validate(p) for p in payloads]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(_validate, payloads))
    return Outcome(
        triples=sum(o.triples for o in outcomes),
        violations=sum(o.violations for o in outcomes),
        report="\n".join(o.report for o in outcomes if o.report)[:8000],
    )
