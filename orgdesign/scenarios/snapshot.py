"""One snapshot: work that reads a whole design sees it as it was at one moment.

A copy (a scenario, a tried fix, the backup and the copy-in of a promotion) reads each table
of its source in its own statement. PostgreSQL's default isolation, READ COMMITTED, gives
each statement its own snapshot, so a people sync committed between two of them showed the
copy a membership of a person it had not read (a raw `KeyError`, 3 of 3 copies of 6,000 to
8,000 people while a sync ran). `snapshot()` opens the work's transaction at REPEATABLE READ
instead: every statement of it sees the database as of its first one.

The isolation can only be set by the first statement of a transaction, so `snapshot()` sets
it only when it opens the outermost one; nested in a caller's transaction (the job runner's,
which opens it itself, or a test's) it joins that one, whose isolation the caller chose.
SQLite needs nothing: a transaction that has read holds its snapshot (WAL) or keeps every
writer from committing (rollback journal) until it ends.

A REPEATABLE READ transaction that writes or locks a row another transaction changed since
its snapshot is cancelled by PostgreSQL (a serialization failure; the copy locks the design's
home, which every write of that design changes). `in_snapshot` and `snapshotted` run the
work again from the start, a few times, when that happens to the outermost transaction:
nothing of the cancelled attempt was written.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import OperationalError, transaction

logger = logging.getLogger(__name__)

# A serialization failure and a deadlock: PostgreSQL cancelled the transaction, which may
# succeed if run again.
RETRIED_SQLSTATES = frozenset({"40001", "40P01"})
# Tries of the whole work before its error is raised, and the pause before a try again.
ATTEMPTS = 4
PAUSE = 0.2

P = ParamSpec("P")
T = TypeVar("T")


def _opens_transaction(connection) -> bool:
    return not connection.in_atomic_block and connection.get_autocommit()


@contextmanager
def snapshot(using: str | None = None) -> Iterator[None]:
    """`transaction.atomic()`, at REPEATABLE READ on PostgreSQL when it is the outermost."""
    connection = transaction.get_connection(using)
    outermost = _opens_transaction(connection)
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def is_retried(error: BaseException) -> bool:
    """PostgreSQL cancelled the transaction for a concurrent one: running it again may do."""
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in RETRIED_SQLSTATES


def in_snapshot(work: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` in one `snapshot()`, run again from the start (up to ATTEMPTS
    in all) when PostgreSQL cancels it for a concurrent write; only when this opens the
    transaction, since a caller's transaction cannot be run again from here."""
    connection = transaction.get_connection()
    attempts = ATTEMPTS if _opens_transaction(connection) else 1
    for attempt in range(1, attempts + 1):
        try:
            with snapshot():
                return work(*args, **kwargs)
        except OperationalError as error:
            if attempt == attempts or not is_retried(error):
                raise
            logger.info("%s cancelled by a concurrent write (%s); trying again",
                        getattr(work, "__qualname__", work), error)
            time.sleep(PAUSE * attempt * (0.5 + random.random()))  # noqa: S311
    raise AssertionError("unreachable")  # pragma: no cover


def snapshotted(function: Callable[P, T]) -> Callable[P, T]:
    """Decorate a function to run it `in_snapshot` (in place of `@transaction.atomic`)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return in_snapshot(function, *args, **kwargs)

    return wrapper
