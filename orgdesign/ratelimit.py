"""Rate limits that hold across web processes: each client's count of requests in the current
fixed window lives in the database (`teams.models.RequestCount`), written with one
INSERT ... ON CONFLICT DO UPDATE ... RETURNING per request, atomic on PostgreSQL and SQLite
alike. No cache service is needed, and gunicorn's workers (or several hosts) share the
counts, which a per-process cache would not.

The API (`orgdesign.api_auth.ApiClientThrottle`) and SCIM (`teams.scim.endpoint`) share one
budget per token: `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]`, 600 a minute unless
ORGDESIGN_API_RATE says otherwise.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from teams.models import RequestCount


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: float  # seconds until the window ends


def api_rate() -> tuple[int, int] | None:
    """(requests, seconds) of the API and SCIM budget, read at each request so that settings
    can change it; None when unlimited."""
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
    """One request against the API and SCIM budget of `key`; None when unlimited."""
    rate = api_rate()
    if rate is None or rate[0] is None:
        return None
    return hit(key, *rate)


def client_address(request) -> str:
    """The address a request comes from: behind the TLS proxy of a production deployment
    (DJANGO_BEHIND_TLS_PROXY), the last address of X-Forwarded-For, the one the proxy itself
    saw (the ones before it are the client's to write); otherwise the socket's."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
