"""Durable logs per second through the encrypted callback: shiji against a bare endpoint and a
naive peer, on SQLite and on PostgreSQL, all measured in the same run.

    python -m tests.bench.bench_callback [--burst 12000] [--steady-seconds 10]   (make bench)

Each server runs alone in its own process while 32 concurrent simulated phones post over
loopback, a fresh cadre per message, each request signed and stamped at the current time
(the bot's business clock starts on a working day, whatever day the bench runs). Prints one
table per database with each server's rate as a multiple of the peer's and of the bare
stack's, then p50/p99 at a steady 500 logs/s. On PostgreSQL shiji runs once as one process
and once as two replicas (two `shiji serve` on one database, the phones' requests spread
over both: their aggregate rate).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.settings import Settings
from bot.startup_check import env_var
from bot.testing.simulator import SignedCallback, WeComSimulator
from tests.harness import ADMIN, TEST_WECOM, start_test_standin

CONCURRENCY = 32
GOAL = "≥ 3× peer and ≥ 0.4× bare"
STEADY_RATE = 500  # logs/s for the latency phase
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送"
BOT_CLOCK = "2026-11-23T09:00:00+08:00"  # a working day, whatever day the bench runs
PG_ADMIN_URL = os.environ.get("SHIJI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Result:
    count: int
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


@dataclass(frozen=True)
class Server:
    """One contender: how to start it and how to count what it stored."""

    name: str
    database: str
    command: list[str]
    env: dict[str, str]
    stored: Callable[[], int] | None  # None: stores nothing (the bare stack)
    shiji: bool = False  # gets the steady-rate run
    replicas: int = 1  # processes on one database, each on a port of its own


@dataclass
class Row:
    server: Server
    burst: Result
    steady: Result | None
    stored: int | None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_roster(path: Path, cadres: int) -> None:
    lines = ["userid,name,unit,unit_category,role,rank"]
    for i in range(cadres):
        role = "main_leader" if i % 200 == 0 else "staff"
        lines.append(f"b{i:06d},干部{i:06d},单位{i // 200:04d},district_unit,{role},general")
    path.write_text("\n".join(lines), encoding="utf-8")


async def wait_up(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


def prepare(sim: WeComSimulator, first: int, count: int) -> list[SignedCallback]:
    """Signed now: transport checks run on wall-clock time, so stamps are as fresh as WeCom's."""
    stamp = int(time.time())
    return [
        sim.text_message(f"b{i:06d}", f"{LOG}（{i}）", msg_id=900_000_000 + i, create_time=stamp)
        for i in range(first, first + count)
    ]


async def drive(urls: Sequence[str], calls: list[SignedCallback], *, rate: float | None = None) -> Result:
    """Post every call with CONCURRENCY workers, call i to urls[i % len(urls)] (replicas take
    turns); with `rate`, at that steady pace instead."""
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[tuple[int, SignedCallback]] = asyncio.Queue()
    for item in enumerate(calls):
        queue.put_nowait(item)
    start = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                index, call = queue.get_nowait()
                if rate is not None:
                    delay = start + index / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent = time.perf_counter()
                url = urls[index % len(urls)]
                async with http.post(f"{url}?{call.query_string}", data=call.body) as resp:
                    body = await resp.read()
                    if resp.status != 200 or not body:
                        failures += 1
                latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return Result(len(calls), time.perf_counter() - start, latencies, failures)


def spawn(server: Server, port: int) -> subprocess.Popen[bytes]:
    env = {**server.env, "SHIJI_SERVER__PORT": str(port)}
    command = [part.replace("{port}", str(port)) for part in server.command]
    # To a file, not a pipe: a server that logs a lot would block on a full pipe.
    log = Path(server.env["BENCH_LOGS"]) / f"{server.name.split(':')[0]}-{port}.log"
    with log.open("wb") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)


