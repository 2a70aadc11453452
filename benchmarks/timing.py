"""What the page benchmarks share: a logged-in test client in one organisation, and the
median time and query count of a GET. Import after `django.setup()`."""

import os
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from teams import services

RUNS = int(os.environ.get("RUNS", "5"))


def client_in(organisation, username: str = "bench-viewer", role: str = "viewer") -> Client:
    settings.ALLOWED_HOSTS = ["testserver"]
    user, _ = get_user_model().objects.get_or_create(username=username)
    services.access_grant(organisation=organisation, user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def timed_get(client: Client, url: str):
    """(median seconds over RUNS after a warm-up, queries of the last run, the response)."""
    client.get(url)  # warm-up: connections, template loading
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), len(queries), response
