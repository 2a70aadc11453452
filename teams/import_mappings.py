"""The saved readings of HR rosters: which field each column of a file was read as, per
organisation and set of headers. Saved when a roster is applied with a mapping, proposed
again for the next file whose headers are the same (a monthly export is mapped once)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction

from teams.models import ImportMapping, Organisation


@dataclass(frozen=True)
class SavedReading:
    mapping: dict[str, str | None]  # header -> field, None when not imported
    key: str
    create_teams: bool


def headers_key(headers: Sequence[str]) -> str:
    """What a file is matched by: its headers, trimmed and in any case, in order."""
    normal = [" ".join(str(header).split()).casefold() for header in headers]
    return hashlib.sha256(json.dumps(normal).encode()).hexdigest()


def reading_for(organisation: Organisation, headers: Sequence[str]) -> SavedReading | None:
    """The reading saved for a file with these headers, if any (one query)."""
    saved = ImportMapping.objects.filter(
        organisation=organisation, headers_key=headers_key(headers)
    ).first()
    if saved is None:
        return None
    return SavedReading(
        mapping={header: field or None for header, field in saved.mapping.items()},
        key=saved.key, create_teams=saved.create_teams,
    )


@transaction.atomic
def reading_save(
    *,
    organisation: Organisation,
    headers: Sequence[str],
    mapping: Mapping[str, str | None],
    key: str = "external_id",
    create_teams: bool = False,
    user=None,
) -> ImportMapping:
    """Keep how a file with these headers was read, replacing what was kept for them."""
    saved, _ = ImportMapping.objects.update_or_create(
        organisation=organisation, headers_key=headers_key(headers),
        defaults={
            "headers": list(headers),
            "mapping": {header: field or "" for header, field in mapping.items()},
            "key": key, "create_teams": create_teams,
            "updated_by": user if getattr(user, "pk", None) else None,
        },
    )
    return saved
