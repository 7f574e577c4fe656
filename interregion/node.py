"""One running region node: its settings, folder, database, keys, registry view and audit log.

Everything a request handler needs hangs off :class:`Node`; the app factory
builds one per process (``create_node_app``) and the CLI builds one for
``delta audit verify``. State lives under ``$DELTA_HOME/nodes/<code>/``:
``node.db`` (unless PostgreSQL is configured), ``secrets.json`` (the
pairwise-identifier and cookie keys, 0600), ``registry.jws`` (the last good
registry copy) and ``audit.head``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from delta import metrics, migrations
from delta.db import make_engine, make_session_factory, transaction
from delta.settings import Settings
from interregion.audit.flood import RefusalLimiter
from interregion.audit.service import AuditLog
from interregion.clock import utcnow
from interregion.db import ensure_schema, node_database_url
from interregion.federation.client import open_registry_client
from interregion.identity import service as identity
from interregion.replay import SqlReplayCache
from interregion.sso import repository, sessions
from interregion.window.models import WindowCode
from signing.federation import FederationRegistry, Member, active_signing_key
from signing.keys import Purpose, SigningKey
from signing.keystore import KeyDirectory
from signing.registry_client import RegistryClient
from signing.xml_parsing import XmlLimits
from standards.regions import DELTA_PROVINCES, get

log = logging.getLogger(__name__)
HOUSEKEEPING_INTERVAL = timedelta(minutes=10)


class NodeConfigurationError(RuntimeError):
    """The node cannot start as configured (unknown region, no registry, no keys)."""


@dataclass(frozen=True)
class NodeSecrets:
    pairwise_key: bytes
    cookie_key: bytes


def node_folder(settings: Settings, region_code: str) -> Path:
    return settings.home_dir / "nodes" / region_code


def load_node_secrets(path: Path) -> NodeSecrets:
    """Read the node's secrets, creating them (0600, never overwritten) on first start."""
    if not path.exists():
        body = json.dumps(
            {"pairwise_key": secrets.token_hex(32), "cookie_key": secrets.token_hex(32)}
        ).encode()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process of this node won the race; read what it wrote
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(body)
    data = json.loads(path.read_text("utf-8"))
    return NodeSecrets(bytes.fromhex(data["pairwise_key"]), bytes.fromhex(data["cookie_key"]))


