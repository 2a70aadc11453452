"""The version of a design: one value on its organisation's row that every write of the design
changes, in the same transaction as the write.

Pages keep the analysis of a design in the web process (`orgdesign.analysis.kept`) under this
value, and reuse it while the value in the database is the same, so several web processes
agree without talking to each other. The writes change it where they record their history
(`teams.history`): the signals of a single save or delete, and the bulk recorders of the sync,
the imports, the restores and the scenarios. A write that records no history changes no
version, so it must call `design_changed` itself (`pipelines.generator` does).

A version is a fresh random number, not a counter: a write rolled back leaves the old value,
and its own value never comes back, so an analysis kept under it can never be taken for a
later design.
"""

import secrets

from django.db import connection


def new_version() -> int:
    return secrets.randbits(62)


def design_changed(organisation_id: int | None) -> None:
    """The design of `organisation_id` was just written: give it a new version."""
    if organisation_id is None:
        return
    from teams.models import Organisation

    version = new_version()
    Organisation.objects.filter(pk=organisation_id).update(design_version=version)
    # This connection (this thread) wrote: an Organisation read before now no longer knows
    # the design's version (see `read_since_write`).
    connection.design_writes = writes_seen() + 1
    connection.design_versions = {**getattr(connection, "design_versions", {}),
                                  organisation_id: version}


def writes_seen() -> int:
    """How many writes of any design this connection has made: an organisation read when
    the count was the same has the version of what the connection would load now."""
    return getattr(connection, "design_writes", 0)


def written_version(organisation_id: int) -> int | None:
    """The version this connection last gave the design, if it wrote it."""
    return getattr(connection, "design_versions", {}).get(organisation_id)
