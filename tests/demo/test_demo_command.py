"""Issue 27 §4: `shiji demo` as a newcomer runs it, in a process of its own. A busy port is one
Chinese line naming it and free ones to use instead (not a 30-line OSError after seeding);
Ctrl-C ends with 「已停止」 and exit 0 (so `make demo` prints no 「Error 130」), whether the
district is still being prepared or already running; the months of scheduled jobs replayed
before the page's address are not INFO lines."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.settings import REPO_ROOT

START = "2026-11-24T15:00:00+08:00"  # the demo's clock: a Tuesday, weeks after its go-live
READY = "在浏览器中打开"
PREPARING = "正在准备示例区"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo_process(cwd: Path, *args: str, **env: str) -> Iterator[subprocess.Popen[str]]:
    """`shiji demo` as `make demo` runs it, in a folder of its own, its stderr in a file;
    killed if the test leaves it running."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SHIJI_")}
    with (cwd / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", *args], cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=stderr,
            env={**clean, "PYTHONPATH": str(REPO_ROOT), "SHIJI_CLOCK__START": START, **env},
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()


class Output:
    """The demo's stdout, line by line as it prints them, read on a thread of its own."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        stream = process.stdout
        threading.Thread(target=lambda: [*map(self.lines.put, stream), self.lines.put(None)], daemon=True).start()

    def until(self, wanted: str, timeout: float = 600) -> list[str]:
        """The lines up to the first that contains `wanted`."""
        deadline = time.monotonic() + timeout
        while not any(wanted in line for line in self.seen):
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            assert line is not None, f"the demo ended before printing {wanted!r}: {self.seen}"
            self.seen.append(line)
        return self.seen

    def rest(self) -> list[str]:
        """Every line, once the process has ended."""
        while (line := self.lines.get(timeout=60)) is not None:
            self.seen.append(line)
        return self.seen


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something else already listens on (another demo, another program)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_a_busy_port_is_one_line_naming_it_and_free_ports_to_use(tmp_path: Path, listening: int) -> None:
    with demo_process(tmp_path, "--port", str(listening), "--bot-port", str(free_port())) as process:
        out, _ = process.communicate(timeout=240)
    err = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert process.returncode == 2
    assert PREPARING not in out  # nothing was started, nothing seeded
    assert not (tmp_path / "data" / "demo.db").exists()
    [line] = err.strip().splitlines()
    assert f"端口 {listening}（演示页面）已被占用" in line
    # …and how to choose others: free ones, for make and for shiji itself.
    assert "make demo DEMO_PORT=" in line and "shiji demo --port" in line
    page = int(line.split("DEMO_PORT=")[1].split()[0])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", page))  # the suggested port is indeed free


@pytest.mark.parametrize("when", ["running", "preparing"])
def test_ctrl_c_stops_the_demo_with_a_word_and_exit_0(tmp_path: Path, when: str) -> None:
    page = free_port()
    # Other ports by the settings' environment this time (--port and --bot-port are the other way).
    ports = {"SHIJI_WECOM__API_BASE": f"http://127.0.0.1:{page}", "SHIJI_SERVER__PORT": str(free_port())}
    with demo_process(tmp_path, **ports) as process:
        output = Output(process)
        output.until(READY if when == "running" else PREPARING)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground
        process.wait(timeout=240)
        shown = output.rest()
        out = "".join(shown)
    err = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert process.returncode == 0, err[-2000:]
    assert out.strip().splitlines()[-1] == "已停止"
    assert "Traceback" not in err
    if when == "running":
        address = next(line for line in shown if READY in line)
        assert f"http://127.0.0.1:{page}/" in address
        assert any(f"shiji chat --as chengguan_wuhao --port {page}" in line for line in shown)
        # Which database it uses: its own, named in full, also in the line for CLI commands.
        database = str((tmp_path / "data" / "demo.db").resolve())
        assert database in err.splitlines()[0]
        assert any(f"SHIJI_DATABASE__URL=sqlite+aiosqlite:///{database} " in line for line in shown)
        # Months of replayed jobs, but not one INFO line of them (they are DEBUG: `-v` shows them).
        assert [line for line in err.splitlines() if " INFO " in line] == []