class Node:
    def __init__(
        self,
        *,
        settings: Settings,
        region_code: str,
        folder: Path,
        engine: Engine,
        registry: RegistryClient,
        node_secrets: NodeSecrets,
    ) -> None:
        self.settings = settings
        self.region_code = region_code
        self.folder = folder
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)
        self.registry = registry
        self.secrets = node_secrets
        self.replay_cache = SqlReplayCache(engine)
        self._keys: dict[str, SigningKey] = {}
        self._housekeeping_stop = threading.Event()
        self.audit = AuditLog(
            sessions=self.sessions,
            signing_key=lambda: self.signing_key(Purpose.JWT),
            head_path=folder / "audit.head",
            fold_window=timedelta(seconds=settings.node_audit_fold_seconds),
        )
        # Per process (a node serves from one): see interregion/audit/flood.py.
        self.refusal_limiter = RefusalLimiter(
            limit=settings.node_refusal_limit,
            window_seconds=settings.node_refusal_window_seconds,
        )
        from interregion.exchange.service import Exchange  # late: the exchange routes need us

        self.exchange = Exchange(
            self,
            timeout_seconds=settings.node_exchange_timeout_seconds,
            rate_per_minute=settings.node_exchange_rate_per_minute,
        )

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, region_code: str, *, refresh: bool = True) -> Node:
        """Migrate the node database, load secrets, fetch and verify the registry."""
        region = get(region_code)
        if region_code not in DELTA_PROVINCES or region is None:
            raise NodeConfigurationError(
                f"{region_code} is not one of {', '.join(DELTA_PROVINCES)}"
            )
        folder = node_folder(settings, region_code)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        url = node_database_url(
            shared_url=settings.database_url, node_dir=folder, region_code=region_code
        )
        ensure_schema(url)
        migrations.upgrade(url, package="interregion")
        engine = make_engine(url)
        metrics.instrument_engine(engine, database="node")
        registry = open_registry_client(settings, cache_path=folder / "registry.jws")
        try:
            registry.refresh()
        except Exception as error:  # a node can still start on its last good copy
            log.warning("federation registry refresh failed at start: %s", error)
        node = cls(
            settings=settings,
            region_code=region_code,
            folder=folder,
            engine=engine,
            registry=registry,
            node_secrets=load_node_secrets(folder / "secrets.json"),
        )
        try:
            node.member()
        except Exception as error:
            node.close()
            raise NodeConfigurationError(
                f"the federation registry does not list {region_code}: {error}"
            ) from error
        if settings.node_demo_accounts and settings.env != "production":
            with node.transaction() as session:
                created = identity.seed_demo_accounts(session, region_code=region_code)
            if created:
                log.info("created %d demo accounts for %s", created, region_code)
            node.seed_demo_licences()
        if refresh:
            registry.start()
            node._start_housekeeping()
            node.audit.folding.start()
        return node

    def seed_demo_licences(self) -> None:
        """The region's demo departments and the demo people's licences (first start only)."""
        from interregion.licences.demo import seed_licences

        with self.transaction() as session:
            created = seed_licences(session, node=self, now=utcnow())
        if created:
            log.info("issued %d demo licences in %s", created, self.region_code)

    def close(self) -> None:
        self._housekeeping_stop.set()
        self.registry.stop()
        self.exchange.close()
        self.audit.close()  # folded refusal counts still in memory go into the chain
        self.engine.dispose()

    # -- housekeeping -------------------------------------------------------------------

    def purge_expired(self) -> None:
        """Forget sessions, pending logins, seen assertions and codes that can no longer matter."""
        now = utcnow()
        with self.transaction() as session:
            sessions.purge_expired(session, now=now)
            repository.purge_expired(session, now=now)
            session.execute(delete(WindowCode).where(WindowCode.expires_at <= now))
        self.replay_cache.purge_expired(int(now.timestamp()))

    def _start_housekeeping(self) -> None:
        def run() -> None:
            while not self._housekeeping_stop.wait(HOUSEKEEPING_INTERVAL.total_seconds()):
                try:
                    self.purge_expired()
                except Exception:  # a failed purge must never stop the node
                    log.exception("housekeeping failed")

        threading.Thread(target=run, name=f"housekeeping-{self.region_code}", daemon=True).start()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    # -- the federation -----------------------------------------------------------------

    def federation(self) -> FederationRegistry:
        return self.registry.registry()

    def member(self) -> Member:
        return self.federation().member(self.region_code)

    @property
    def entity_id(self) -> str:
        return self.member().entity_id

    def endpoint(self, name: str) -> str:
        return self.member().endpoints[name]

    def signing_key(self, purpose: str = Purpose.SAML) -> SigningKey:
        """The key the registry names ``current`` for us; reloaded after a rotation."""
        member = self.member()
        kid = member.current_key_id(purpose)
        if kid not in self._keys:
            directory = KeyDirectory(self.settings.home_dir)
            self._keys = {
                entry.kid: directory.region_key(self.region_code, entry.kid)
                for entry in directory.entries(self.region_code)
            }
        return active_signing_key(member, purpose=purpose, private_keys=self._keys)

    # -- limits and clocks --------------------------------------------------------------

    @property
    def xml_limits(self) -> XmlLimits:
        return XmlLimits(max_bytes=self.settings.max_xml_bytes)

    @property
    def skew(self) -> timedelta:
        return timedelta(seconds=self.settings.node_clock_skew_seconds)

    @property
    def assertion_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.node_assertion_lifetime_seconds)

    @property
    def request_lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.node_request_lifetime_seconds)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(minutes=self.settings.node_session_minutes)
