"""Durable logs per second through `shiji serve` (SQLite) against a bare decrypt-and-answer
endpoint, both driven over loopback by 32 concurrent simulated phones in the same run.

    python -m tests.bench.bench_callback      (make bench)

Prints throughput, p50/p99 latency, their ratio, and p50/p99 at a steady 500 logs/s.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.settings import Settings
from bot.wecom.simulator import SignedCallback, WeComSimulator

CONCURRENCY = 32
BURST = 12_000        # messages for the throughput phase
STEADY_RATE = 500     # logs/s for the latency phase
STEADY_SECONDS = 10
CADRES = BURST + STEADY_RATE * STEADY_SECONDS
LOG = "上午走访城关社区三户低保家庭核实情况，下午整理民政台账并报送"
BOT_CLOCK = "2026-11-23T09:00:00+08:00"  # a working day, whatever day the bench runs


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_roster(path: Path) -> None:
    lines = ["userid,name,unit,unit_category,role,rank"]
    for i in range(CADRES):
        role = "main_leader" if i % 200 == 0 else "staff"
        lines.append(f"b{i:05d},干部{i:05d},单位{i // 200:03d},district_unit,{role},general")
    path.write_text("\n".join(lines), encoding="utf-8")


async def wait_up(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{base}/healthz"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not start")


def prepare(sim: WeComSimulator, first: int, count: int, timestamp: int) -> list[SignedCallback]:
    return [
        sim.text_message(f"b{i:05d}", f"{LOG}（{i}）", msg_id=900_000_000 + i, create_time=timestamp)
        for i in range(first, first + count)
    ]


async def drive(url: str, calls: list[SignedCallback], *, rate: float | None = None) -> Result:
    """Post every call with CONCURRENCY workers; with `rate`, at that steady pace instead."""
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
                    due = start + index / rate
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent = time.perf_counter()
                async with http.post(f"{url}?{call.query_string}", data=call.body) as resp:
                    body = await resp.read()
                    if resp.status != 200 or not body:
                        failures += 1
                latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return Result(len(calls), time.perf_counter() - start, latencies, failures)


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def main_async() -> None:
    settings = Settings()
    sim = WeComSimulator(
        settings.wecom.token, settings.wecom.encoding_aes_key, settings.wecom.corp_id, settings.wecom.agent_id
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        roster = Path(tmp) / "roster.csv"
        write_roster(roster)
        bot_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "SHIJI_DATABASE__URL": f"sqlite+aiosqlite:///{db}",
            "SHIJI_SERVER__PORT": str(bot_port),
            "SHIJI_CLOCK__START": BOT_CLOCK,
            "SHIJI_WECOM__API_BASE": "http://127.0.0.1:9",  # nothing is pushed in this bench
        }
        shiji = [sys.executable, "-m", "bot"]
        subprocess.run([*shiji, "import-roster", str(roster)], env=env, check=True, capture_output=True)  # noqa: ASYNC221 (set-up, before timing)
        bot = spawn([*shiji, "serve"], env)
        bare = spawn([sys.executable, "-m", "tests.bench.bare_endpoint", str(bare_port)], env)
        try:
            await wait_up(f"http://127.0.0.1:{bot_port}")
            await wait_up(f"http://127.0.0.1:{bare_port}")
            stamp = int(time.time())  # callbacks carry real time, as WeCom's do
            path = settings.wecom.callback_path
            burst = prepare(sim, 0, BURST, stamp)
            steady = prepare(sim, BURST, STEADY_RATE * STEADY_SECONDS, stamp)
            bare_result = await drive(f"http://127.0.0.1:{bare_port}{path}", burst)
            bot_result = await drive(f"http://127.0.0.1:{bot_port}{path}", burst)
            steady_result = await drive(f"http://127.0.0.1:{bot_port}{path}", steady, rate=STEADY_RATE)
        finally:
            for process in (bot, bare):
                process.terminate()
                process.wait(timeout=10)
        with sqlite3.connect(db) as connection:
            stored = connection.execute("SELECT count(*) FROM dailylog").fetchone()[0]

    def line(name: str, r: Result) -> str:
        return (
            f"{name:<26} {r.rate:8.0f} msg/s   p50 {r.pct(0.5):6.1f} ms   p99 {r.pct(0.99):6.1f} ms"
            f"   failures {r.failures}"
        )

    print(f"callback bench: {CONCURRENCY} concurrent phones, {BURST} messages each run, loopback")
    print(line("bare verify+decrypt+reply", bare_result))
    print(line("shiji serve (SQLite)", bot_result))
    print(f"ratio shiji / bare: {bot_result.rate / bare_result.rate:.2f}x")
    print(line(f"shiji at {STEADY_RATE}/s steady", steady_result))
    print(f"durable logs in the database: {stored} of {BURST + len(steady)} sent")
    print(f"mean latency bare {statistics.mean(bare_result.latencies) * 1000:.1f} ms")


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
