"""`local-aws serve`: moto's server with the import add-on and the control endpoints,
serving every moto service (KMS, STS, S3, Secrets Manager, SSM, IAM, ...) at one endpoint.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import localaws

log = logging.getLogger("localaws")


def build_app() -> Any:
    """The WSGI app: control endpoints in front of moto's domain dispatcher."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from localaws.control import ControlApp

    localaws.install()
    return ControlApp(DomainDispatcherApplication(create_backend_app))


def serve(host: str, port: int, state_dir: Path | None) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    started = time.perf_counter()
    os.environ.setdefault("MOTO_PORT", str(port))  # moto builds some URLs from it
    app = build_app()
    if state_dir is not None:
        _keep_state(state_dir)
    else:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    log.info("local-aws ready in %.2f s on http://%s:%d", time.perf_counter() - started, host, port)
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def _keep_state(state_dir: Path) -> None:
    from localaws import persistence

    loaded_at = time.perf_counter()
    if persistence.load(state_dir):
        log.info("state loaded from %s in %.2f s", state_dir, time.perf_counter() - loaded_at)
    persistence.configure(state_dir)
    persistence.start_autosave(state_dir)

    def stop(*_: Any) -> None:
        try:  # `offline-stack down` asked for a save (POST /_localaws/save) just before
            persistence.save_now()
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, stop)


# On SIGTERM the server exits at once (after saving, with --state-dir): a clean werkzeug
# shutdown waits on idle keep-alive connections (measured 3-10 s), slowing `offline-down`.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local-aws", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="run the server in the foreground")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=4566)
    run.add_argument(
        "--state-dir", type=Path, default=None, help="folder to keep state in across restarts"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve(args.host, args.port, args.state_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
