"""The peak memory of a fresh web process that renders one page: what a gunicorn worker holds
after drawing the matrix of the organisation, the analysis it keeps included. Run by
`benchmarks/bench.py` in a process of its own, so nothing else is counted:

    DATABASE_URL=... .venv/bin/python benchmarks/peak_memory.py <username> <path>

Prints the peak resident set size in MB (`ru_maxrss`).
"""

import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402


def main(username: str, path: str) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    print(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
