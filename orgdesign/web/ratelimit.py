"""Rate limits that hold across web processes: each client's count of requests in the current
fixed window lives in the database (`teams.models.RequestCount`), written with one
INSERT ... ON CONFLICT DO UPDATE ... RETURNING per request, atomic on PostgreSQL and SQLite
alike. No cache service is needed, and gunicorn's workers (or several hosts) share the
counts, which a per-process cache would not.

A token has two budgets, counted apart so that neither door spends the other's:
- the API's (`orgdesign.api.auth.ApiClientThrottle`, and the CSV exports a token fetches),
  `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]`, 600 a minute unless ORGDESIGN_API_RATE
  says otherwise, counted under `client_key(token)`;
- SCIM's (`teams.scim.endpoint`), ORGDESIGN_SCIM_RATE, 6,000 a minute by default, counted
  under "scim-" + `client_key(token)`: identity providers push bursts (a group assigned
  provisions each of its people at once), and a conformance checker's run is about 700
  requests.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from teams.models import RequestCount

# SCIM's budget per token unless ORGDESIGN_SCIM_RATE (settings) says otherwise: ten times the
# API's. A burst of 2,000 requests in a minute and a whole run of scim2-tester (about 700
# requests, tests/test_scim_conformance.py) pass with room to spare; a client looping on
# errors is still stopped within a minute.
DEFAULT_SCIM_RATE = "6000/min"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: float  # seconds until the window ends


def api_rate() -> tuple[int, int] | None:
    """(requests, seconds) of the API budget, read at each request so that settings can
    change it; None when unlimited."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("api")
    if not rate:
        return None
    return SimpleRateThrottle.parse_rate(None, rate)


def hit(key: str, limit: int, period: int) -> Verdict:
    """Count one request of `key` in the current window of `period` seconds."""
    now = time.time()
    started = int(now // period) * period
    quote = connection.ops.quote_name
    table = quote(RequestCount._meta.db_table)
    key_column, started_column, count_column = (quote(n) for n in ("key", "started", "count"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {started_column}, {count_column}) "
            "VALUES (%s, %s, 1) "
            f"ON CONFLICT ({key_column}) DO UPDATE SET "
            f"{count_column} = CASE WHEN {table}.{started_column} = EXCLUDED.{started_column} "
            f"THEN {table}.{count_column} + 1 ELSE 1 END, "
            f"{started_column} = EXCLUDED.{started_column} "
            f"RETURNING {count_column}",
            [key[:120], started],
        )
        count = cursor.fetchone()[0]
    return Verdict(allowed=count <= limit, count=count, retry_after=started + period - now)


def hit_api(key: str) -> Verdict | None:
    """One request against the API budget of `key`; None when unlimited."""
    rate = api_rate()
    if rate is None or rate[0] is None:
        return None
    return hit(key, *rate)


def scim_rate() -> tuple[int, int] | None:
    """(requests, seconds) of SCIM's budget per token, `settings.ORGDESIGN_SCIM_RATE`
    ("6000/min"), read at each request; None when unlimited (an empty setting)."""
    rate = getattr(settings, "ORGDESIGN_SCIM_RATE", DEFAULT_SCIM_RATE)
    if not rate:
        return None
    return SimpleRateThrottle.parse_rate(None, rate)


def scim_key(key: str) -> str:
    """The counter of SCIM's budget for the client `key` (`api_auth.client_key`): another row
    than the API's, so that neither spends the other's budget."""
    return f"scim-{key}"


def hit_scim(key: str) -> Verdict | None:
    """One SCIM request against the SCIM budget of the client `key`; None when unlimited."""
    rate = scim_rate()
    if rate is None or rate[0] is None:
        return None
    return hit(scim_key(key), *rate)


def client_address(request) -> str:
    """The address a request comes from: behind the TLS proxy of a production deployment
    (DJANGO_BEHIND_TLS_PROXY), the last address of X-Forwarded-For, the one the proxy itself
    saw (the ones before it are the client's to write); otherwise the socket's."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
