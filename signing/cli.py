"""``delta keys``, ``delta federation registry``, ``delta sig`` and ``delta jwt``.

Stdout carries only the result; failures print ``error: <reason>: <detail>``
on stderr and exit with 1. The state directory is ``$DELTA_HOME``
(default ``./var``), read through typer, not through the portal's settings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from signing.errors import ConfigurationError, SigningError

HomeOption = Annotated[
    Path,
    typer.Option(
        "--home", envvar="DELTA_HOME", metavar="DIR", help="State directory (keys/, federation/)."
    ),
]
RegionOption = Annotated[
    str, typer.Option("--region", metavar="CODE", help="Region code, e.g. 310000.")
]
DEFAULT_HOME = Path("var")
STDIN = "-"

keys_app = typer.Typer(help="Demo federation keys under $DELTA_HOME/keys.", no_args_is_help=True)
federation_app = typer.Typer(help="The signed federation registry.", no_args_is_help=True)
registry_app = typer.Typer(help="Sign and inspect the registry.", no_args_is_help=True)
sig_app = typer.Typer(help="XML-DSig signing and hardened verification.", no_args_is_help=True)
jwt_app = typer.Typer(help="JWT issue and verification.", no_args_is_help=True)
federation_app.add_typer(registry_app, name="registry")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(federation_app, name="federation")
    app.add_typer(sig_app, name="sig")
    app.add_typer(jwt_app, name="jwt")


@contextmanager
def _reporting() -> Iterator[None]:
    """Turn expected failures into one stderr line and exit code 1."""
    try:
        yield
    except SigningError as error:
        typer.echo(f"error: {error.reason}: {error}", err=True)
        raise typer.Exit(1) from None
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        typer.echo(f"error: {where}{error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    except (ValueError, KeyError) as error:
        typer.echo(f"error: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(1) from None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def _now() -> Any:
    from signing.keys import utcnow

    return utcnow()


# --- keys ------------------------------------------------------------------------------


@keys_app.command("init")
def keys_init(
    home: HomeOption = DEFAULT_HOME,
    kind: Annotated[
        str, typer.Option(metavar="rsa|ec-p256", help="Type of the region keys.")
    ] = "rsa",
) -> None:
    """Create the authority and the four region keys (keeps whatever already exists)."""
    from signing.keystore import KeyDirectory

    if kind not in ("rsa", "ec-p256"):
        typer.echo("error: usage: --kind must be rsa or ec-p256", err=True)
        raise typer.Exit(2)
    with _reporting():
        _print_json(KeyDirectory(home).init_demo(now=_now(), kind=kind))  # type: ignore[arg-type]


@keys_app.command("rotate")
def keys_rotate(
    region: RegionOption,
    home: HomeOption = DEFAULT_HOME,
    step: Annotated[
        str | None,
        typer.Option(
            metavar="announce|switch|retire", help="Fail unless this is the step that is due."
        ),
    ] = None,
) -> None:
    """Advance one rotation step (announce -> switch -> retire); then sign the registry."""
    from signing.keystore import KeyDirectory

    with _reporting():
        _print_json(KeyDirectory(home).rotate(region, now=_now(), step=step))


@keys_app.command("jwks")
def keys_jwks(
    region: RegionOption,
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Print a region's public keys (every status) as a JWKS."""
    from signing.keystore import KeyDirectory
    from signing.truststore import jwks_document

    with _reporting():
        directory = KeyDirectory(home)
        entries = directory.entries(region)
        if not entries:
            raise ConfigurationError(f"no keys for {region}: run 'delta keys init'")
        keys = [directory.region_key(region, e.kid).trusted(issuer=region) for e in entries]
        _print_json(jwks_document(keys))


# --- federation registry ---------------------------------------------------------------


