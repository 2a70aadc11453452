"""ETags and the `If-Match` / `If-None-Match` headers, shared by the REST API and SCIM.

A version is `teams.services.version_of(instance)`; the API sends it as a strong ETag, SCIM as
a weak one built from several parts (a group's version includes its members'). Headers are
compared on the opaque part, without the weakness marker: they name versions.
"""

from __future__ import annotations

import hashlib


def strong_etag(version: str) -> str:
    return f'"{version}"'


def weak_etag(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_listed(header: str, etag: str) -> bool:
    """Whether an If-Match or If-None-Match header names this version, or is `*`."""
    tags = {_opaque(tag) for tag in header.split(",")}
    return "*" in tags or _opaque(etag) in tags


def if_match_refuses(header: str | None, etag: str) -> bool:
    """A write whose `If-Match` names other versions than the current one must be refused
    (412). Without the header, nothing is refused."""
    return header is not None and not etag_listed(header, etag)