@asynccontextmanager
async def running(server: Server, port: int) -> AsyncIterator[None]:
    process = spawn(server, port)
    try:
        await wait_up(f"http://127.0.0.1:{port}")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def measure(server: Server, sim: WeComSimulator, path: str, burst: int, steady_n: int) -> Row:
    ports = [free_port() for _ in range(server.replicas)]
    async with contextlib.AsyncExitStack() as replicas:
        for port in ports:
            await replicas.enter_async_context(running(server, port))
        urls = [f"http://127.0.0.1:{port}{path}" for port in ports]
        burst_result = await drive(urls, prepare(sim, 0, burst))
        steady = None
        if server.shiji and steady_n:
            steady = await drive(urls, prepare(sim, burst, steady_n), rate=STEADY_RATE)
    return Row(server, burst_result, steady, None if server.stored is None else server.stored())


def sqlite_count(path: Path, table: str) -> Callable[[], int]:
    def count() -> int:
        with sqlite3.connect(path) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    return count


def pg_count(url: str, table: str) -> Callable[[], int]:
    def count() -> int:
        import psycopg

        with psycopg.connect(url) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]

    return count


def pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception:
        return False
    return True


def pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def import_roster(env: dict[str, str], roster: Path) -> None:
    subprocess.run([sys.executable, "-m", "bot", "import-roster", str(roster)], env=env, check=True,
                   capture_output=True)


def print_table(title: str, rows: Sequence[Row], bare: Row) -> None:
    peer = next(r for r in rows if not r.server.shiji)
    print(f"\n{title}")
    print(f"| {'server':<44} | {'database':<20} | logs/s | p50 ms | p99 ms | × peer | × bare | stored |")
    print(f"|{'-' * 46}|{'-' * 22}|-------:|-------:|-------:|-------:|-------:|-------:|")
    for row in (bare, *rows):
        r = row.burst
        stored = "-" if row.stored is None else f"{row.stored:,}"
        fails = f" ({r.failures} failed)" if r.failures else ""
        print(f"| {row.server.name + fails:<44} | {row.server.database:<20} | {r.rate:6,.0f} | "
              f"{r.pct(0.5):6.1f} | {r.pct(0.99):6.1f} | {r.rate / peer.burst.rate:5.2f}× | "
              f"{r.rate / bare.burst.rate:5.2f}× | {stored:>6} |")


def print_steady(rows: Sequence[Row]) -> None:
    print(f"\nsteady {STEADY_RATE} logs/s (goal: p99 < 50 ms)")
    print(f"| {'server':<44} | {'database':<20} | achieved/s | p50 ms | p99 ms | failed |")
    print(f"|{'-' * 46}|{'-' * 22}|-----------:|-------:|-------:|-------:|")
    for row in rows:
        if row.steady is None:
            continue
        s = row.steady
        print(f"| {row.server.name:<44} | {row.server.database:<20} | {s.rate:10,.0f} | "
              f"{s.pct(0.5):6.1f} | {s.pct(0.99):6.1f} | {s.failures:6} |")


