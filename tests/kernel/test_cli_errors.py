"""Missing state is one line on stderr that names the fix -- never a traceback, and
never a new, empty database made behind the user's back (a mistyped DELTA_HOME)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from delta.cli import main
from tests.support.processes import free_port

SECRET = "hunter2-not-in-output"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # As in a fresh `delta` process: no log handler that an in-process app set up earlier.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    for name in ("DELTA_DATABASE_URL", "DELTA_SEARCH_URL", "DELTA_SITE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DELTA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DELTA_ENV", "development")
    return tmp_path / "home"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def one_line_error(code: int, out: str, err: str, *, exit_code: int = 1) -> str:
    assert (code, out) == (exit_code, ""), err
    assert err.startswith("error: ") and err.strip().count("\n") == 0, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        (["application", "list"], "delta db upgrade"),
        (["application", "show", "some-id"], "delta db upgrade"),
        (["token", "list", "admin"], "delta db upgrade"),
        (["token", "create", "admin", "--name", "me"], "delta db upgrade"),
        (["token", "revoke", "admin"], "delta db upgrade"),
        (
            ["user", "create", "bob", "--email", "b@example.org", "--password", "pw-12345678"],
            "delta db upgrade",
        ),
        (["search", "reindex"], "delta db upgrade"),
        (["federation", "registry", "show"], "delta keys init"),
        (["federation", "registry", "sign"], "delta keys init"),
        (["keys", "jwks", "--region", "310000"], "delta keys init"),
        (["keys", "rotate", "--region", "310000"], "delta keys init"),
        (["audit", "verify", "--region", "310000"], "delta node serve --region 310000"),
    ],
)
def test_an_empty_home_is_named_with_the_fix(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fix: str
) -> None:
    err = one_line_error(*run(argv, capsys))
    assert fix in err
    assert not (home / "portal.db").exists(), "no database is created for a read"


def test_a_registry_never_signed_says_how_to_sign(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["keys", "init"], capsys)[0] == 0
    err = one_line_error(*run(["federation", "registry", "show"], capsys))
    assert "delta federation registry sign" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["db", "upgrade"],
        ["serve", "--port", "1"],
        ["application", "list"],
        ["token", "list", "admin"],
        ["search", "reindex"],
        ["node", "serve", "--region", "310000", "--port", "1"],
    ],
)
def test_an_unreachable_database_is_one_line(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    url = f"postgresql://delta:{SECRET}@127.0.0.1:{free_port()}/portal"
    monkeypatch.setenv("DELTA_DATABASE_URL", url)
    err = one_line_error(*run(argv, capsys))
    assert "cannot connect to the database postgresql://delta:***@127.0.0.1:" in err
    assert "DELTA_DATABASE_URL" in err and SECRET not in err


def test_a_database_without_tables_is_not_used_as_if_empty(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.postgres import temporary_database

    with temporary_database() as url:
        monkeypatch.setenv("DELTA_DATABASE_URL", url)
        err = one_line_error(*run(["application", "list"], capsys))
        assert "has no tables yet: run `delta db upgrade` first" in err


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DELTA_DATABASE_URL", "mysql://x@y/z", "DELTA_DATABASE_URL"),
        ("DELTA_DATABASE_URL", "not a url", "DELTA_DATABASE_URL"),
        ("DELTA_CORS_WRITE_ORIGINS", "*", "DELTA_CORS_WRITE_ORIGINS"),
    ],
)
def test_a_bad_setting_is_one_line(
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(variable, value)
    err = one_line_error(*run(["application", "list"], capsys), exit_code=2)
    assert says in err


def test_an_unreachable_search_service_is_one_line(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["db", "upgrade"], capsys)[0] == 0
    monkeypatch.setenv("DELTA_SEARCH_URL", f"http://127.0.0.1:{free_port()}")
    err = one_line_error(*run(["search", "reindex"], capsys))
    assert "search service" in err and "DELTA_SEARCH_URL" in err
