"""The scheduler's lease and the one-open-job rule, on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from datasets import groups
from datasets.harvest import jobs, sources
from datasets.harvest.models import HarvestJob, HarvestSource
from datasets.harvest.scheduler import Lease
from datasets.models import utcnow
from datasets.policy import Principal
from datasets.unit import CatalogUnit
from delta import migrations
from delta.db import make_engine, make_session_factory, transaction
from delta.errors import ValidationFailed
from tests.dcat.conftest import BACKENDS
from tests.support.postgres import temporary_database

ADMIN = Principal(user_id="tests", name="tests", sysadmin=True)


@pytest.fixture(scope="module", params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[sessionmaker[Session]]:
    with ExitStack() as stack:
        if request.param == "postgresql":
            url = stack.enter_context(temporary_database())
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('lease') / 'portal.db'}"
        migrations.upgrade(url, package="open_portal")
        engine = make_engine(url)
        stack.callback(engine.dispose)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            unit = CatalogUnit(session=session, site_url="http://x.test")
            groups.create_group(unit, actor=ADMIN, organization=True,
                                data={"name": "org", "title": "机构"})  # fmt: skip
            sources.create_source(session, actor=ADMIN, data={
                "name": "src", "url": "https://src.example", "source_type": "ckan",
                "owner_org": "org",
            })  # fmt: skip
        yield factory


def test_only_one_process_holds_the_lease(sessions) -> None:
    first, second = Lease(sessions, seconds=0.5), Lease(sessions, seconds=0.5)
    assert first.acquire() and first.acquire()  # taken, then renewed
    assert not second.acquire()
    time.sleep(0.7)  # the holder stopped renewing: its process died
    assert second.acquire() and not first.acquire()
    second.release()
    assert first.acquire()
    first.release()


def test_the_database_refuses_a_second_open_job(sessions) -> None:
    with transaction(sessions) as session:
        source = sources.find_source(session, "src")
        job = jobs.open_job(session, source)
        with pytest.raises(ValidationFailed):
            jobs.open_job(session, source)
        source_id, job_id = source.id, job.id
    # Past the check in front (as a racing process would be): the unique index refuses.
    with transaction(sessions) as session:
        session.add(HarvestJob(source_id=source_id, status="Running"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
    with transaction(sessions) as session:
        session.get(HarvestJob, job_id).status = "Finished"


def test_a_job_whose_process_died_is_closed_as_failed(sessions) -> None:
    with transaction(sessions) as session:
        source = session.query(HarvestSource).filter_by(name="src").one()
        dead = jobs.open_job(session, source, claim=True)
        dead.heartbeat = utcnow() - timedelta(hours=1)
        dead_id = dead.id
    with transaction(sessions) as session:
        source = session.query(HarvestSource).filter_by(name="src").one()
        fresh = jobs.open_job(session, source)
        fresh.status = "Finished"
    with sessions() as session:
        closed = session.get(HarvestJob, dead_id)
        assert closed.status == "Failed"
        assert "interrupted" in closed.report["gather_errors"][0]
