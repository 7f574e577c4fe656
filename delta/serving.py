"""Running an app under uvicorn with a graceful stop, also with several worker processes.

On SIGTERM a worker stops accepting connections, lets the requests in flight
finish (up to ``grace_seconds``) and exits. With ``--workers N`` uvicorn's
supervisor also keeps a copy of the listening socket while its workers
drain, so the kernel would go on accepting connections that nobody serves
(reset when the supervisor exits; behind nginx a POST there is a 502). Our
supervisor closes its copy first: new connections are refused at once and
nginx sends them to another replica. Either way the caller's clean-up runs
and the process exits 0 after a graceful stop.
"""

from __future__ import annotations

import signal
import socket
import sys
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

_STARTUP_FAILURE = 3  # uvicorn's exit code when a server never started


class _DrainingMultiprocess(Multiprocess):
    def _stop_accepting(self) -> None:
        for listening in self.sockets:
            listening.close()

    def handle_term(self) -> None:
        self._stop_accepting()
        super().handle_term()

    def handle_int(self) -> None:
        self._stop_accepting()
        super().handle_int()


def run(
    app: Any, *, host: str, port: int, workers: int = 1, grace_seconds: float, **options: Any
) -> None:
    """``uvicorn.run`` for our servers (``app``: an import string when ``workers`` > 1)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=max(1, round(grace_seconds)),
        **options,
    )
    if workers > 1:
        listening: socket.socket = config.bind_socket()
        _DrainingMultiprocess(config, sockets=[listening]).run()
        return
    server = uvicorn.Server(config)
    # Once drained, uvicorn raises the stop signal again with the handler it found; with
    # this one that is a no-op, so we return: the caller's clean-up runs and we exit 0.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run()
    except KeyboardInterrupt:  # Ctrl+C: the same stop, raised again as an exception
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not server.started:
        sys.exit(_STARTUP_FAILURE)


def _stopped(_signal: int, _frame: FrameType | None) -> None:
    """SIGTERM after uvicorn has already stopped gracefully: nothing left to do."""
