"""Real web processes for the tests that need several: gunicorn, as production runs it, on
the test database (PostgreSQL only: an SQLite test database lives in the test's memory).

`web_processes` starts them on free loopback ports, waits until /healthz answers, and stops
them before the test ends, so the test database can be dropped.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="other processes cannot open the SQLite test database, which lives in memory",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    settings = connection.settings_dict
    user = quote(settings["USER"] or "")
    password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@contextmanager
def web_processes(count: int = 2, *, workers: int = 2, env: dict | None = None):
    """`count` gunicorn servers (each with `workers` processes) on the test database, each
    with its own temporary directory (as separate hosts would have); yields their base URLs."""
    servers = []
    try:
        for _ in range(count):
            port = _free_port()
            scratch = tempfile.mkdtemp(prefix="orgdesign-web-")
            log = open(Path(scratch) / "gunicorn.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "orgdesign.wsgi",
                    "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                    "--timeout", "60", "--preload",
                ],
                cwd=BASE_DIR,
                env={
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "orgdesign.settings_test",
                    "DATABASE_URL": _database_url(),
                    # Connections closed after each request: nothing holds the test database.
                    "DJANGO_CONN_MAX_AGE": "0",
                    "TMPDIR": scratch,
                    **(env or {}),
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            servers.append((process, f"http://127.0.0.1:{port}", log))
        for process, url, log in servers:
            _wait_until_up(process, url, log)
        yield [url for _, url, _ in servers]
    finally:
        for process, _, _ in servers:
            process.terminate()
        for process, _, log in servers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_until_up(process, url: str, log) -> None:
    # Generous: on a loaded 2-core machine a worker takes seconds to import Django.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.flush()
            raise RuntimeError(f"gunicorn stopped: {Path(log.name).read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or listening but still starting its workers
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn at {url} did not answer /healthz within 120 s")


def browser_session(server: str, username: str, password: str) -> requests.Session:
    """A requests session logged in through the login form of `server`."""
    session = requests.Session()
    session.get(f"{server}/accounts/login/", timeout=60)
    answer = session.post(f"{server}/accounts/login/", timeout=60, data={
        "username": username, "password": password,
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, headers={"Referer": f"{server}/accounts/login/"})
    assert answer.status_code == 200 and "/accounts/login/" not in answer.url, answer.text[:500]
    return session
