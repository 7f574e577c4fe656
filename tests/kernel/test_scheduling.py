"""The xdist scheduling of `make test`: units of work and longest-first order."""

from __future__ import annotations

from tests.support.scheduling import LongestFirstQueue, load_durations, work_unit


def test_a_unit_is_a_file_or_one_databases_half_of_it() -> None:
    assert work_unit("tests/a/test_x.py::test_y") == "tests/a/test_x.py"
    assert work_unit("tests/a/test_x.py::test_y[sqlite]") == "tests/a/test_x.py[sqlite]"
    assert work_unit("tests/a/test_x.py::T::test_y[postgresql-broken]") == (
        "tests/a/test_x.py[postgresql]"
    )
    # A parameter that only contains a backend's name is not a backend.
    assert work_unit("tests/a/test_x.py::test_y[sqlite3-file]") == "tests/a/test_x.py"
    assert work_unit("tests/a/test_x.py::test_y[sqlite-postgresql]") == "tests/a/test_x.py"


def test_the_heaviest_unit_goes_first_and_unknown_ones_weigh_their_tests() -> None:
    queue = LongestFirstQueue({"a.py": 10.0, "b.py": 300.0})
    queue["a.py"] = dict.fromkeys(["a1", "a2"], False)  # 5 s a test
    queue["b.py"] = {"b1": False}
    queue["new.py"] = dict.fromkeys([f"n{i}" for i in range(20)], False)  # 20 x 103.3 s
    assert [queue.popitem(last=False)[0] for _ in range(3)] == ["new.py", "b.py", "a.py"]


def test_the_committed_durations_name_existing_units() -> None:
    durations = load_durations()
    assert durations, "tests/durations.json is missing or empty"
    assert all(unit.startswith("tests/") and seconds >= 0 for unit, seconds in durations.items())
