"""The directory where worker processes keep their metrics (prometheus-client's
multi-process mode). Separate from delta.metrics because it must run before
prometheus-client is imported: the library chooses its mode at import.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
_PREFIX = "delta-metrics-"


def prepare() -> Path:
    """Before a server starts its workers: an empty directory for their metric files.

    Honours an operator's ``PROMETHEUS_MULTIPROC_DIR`` (emptied: files of an
    earlier run would be counted again; one directory per server); otherwise
    makes a private temporary one. :func:`remove` it when the server stops.
    """
    if "prometheus_client" in sys.modules and not os.environ.get(ENV):
        raise RuntimeError("prometheus_client was imported before its multi-process mode was set")
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix=_PREFIX))
    os.environ[ENV] = str(path)
    return path


def remove(path: Path) -> None:
    """Remove a directory :func:`prepare` made; an operator's own directory stays."""
    if path.name.startswith(_PREFIX) and path.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(path, ignore_errors=True)
