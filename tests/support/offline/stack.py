"""Start, find, stop and describe one local AWS server, and select the provider stand-ins.

State of a running stack lives in one folder (`.offline/` for users, a temp dir for tests):
  local-aws.pid, local-aws.port, local-aws.log   the server process
  aws/                                           the server's persisted state
  terraformrc                                    CLI config selecting the stand-ins
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "us-east-1"
HOST = "127.0.0.1"
HEALTH_PATH = "/_localaws/health"
START_TIMEOUT_S = 30.0


class StackError(Exception):
    """A failure the user can act on; printed as one line."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{HEALTH_PATH}", timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _alive(pid: int) -> bool:
    try:  # reap it first if it is our own child, or a dead child would look alive
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class OfflineStack:
    """One local AWS server whose bookkeeping lives in `root`."""

    root: Path

    @property
    def pid_file(self) -> Path:
        return self.root / "local-aws.pid"

    @property
    def port_file(self) -> Path:
        return self.root / "local-aws.port"

    @property
    def cli_config(self) -> Path:
        return self.root / "terraformrc"

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port()}"

    def port(self) -> int:
        try:
            return int(self.port_file.read_text().strip())
        except (OSError, ValueError) as exc:
            raise StackError(
                f"the offline stack in {self.root} is not running: run `make offline-up`"
            ) from exc

    def running(self) -> bool:
        try:
            pid = int(self.pid_file.read_text().strip())
            port = self.port()
        except (OSError, ValueError, StackError):
            return False
        return _alive(pid) and _healthy(port)

    def up(self, persist: bool = True) -> bool:
        """Start the server unless one is already running here; True when started."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        if self.running():
            self._write_cli_config()
            return False
        port = _free_port()
        cmd = [
            str(Path(sys.executable).parent / "local-aws"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        if persist:
            cmd += ["--state-dir", str(self.root / "aws")]
        log = (self.root / "local-aws.log").open("ab")
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.root,
        )
        self.pid_file.write_text(f"{proc.pid}\n")
        self.port_file.write_text(f"{port}\n")
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.down()
                raise StackError(
                    f"the local AWS server did not start; see {self.root / 'local-aws.log'}"
                )
            time.sleep(0.05)
        self._write_cli_config()
        return True

    def down(self, force: bool = False) -> bool:
        """Save the server's state, then stop it, if one runs here; True when one was
        stopped. A save that fails raises StackError and leaves the server running (so
        nothing is lost), unless `force`."""
        stopped = False
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid):
            self._save_before_stop(force)
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
            stopped = True
        for path in (self.pid_file, self.port_file):
            path.unlink(missing_ok=True)
        return stopped

    @contextmanager
    def serving(self, persist: bool = False) -> Iterator[OfflineStack]:
        """A server this process starts for a test and stops (stop_child) after it."""
        self.up(persist=persist)
        try:
            yield self
        finally:
            self.stop_child()

    def stop_child(self, sig: int = signal.SIGTERM) -> None:
        """Stop a server this process started, then down(). Our child stays a zombie until
        reaped, which down() would count as alive for its full 10 s. SIGTERM saves first;
        SIGKILL loses whatever is not saved yet."""
        pid = int(self.pid_file.read_text())
        with suppress(ProcessLookupError, ChildProcessError):  # it may be gone already
            os.killpg(pid, sig)
            os.waitpid(pid, 0)
        self.down()

    def _save_before_stop(self, force: bool) -> None:
        try:
            port = self.port()
        except StackError:
            return
        if not _healthy(port):
            return
        try:
            result = self.control("POST", "/_localaws/save")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # a server from before /_localaws/save: SIGTERM saves
                return
            failures = {"server": str(exc)}
        except (urllib.error.URLError, OSError, ValueError) as exc:
            failures = {"server": str(exc)}
        else:
            failures = result.get("failures", {}) if isinstance(result, dict) else {}
        if failures and not force:
            what = "; ".join(f"{part}: {error}" for part, error in sorted(failures.items()))
            raise StackError(
                f"could not save the local AWS's state ({what}); it keeps running so nothing "
                f"is lost (see {self.root / 'local-aws.log'}); "
                "`offline-stack down --force` stops it anyway"
            )

    def control(self, method: str, path: str, body: dict[str, object] | None = None) -> object:
        """Call the local AWS's control API (/_localaws/..., /moto-api/...); returns its JSON."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            self.endpoint + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            text = resp.read()
        return json.loads(text) if text.strip().startswith((b"{", b"[")) else None

    def reset(self) -> None:
        """Forget every resource, call record, fault, STS switch and clock offset (tests'
        clean slate)."""
        self.control("POST", "/moto-api/reset")
        self.control("POST", "/_localaws/clock", {"reset": True})
        self.control("POST", "/_localaws/faults", {})
        self.control("POST", "/_localaws/sts", {})
        self.control("DELETE", "/_localaws/calls")

    def client(self, service: str, region: str = REGION, **credentials: str) -> Any:
        """A boto3 client on this stack, with the test keys unless `credentials` name others
        (aws_access_key_id=..., aws_secret_access_key=..., aws_session_token=...)."""
        import boto3  # here: `offline-stack up/down` itself needs no boto3

        keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, **keys)

    def env(self) -> dict[str, str]:
        """The variables that point boto3, the AWS CLI and Terraform at this stack."""
        endpoint = self.endpoint
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_KMS": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "KMS_IMPORT_OFFLINE_DIR": str(self.root),
        }
        if self.cli_config.exists():
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config)
        return env

    def _write_cli_config(self) -> None:
        try:
            from standins.install import write_cli_config
        except ImportError:  # the provider stand-ins are not built yet
            return
        write_cli_config(self.cli_config)


# Variables that would steer boto3 or the CLI away from the stack; cleared by `env`.
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _print_env(stack: OfflineStack) -> None:
    for name in _UNSET:
        print(f"unset {name}")
    for name, value in stack.env().items():
        print(f"export {name}={shlex.quote(value)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="offline-stack", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "env", "status", "install"])
    parser.add_argument(
        "--force", action="store_true", help="down: stop even when the state cannot be saved"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(".offline"),
        help="folder for the stack's pid, port, state and CLI config",
    )
    args = parser.parse_args(argv)
    stack = OfflineStack(args.dir.resolve())
    try:
        if args.command == "up":
            started = stack.up()
            verb = "started" if started else "already running"
            print(f"local AWS {verb} at {stack.endpoint} (state in {stack.root})", file=sys.stderr)
        elif args.command == "down":
            print(
                "local AWS stopped"
                if stack.down(force=args.force)
                else "local AWS was not running",
                file=sys.stderr,
            )
        elif args.command == "status":
            print(f"running at {stack.endpoint}" if stack.running() else "not running")
        elif args.command == "install":
            from standins.install import install_launchers

            install_launchers()
        else:
            if not stack.running():
                raise StackError("the offline stack is not running: run `make offline-up` first")
            _print_env(stack)
    except StackError as exc:
        print(f"offline-stack: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
