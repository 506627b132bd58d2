"""A PostgreSQL server of a test's own: `initdb` in a temporary directory, on a free loopback
port, so that a test may restart or crash it without touching the shared server."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TOOLS = ("initdb", "pg_ctl", "postgres")
SERVER_USER = "postgres"  # initdb refuses to run as root: as root, the server runs as this user


def find_binaries() -> Path | None:
    """`SHIJI_TEST_PG_BIN`, else the newest /usr/lib/postgresql/*/bin (Debian), else PATH."""
    candidates = [Path(os.environ["SHIJI_TEST_PG_BIN"])] if os.environ.get("SHIJI_TEST_PG_BIN") else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major, reverse=True)
    if (on_path := shutil.which("pg_ctl")) is not None:
        candidates.append(Path(on_path).parent)
    return next((c for c in candidates if all((c / tool).is_file() for tool in TOOLS)), None)


def _major(bin_dir: Path) -> int:
    match = re.fullmatch(r"\d+", bin_dir.parent.name)
    return int(match.group()) if match else 0


def missing_reason() -> str | None:
    """Why a cluster cannot be made here, or None when it can."""
    if find_binaries() is None:
        return f"no PostgreSQL server binaries ({', '.join(TOOLS)}); set SHIJI_TEST_PG_BIN"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser to start PostgreSQL as another user"
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresCluster:
    bin: Path
    root: Path  # owned by the server's user: data directory, log and socket
    port: int

    @classmethod
    def create(cls) -> PostgresCluster:
        """initdb (trust auth) and start; the caller must `remove()` it."""
        bin_dir = find_binaries()
        if bin_dir is None:
            raise RuntimeError(missing_reason())
        root = Path(tempfile.mkdtemp(prefix="shiji-pg-"))
        cluster = cls(bin_dir, root, _free_port())
        try:
            if os.geteuid() == 0:
                shutil.chown(root, SERVER_USER)
            cluster._tool("initdb", "-D", str(cluster.data), "--auth=trust", "-U", "postgres",
                          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            cluster.start()
        except BaseException:
            cluster.remove()
            raise
        return cluster

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def admin_url(self) -> str:
        """For asyncpg directly."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """For the bot (SQLAlchemy on asyncpg)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> float:
        return self._tool(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}",
            "start",
        )

    def stop(self) -> float:
        return self._tool("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")

    def restart(self, mode: str) -> float:
        """`pg_ctl restart -m fast|immediate` (immediate is a crash: recovery at start), with
        the options it was started with; returns how long the server was away, in seconds."""
        return self._tool("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-m", mode, "restart")

    def remove(self) -> None:
        """Stop the server if it runs and delete everything it wrote."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._tool("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _tool(self, name: str, *args: str) -> float:
        command = [str(self.bin / name), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)} failed ({done.returncode}): {done.stderr or done.stdout}")
        return time.monotonic() - started