@registry_app.command("sign")
def registry_sign(
    home: HomeOption = DEFAULT_HOME,
    valid_for_hours: Annotated[
        int, typer.Option(metavar="HOURS", help="Hours until the registry's next_update.")
    ] = 24,
) -> None:
    """Build the registry from the key directory, sign it (serial + 1), print the JWS."""
    from signing.federation import sign_registry, verify_registry
    from signing.keystore import AUTHORITY_ID, FEDERATION_ID, KeyDirectory
    from signing.truststore import TrustStore

    with _reporting():
        directory = KeyDirectory(home)
        authority = directory.authority_key()
        serial = 1
        if directory.registry_path.exists():
            previous = verify_registry(
                directory.registry_path.read_text("ascii").strip(),
                authority_keys=TrustStore([authority.trusted(issuer=AUTHORITY_ID)]),
                authority=AUTHORITY_ID,
                federation=FEDERATION_ID,
                max_age=timedelta(days=36500),
            )
            serial = previous.serial + 1
        now = _now()
        registry = directory.build_registry(
            serial=serial, now=now, valid_for=timedelta(hours=valid_for_hours)
        )
        token = sign_registry(registry, authority_key=authority, now=now)
        from signing.keystore import write_atomic

        write_atomic(directory.registry_path, token.encode("ascii"))
        typer.echo(token)


@registry_app.command("show")
def registry_show(
    home: HomeOption = DEFAULT_HOME,
    file: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Registry JWS (default: the latest).")
    ] = None,
    authority_cert: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Pinned authority certificate (default: the demo one)."),
    ] = None,
    max_age_hours: Annotated[
        int, typer.Option(metavar="HOURS", help="Refuse registries older than this.")
    ] = 24 * 30,
) -> None:
    """Verify the registry against the pinned authority key and print it as JSON."""
    from signing.certificates import load_certificate_pem
    from signing.federation import verify_registry
    from signing.keys import Purpose, Validity, trusted_key
    from signing.keystore import AUTHORITY_ID, FEDERATION_ID, KeyDirectory
    from signing.truststore import TrustStore

    with _reporting():
        directory = KeyDirectory(home)
        certificate = load_certificate_pem(
            authority_cert.read_bytes() if authority_cert else directory.authority_certificate_pem()
        )
        pinned = trusted_key(
            certificate.public_key(),  # type: ignore[arg-type]
            issuer=AUTHORITY_ID,
            purposes={Purpose.REGISTRY},
            validity=Validity.unbounded(),
            certificate=certificate,
        )
        registry = verify_registry(
            file.read_text("ascii").strip() if file else directory.signed_registry(),
            authority_keys=TrustStore([pinned]),
            authority=AUTHORITY_ID,
            federation=FEDERATION_ID,
            max_age=timedelta(hours=max_age_hours),
        )
        _print_json(registry.to_json())


# --- XML-DSig --------------------------------------------------------------------------


@sig_app.command("sign-xml")
def sign_xml_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="XML document to sign.")],
    key: Annotated[Path, typer.Option("--key", metavar="FILE", help="Private key PEM.")],
    cert: Annotated[
        Path, typer.Option("--cert", metavar="FILE", help="Certificate PEM (goes into KeyInfo).")
    ],
    element_id: Annotated[
        str, typer.Option("--id", metavar="ID", help="ID of the element to sign.")
    ],
    after: Annotated[
        str | None,
        typer.Option(metavar="TAG", help="Clark tag of the child the signature follows."),
    ] = None,
) -> None:
    """Sign one element (enveloped, exc-c14n) and print the signed document."""
    from signing.certificates import load_certificate_pem
    from signing.keys import Purpose, Validity, load_private_key_pem, signing_key
    from signing.xmldsig import sign_xml

    with _reporting():
        signer = signing_key(
            load_private_key_pem(key.read_bytes()),
            purposes={Purpose.XML, Purpose.SAML},
            validity=Validity.unbounded(),
            certificate=load_certificate_pem(cert.read_bytes()),
        )
        signed = sign_xml(
            file.read_bytes(), key=signer, purpose=Purpose.XML, element_id=element_id, after=after
        )
        sys.stdout.buffer.write(signed + b"\n")
        sys.stdout.flush()


