"""Throughput against the real server: gunicorn on 127.0.0.1 (two workers, DEBUG off, as
production runs it), a bounded load from `wrk` (Debian's package) for a fixed time on each
URL, with `/healthz` in the same run as the server's own floor. Called by
`benchmarks/bench.py`; nothing leaves the loopback address.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.request import urlopen

BASE_DIR = Path(__file__).resolve().parent.parent
CONNECTIONS = 4  # the bound: four requests in flight at most
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, headers: dict[str, str]) -> dict:
    """Requests per second, p50 and p99 latency, and the answers that were not 2xx."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": round(_milliseconds(latency["50"]), 1),
        "p99_ms": round(_milliseconds(latency["99"]), 1),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def measure(targets: dict[str, tuple[str, dict]], seconds: int) -> dict | None:
    """{name: wrk figures} for each (path, headers) of `targets`, or None without wrk."""
    if shutil.which("wrk") is None:
        print("throughput: wrk is not installed (apt-get install wrk); skipped", flush=True)
        return None
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "orgdesign.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--timeout", "120"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orgdesign.settings_test",
             "DJANGO_DEBUG": "0", "ORGDESIGN_API_RATE": "100000000/min",
             "DJANGO_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        results = {}
        for name, (path, headers) in targets.items():
            # wrk counts a redirect (to the login page, say) as an answer: check the page.
            connection = HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", path, headers=headers)
            status = connection.getresponse().status
            connection.close()
            if status != 200:
                raise RuntimeError(f"{path} answered {status}, not 200")
            # Each worker reads and keeps the design before the load starts.
            wrk(base + path, 2, headers)
            results[name] = wrk(base + path, seconds, headers)
            print("throughput", name, results[name], flush=True)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
