"""`fabrique run` on a fresh database: everything ready, then Ctrl-C stops every process cleanly."""

import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import psutil

from shared.components import components
from shared.settings import PROJECT_ROOT

PORT_OFFSET = 20_000 + os.getpid() % 500 * 10


def test_fabrique_run_starts_everything_ready_and_ctrl_c_stops_it_all():
    data_dir = PROJECT_ROOT / ".data" / f"run-test-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k not in ("FABRIQUE_DATABASE_URL", "DATABASE_URL")}
    env |= {"FABRIQUE_DATA_DIR": str(data_dir), "FABRIQUE_PORT_OFFSET": str(PORT_OFFSET),
            "FABRIQUE_LOG_LEVEL": "WARNING"}
    # Started with SIGINT ignored, as a shell's background job is: Ctrl-C must still stop it all.
    process = subprocess.Popen([sys.executable, "-m", "shared.cli", "run", "--no-seed"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        output = ""
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything" not in output and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line or process.poll() is None, f"fabrique run exited early:\n{output}"
            output += line
        assert "Fabrique is ready" in output, output
        children = psutil.Process(process.pid).children(recursive=True)
        for component in components():
            port = component.port + PORT_OFFSET
            assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200, component.name
        postgres_pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])

        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        output += process.stdout.read()
        assert "all processes stopped" in output
        assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)
        assert not psutil.pid_exists(postgres_pid) or psutil.Process(postgres_pid).status() == psutil.STATUS_ZOMBIE
    finally:
        if process.poll() is None:  # the test failed: leave no orphan behind
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
        pid_file = data_dir / "postgres" / "postmaster.pid"
        if pid_file.exists() and psutil.pid_exists(pid := int(pid_file.read_text().split()[0])):
            psutil.Process(pid).terminate()
        shutil.rmtree(data_dir, ignore_errors=True)
