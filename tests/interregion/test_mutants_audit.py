"""The audit chain's checks one by one, in process (issue 10 item 8: a splice went unnoticed).

Two chains are written by the real :class:`AuditLog` into two SQLite files with the same
node key; every record of both is validly hashed and signed. Only the ``prev_hash`` link
tells that the first half of one and the second half of the other do not belong together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from interregion.audit.models import AuditRecord
from interregion.audit.service import GENESIS, AuditLog, ChainReport, read_head, verify_chain
from interregion.clock import utcnow
from interregion.db import Base
from signing.keys import Purpose, SigningKey, generate_signing_key
from signing.truststore import TrustStore

REGION = "320000"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_signing_key(
        "ec-p256", purposes={Purpose.JWT}, now=utcnow() - timedelta(hours=1)
    )


def trust(key: SigningKey) -> TrustStore:
    return TrustStore([key.trusted(issuer=REGION)])


def written_chain(
    folder: Path, key: SigningKey, events: list[str]
) -> tuple[list[AuditRecord], Path]:
    """Write ``events`` with the real appender; returns the records in order and the head."""
    folder.mkdir()
    engine = create_engine(f"sqlite:///{folder / 'node.db'}")
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    audit = AuditLog(sessions=sessions, signing_key=lambda: key, head_path=folder / "audit.head")
    for event in events:
        audit.append(event=event, actor="clerk-1", detail={"n": event})
    with sessions() as session:
        records = list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    engine.dispose()
    return records, folder / "audit.head"


def check(records: list[AuditRecord], key: SigningKey, head: tuple[int, str] | None) -> ChainReport:
    return verify_chain(records, trust=trust(key), issuer=REGION, head=head)


def test_an_untouched_chain_verifies(tmp_path: Path, key: SigningKey) -> None:
    records, head_path = written_chain(tmp_path / "a", key, ["one", "two", "three"])
    report = check(records, key, read_head(head_path))
    assert report.ok and report.records == 3 and report.head == records[-1].hash
    assert records[0].prev_hash == GENESIS


def test_a_splice_of_two_validly_signed_chains_is_found(tmp_path: Path, key: SigningKey) -> None:
    """Records 1-2 of one chain, 3-4 of another, both by the node's key: each record's own
    hash and signature hold, the seq numbers run on, the head file names the last record.
    Only record 3's link to record 2 is wrong, and verify must say so."""
    first, _ = written_chain(tmp_path / "a", key, ["a1", "a2", "a3", "a4"])
    second, head_path = written_chain(tmp_path / "b", key, ["b1", "b2", "b3", "b4"])
    spliced = first[:2] + second[2:]
    assert [r.seq for r in spliced] == [1, 2, 3, 4]
    report = check(spliced, key, read_head(head_path))
    assert not report.ok and report.first_bad == 3, report
    assert "previous record" in report.problem
    assert report.records == 2  # the two records that held before the break


Edit = Callable[[list[AuditRecord]], list[AuditRecord]]
BROKEN: dict[str, tuple[Edit, int, str]] = {
    "missing": (lambda rs: [rs[0], rs[2]], 2, "missing"),
    "changed": (lambda rs: [rs[0], _with(rs[1], actor="someone"), rs[2]], 2, "hash"),
    "signature of another record": (
        lambda rs: [rs[0], _with(rs[1], signature=rs[2].signature), rs[2]],
        2,
        "another record",
    ),
    "not signed": (lambda rs: [rs[0], _with(rs[1], signature="x.y.z"), rs[2]], 2, "signature"),
}


def _with(record: AuditRecord, **changes: object) -> AuditRecord:
    copy = AuditRecord(**{c.key: getattr(record, c.key) for c in AuditRecord.__table__.columns})
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_break_is_named_at_its_record(tmp_path: Path, key: SigningKey, case: str) -> None:
    records, head_path = written_chain(tmp_path / "a", key, ["one", "two", "three"])
    edit, first_bad, problem = BROKEN[case]
    report = check(edit(records), key, read_head(head_path))
    assert not report.ok and report.first_bad == first_bad, report
    assert problem in report.problem


def test_the_head_file_catches_truncation_and_a_changed_last_record(
    tmp_path: Path, key: SigningKey
) -> None:
    records, head_path = written_chain(tmp_path / "a", key, ["one", "two", "three"])
    head = read_head(head_path)
    assert head == (3, records[-1].hash)
    truncated = check(records[:2], key, head)
    assert (
        not truncated.ok
        and truncated.first_bad == 3
        and "deleted from the end" in truncated.problem
    )
    other = check(records, key, (3, "f" * 64))
    assert not other.ok and other.first_bad == 3 and "head file" in other.problem
    assert check(records[:2], key, (2, records[1].hash)).ok


def test_a_foreign_key_does_not_verify(tmp_path: Path, key: SigningKey) -> None:
    records, _ = written_chain(tmp_path / "a", key, ["one"])
    stranger = generate_signing_key("ec-p256", purposes={Purpose.JWT})
    report = check(records, stranger, None)
    assert not report.ok and report.first_bad == 1 and "signature refused" in report.problem


def test_report_as_dict_leaves_out_what_is_unset() -> None:
    assert ChainReport(True, 2, "h").as_dict() == {"ok": True, "records": 2, "head": "h"}
    assert replace(ChainReport(True, 2, "h"), first_bad=3).as_dict()["first_bad"] == 3