async def main_async(burst: int, steady_seconds: int) -> list[Row]:
    settings = Settings(wecom=TEST_WECOM, admin={"userids": [ADMIN]})
    wecom = settings.wecom
    sim = WeComSimulator(wecom.token, wecom.encoding_aes_key, wecom.corp_id, wecom.agent_id)
    steady_n = STEADY_RATE * steady_seconds
    standin, standin_url, _ = await start_test_standin()
    python = sys.executable
    base_env = {
        **os.environ,
        "SHIJI_CLOCK__START": BOT_CLOCK,
        # A stand-in that takes what the bot pushes (the start-up catch-up's weekly digest…), as
        # WeCom would: an unreachable API made the outbox sender claim, fail and hand back the same
        # rows all through the burst, a writer the production bot never has beside its logs.
        "SHIJI_WECOM__API_BASE": standin_url,
        **{env_var("wecom", key): str(value) for key, value in TEST_WECOM.items()},
        env_var("admin", "userids"): json.dumps([ADMIN]),
        "PEER_TOKEN": wecom.token, "PEER_AES_KEY": wecom.encoding_aes_key, "PEER_CORP_ID": wecom.corp_id,
    }
    shiji = [python, "-m", "bot", "serve"]
    peer = [python, "-m", "gunicorn", "-w", "1", "-k", "sync", "-b", "127.0.0.1:{port}",
            "--log-level", "warning", "tests.bench.peers.naive_peer:app"]
    pg_name = f"shiji_bench_{uuid.uuid4().hex[:8]}"
    pg_replicas = f"{pg_name}_2"  # the two replicas' own database, the same roster
    with tempfile.TemporaryDirectory(prefix=".bench-", dir=Path.cwd()) as tmp:  # on disk: fsync must be real
        work = Path(tmp)
        base_env["BENCH_LOGS"] = str(work)
        roster = work / "roster.csv"
        write_roster(roster, burst + steady_n)
        template = work / "template.db"
        import_roster({**base_env, "SHIJI_DATABASE__URL": f"sqlite+aiosqlite:///{template}"}, roster)

        def shiji_sqlite(sync: str) -> Server:
            db = work / f"shiji-{sync}.db"
            shutil.copy(template, db)
            env = {**base_env, "SHIJI_DATABASE__URL": f"sqlite+aiosqlite:///{db}",
                   "SHIJI_DATABASE__SQLITE_SYNCHRONOUS": sync}
            return Server("shiji serve", f"SQLite WAL, {sync}", shiji, env, sqlite_count(db, "dailylog"), True)

        peer_db = work / "peer.db"
        bare = Server("bare aiohttp: verify+decrypt+encrypted reply", "no storage",
                      [python, "-m", "tests.bench.bare_endpoint", "{port}"], base_env, None)
        sqlite_servers = [
            Server("naive peer: wechatpy+Flask+gunicorn, 1 worker", "SQLite WAL, FULL", peer,
                   {**base_env, "PEER_DATABASE": str(peer_db)}, sqlite_count(peer_db, "peer_log")),
            shiji_sqlite("FULL"),
            shiji_sqlite("NORMAL"),
        ]
        pg_servers: list[Server] = []
        if pg_available():
            pg_admin(f'CREATE DATABASE "{pg_name}"')
            host = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
            plain_url = f"postgresql://{host}/{pg_name}"
            shiji_pg = {**base_env, "SHIJI_DATABASE__URL": f"postgresql+asyncpg://{host}/{pg_name}"}
            import_roster(shiji_pg, roster)
            pg_admin(f'CREATE DATABASE "{pg_replicas}" TEMPLATE "{pg_name}"')
            replicas_url = f"postgresql://{host}/{pg_replicas}"
            replicas_env = {**shiji_pg, "SHIJI_DATABASE__URL": f"postgresql+asyncpg://{host}/{pg_replicas}"}
            pg_servers = [
                Server("naive peer: wechatpy+Flask+gunicorn, 1 worker", "PostgreSQL", peer,
                       {**base_env, "PEER_DATABASE": plain_url}, pg_count(plain_url, "peer_log")),
                Server("shiji serve", "PostgreSQL", shiji, shiji_pg, pg_count(plain_url, "dailylog"), True),
                Server("shiji serve ×2 replicas (aggregate)", "PostgreSQL, shared", shiji, replicas_env,
                       pg_count(replicas_url, "dailylog"), True, replicas=2),
            ]
        try:
            path = wecom.callback_path
            bare_row = await measure(bare, sim, path, burst, steady_n)
            sqlite_rows = [await measure(s, sim, path, burst, steady_n) for s in sqlite_servers]
            pg_rows = [await measure(s, sim, path, burst, steady_n) for s in pg_servers]
        finally:
            await standin.cleanup()
            if pg_servers:
                pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                pg_admin(f'DROP DATABASE IF EXISTS "{pg_replicas}" WITH (FORCE)')

    print(f"callback bench: {CONCURRENCY} concurrent phones over loopback, {burst:,} messages per "
          f"server, a fresh cadre per message; {os.cpu_count()} cores shared with the load generator")
    print_table(f"SQLite (goal: shiji {GOAL})", sqlite_rows, bare_row)
    if pg_rows:
        print_table(f"PostgreSQL 127.0.0.1:5432 (goal: shiji {GOAL}, one process and two replicas alike)",
                    pg_rows, bare_row)
    else:
        print("\nPostgreSQL: not reachable at", PG_ADMIN_URL, "- skipped")
    print_steady([*sqlite_rows, *pg_rows])
    return [bare_row, *sqlite_rows, *pg_rows]


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=12_000)
    parser.add_argument("--steady-seconds", type=int, default=10)
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args.burst, args.steady_seconds))


if __name__ == "__main__":
    main()
