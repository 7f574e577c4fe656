"""Each portal database names its catalogue (migration 0010): the id a search index is
checked against (docs/search.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete

from datasets.models import SiteSetting
from delta import migrations
from delta.db import make_engine, make_session_factory
from open_portal.runtime import catalogue_id


def _sessions(path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{path}"
    migrations.upgrade(url, package="open_portal")
    return make_session_factory(make_engine(url))


def test_each_database_has_its_own_lasting_catalogue_id(tmp_path: Path) -> None:
    first, second = _sessions(tmp_path / "a.db"), _sessions(tmp_path / "b.db")
    mine = catalogue_id(first)
    assert len(mine) == 36 and catalogue_id(first) == mine
    assert catalogue_id(second) != mine

    # A database whose row is missing (made without the migrations) gets one, once.
    with first() as session:
        session.execute(delete(SiteSetting))
        session.commit()
    renewed = catalogue_id(first)
    assert renewed != mine and catalogue_id(first) == renewed
