"""The signing commands, run as real ``delta`` subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signing.jwt import IDENTITY_ASSERTION
from tests.signing import saml

DELTA = str(Path(sys.executable).parent / "delta")


def delta(
    home: Path, *arguments: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DELTA_HOME": str(home)}
    return subprocess.run(
        [DELTA, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        check=False,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("delta-home")
    ok(delta(path, "keys", "init"))
    return path


def test_keys_init_is_idempotent(home: Path) -> None:
    first = json.loads((home / "keys" / "310000" / "keys.json").read_text())
    again = json.loads(ok(delta(home, "keys", "init")))
    assert again["created"] == []
    assert sorted(again["regions"]) == ["310000", "320000", "330000", "340000"]
    assert again["regions"]["310000"] == first["keys"][0]["kid"]
    key_file = home / "keys" / "310000" / f"{first['keys'][0]['kid']}.key.pem"
    assert key_file.stat().st_mode & 0o077 == 0  # private keys are owner-only
    assert (home / "keys" / "authority" / "authority.cert.pem").exists()


def test_registry_sign_and_show(home: Path) -> None:
    token = ok(delta(home, "federation", "registry", "sign")).strip()
    assert token.count(".") == 2
    shown = json.loads(ok(delta(home, "federation", "registry", "show")))
    assert [m["region_code"] for m in shown["members"]] == ["310000", "320000", "330000", "340000"]
    assert shown["members"][0]["name"] == "上海市"
    assert "d" not in shown["members"][0]["keys"][0]["jwk"]
    again = json.loads(ok(delta(home, "federation", "registry", "show")))
    assert again["serial"] == shown["serial"]
    ok(delta(home, "federation", "registry", "sign"))
    assert (
        json.loads(ok(delta(home, "federation", "registry", "show")))["serial"]
        == shown["serial"] + 1
    )


def test_registry_show_rejects_a_tampered_registry(home: Path, tmp_path: Path) -> None:
    ok(delta(home, "federation", "registry", "sign"))
    header, payload, signature = (home / "federation" / "registry.jws").read_text().split(".")
    forged = tmp_path / "forged.jws"
    forged.write_text(f"{header}.{payload[:-2]}AA.{signature}")
    result = delta(home, "federation", "registry", "show", "--file", str(forged))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")


def test_keys_rotate_in_three_steps(tmp_path: Path) -> None:
    home = tmp_path / "rotating"
    ok(delta(home, "keys", "init", "--kind", "ec-p256"))
    steps = [json.loads(ok(delta(home, "keys", "rotate", "--region", "330000"))) for _ in range(3)]
    assert [s["step"] for s in steps] == ["announce", "switch", "retire"]
    new, old = steps[0]["kid"], steps[2]["kid"]
    assert steps[1]["kid"] == new
    entries = json.loads((home / "keys" / "330000" / "keys.json").read_text())["keys"]
    assert [(e["kid"], e["status"]) for e in entries] == [(new, "current")]
    assert (home / "keys" / "330000" / "retired" / f"{old}.key.pem").exists()
    wrong = delta(home, "keys", "rotate", "--region", "330000", "--step", "retire")
    assert wrong.returncode == 1
    assert "announce" in wrong.stderr


def test_rotation_shows_up_in_the_registry(tmp_path: Path) -> None:
    home = tmp_path / "published"
    ok(delta(home, "keys", "init", "--kind", "ec-p256"))
    announced = json.loads(
        ok(delta(home, "keys", "rotate", "--region", "310000", "--step", "announce"))
    )
    ok(delta(home, "federation", "registry", "sign"))
    shown = json.loads(ok(delta(home, "federation", "registry", "show")))
    statuses = {k["kid"]: k["status"] for k in shown["members"][0]["keys"]}
    assert statuses[announced["kid"]] == "next"
    assert sorted(statuses.values()) == ["current", "next"]


def test_sign_xml_and_verify_xml(home: Path, tmp_path: Path) -> None:
    region = home / "keys" / "310000"
    kid = json.loads((region / "keys.json").read_text())["keys"][0]["kid"]
    key, cert = region / f"{kid}.key.pem", region / f"{kid}.cert.pem"
    unsigned = tmp_path / "response.xml"
    unsigned.write_bytes(saml.response_xml())
    signed_text = ok(
        delta(
            home,
            "sig",
            "sign-xml",
            str(unsigned),
            "--key",
            str(key),
            "--cert",
            str(cert),
            "--id",
            saml.ASSERTION_ID,
            "--after",
            saml.ISSUER_TAG,
        )
    )
    signed = tmp_path / "signed.xml"
    signed.write_text(signed_text)
    verified = ok(
        delta(home, "sig", "verify-xml", str(signed), "--trust", str(cert), "--tag", saml.ASSERTION)
    )
    assert verified.strip() == saml.ASSERTION_ID

    other_cert = home / "keys" / "authority" / "authority.cert.pem"
    untrusted = delta(
        home, "sig", "verify-xml", str(signed), "--trust", str(other_cert), "--tag", saml.ASSERTION
    )
    assert untrusted.returncode == 1
    assert untrusted.stdout == ""
    assert "untrusted-key" in untrusted.stderr

    tampered = tmp_path / "tampered.xml"
    tampered.write_text(signed_text.replace("alice", "mallory"))
    result = delta(
        home, "sig", "verify-xml", str(tampered), "--trust", str(cert), "--tag", saml.ASSERTION
    )
    assert result.returncode == 1
    assert "digest-mismatch" in result.stderr

    wrapped = tmp_path / "wrapped.xml"
    from tests.signing.xsw import xsw3

    wrapped.write_bytes(xsw3(signed_text.encode()))
    result = delta(
        home, "sig", "verify-xml", str(wrapped), "--trust", str(cert), "--tag", saml.ASSERTION
    )
    assert result.returncode == 1
    assert "ambiguous-signed-element" in result.stderr


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed")
def test_cli_signed_document_verifies_with_xmlsec1(home: Path, tmp_path: Path) -> None:
    region = home / "keys" / "320000"
    kid = json.loads((region / "keys.json").read_text())["keys"][0]["kid"]
    unsigned = tmp_path / "response.xml"
    unsigned.write_bytes(saml.response_xml())
    signed = tmp_path / "signed.xml"
    signed.write_text(
        ok(
            delta(
                home,
                "sig",
                "sign-xml",
                str(unsigned),
                "--key",
                str(region / f"{kid}.key.pem"),
                "--cert",
                str(region / f"{kid}.cert.pem"),
                "--id",
                saml.RESPONSE_ID,
            )
        )
    )
    result = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--trusted-pem",
            str(home / "keys" / "authority" / "authority.cert.pem"),
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            str(signed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_jwt_issue_and_verify(home: Path, tmp_path: Path) -> None:
    region = home / "keys" / "340000"
    kid = json.loads((region / "keys.json").read_text())["keys"][0]["kid"]
    jwks = tmp_path / "jwks.json"
    jwks.write_text(ok(delta(home, "keys", "jwks", "--region", "340000")))
    assert json.loads(jwks.read_text())["keys"][0]["kid"] == kid
    token = ok(
        delta(
            home,
            "jwt",
            "issue",
            "--key",
            str(region / f"{kid}.key.pem"),
            "--iss",
            "anhui",
            "--aud",
            "jiangsu",
            "--typ",
            IDENTITY_ASSERTION,
            "--claims",
            '{"sub": "alice"}',
        )
    ).strip()
    arguments = [
        "--jwks",
        str(jwks),
        "--iss",
        "anhui",
        "--aud",
        "jiangsu",
        "--typ",
        IDENTITY_ASSERTION,
    ]
    claims = json.loads(ok(delta(home, "jwt", "verify", token, *arguments)))
    assert claims["sub"] == "alice"
    assert claims["iss"] == "anhui"
    from_stdin = json.loads(ok(delta(home, "jwt", "verify", "-", *arguments, stdin=token + "\n")))
    assert from_stdin["jti"] == claims["jti"]

    wrong = delta(
        home,
        "jwt",
        "verify",
        token,
        "--jwks",
        str(jwks),
        "--iss",
        "anhui",
        "--aud",
        "zhejiang",
        "--typ",
        IDENTITY_ASSERTION,
    )
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    assert wrong.stderr.startswith("error: wrong-audience")
    assert token not in wrong.stderr  # never echo tokens


def test_missing_key_directory_is_a_clean_error(tmp_path: Path) -> None:
    result = delta(tmp_path / "empty", "federation", "registry", "sign")
    assert result.returncode == 1
    assert "delta keys init" in result.stderr
    assert "Traceback" not in result.stderr


def test_region_codes_are_checked(home: Path) -> None:
    result = delta(home, "keys", "rotate", "--region", "../authority")
    assert result.returncode == 1
    assert "GB/T 2260" in result.stderr