@sig_app.command("verify-xml")
def verify_xml_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Signed XML document.")],
    trust: Annotated[
        list[Path],
        typer.Option("--trust", metavar="FILE", help="Trusted certificate PEM (repeatable)."),
    ],
    tag: Annotated[
        str | None,
        typer.Option(
            metavar="TAG", help="Clark tag of the element to consume (default: the root's)."
        ),
    ] = None,
) -> None:
    """Verify with the hardened verifier; print the ID of the signed element."""
    from signing.certificates import load_certificates_pem
    from signing.keys import Purpose
    from signing.truststore import TrustStore
    from signing.xml_parsing import parse_xml
    from signing.xmldsig import element_id, verify_xml

    with _reporting():
        certificates = [c for path in trust for c in load_certificates_pem(path.read_bytes())]
        store = TrustStore.from_certificates(certificates, issuer="cli", purposes={Purpose.XML})
        data = file.read_bytes()
        element_tag = tag or parse_xml(data).tag
        element = verify_xml(
            data, trust=store, issuer="cli", purpose=Purpose.XML, element_tag=element_tag
        )
        typer.echo(element_id(element)[1])


# --- JWT -------------------------------------------------------------------------------


@jwt_app.command("verify")
def jwt_verify(
    token: Annotated[
        str, typer.Argument(metavar="TOKEN", help="Compact JWT, or - to read it from stdin.")
    ],
    *,
    jwks: Annotated[
        Path, typer.Option("--jwks", metavar="FILE", help="JWKS file of the issuer's keys.")
    ],
    iss: Annotated[str, typer.Option("--iss", metavar="ISSUER", help="Expected issuer.")],
    aud: Annotated[str, typer.Option("--aud", metavar="AUDIENCE", help="Expected audience (us).")],
    typ: Annotated[str, typer.Option("--typ", metavar="TYPE", help="Expected typ header.")],
    leeway_seconds: Annotated[
        int, typer.Option(metavar="SECONDS", help="Clock skew allowance.")
    ] = 30,
) -> None:
    """Verify a JWT against a JWKS and print its claims as JSON."""
    from signing.jwt import verify_jwt
    from signing.keys import Purpose
    from signing.truststore import TrustStore

    with _reporting():
        text = sys.stdin.read().strip() if token == STDIN else token.strip()
        store = TrustStore.from_jwks(
            json.loads(jwks.read_text("utf-8")), issuer=iss, purposes={Purpose.JWT}
        )
        claims = verify_jwt(
            text,
            trust=store,
            issuer=iss,
            audience=aud,
            typ=typ,
            leeway=timedelta(seconds=leeway_seconds),
        )
        _print_json(claims)


@jwt_app.command("issue")
def jwt_issue(
    *,
    key: Annotated[Path, typer.Option("--key", metavar="FILE", help="Private key PEM.")],
    iss: Annotated[str, typer.Option("--iss", metavar="ISSUER", help="Issuer (us).")],
    aud: Annotated[str, typer.Option("--aud", metavar="AUDIENCE", help="Audience.")],
    typ: Annotated[
        str,
        typer.Option("--typ", metavar="TYPE", help="typ header, e.g. identity-assertion+jwt."),
    ],
    claims: Annotated[
        str, typer.Option(metavar="JSON", help="Extra claims as a JSON object.")
    ] = "{}",
    lifetime_seconds: Annotated[int, typer.Option(metavar="SECONDS", help="Token lifetime.")] = 300,
) -> None:
    """Sign a JWT (kid = RFC 7638 thumbprint) and print it."""
    from signing.jwt import issue_jwt
    from signing.keys import Purpose, Validity, load_private_key_pem, signing_key

    with _reporting():
        extra = json.loads(claims)
        if not isinstance(extra, dict):
            raise ValueError("--claims must be a JSON object")
        signer = signing_key(
            load_private_key_pem(key.read_bytes()),
            purposes={Purpose.JWT},
            validity=Validity.unbounded(),
        )
        typer.echo(
            issue_jwt(
                extra,
                key=signer,
                issuer=iss,
                audience=aud,
                typ=typ,
                lifetime=timedelta(seconds=lifetime_seconds),
            )
        )
