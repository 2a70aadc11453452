"""Uploaded files kept between their preview and their apply, in the database (any web
process or worker may apply them), named by their SHA-256."""

import hashlib
import re
from datetime import timedelta

from django.utils import timezone

from teams.models import Organisation, PendingUpload

PREVIEW_MAX_AGE = 60 * 60  # seconds during which a preview can be applied


def store_upload(organisation: Organisation, data: bytes) -> str:
    """Keep the bytes until the apply, in the database (any web process or worker may apply
    them); their SHA-256 names them. A fresh preview of the same bytes keeps them for as long
    again."""
    digest = hashlib.sha256(data).hexdigest()
    _prune_uploads()
    PendingUpload.objects.update_or_create(
        organisation=organisation, sha256=digest,
        defaults={"data": data, "created_at": timezone.now()},
    )
    return digest


def load_upload(organisation: Organisation, digest: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest or ""):
        return None
    data = (
        PendingUpload.objects.filter(organisation=organisation, sha256=digest)
        .values_list("data", flat=True)
        .first()
    )
    if data is None:
        return None
    data = bytes(data)
    return data if hashlib.sha256(data).hexdigest() == digest else None


def discard_upload(organisation: Organisation, digest: str) -> None:
    PendingUpload.objects.filter(organisation=organisation, sha256=digest).delete()


def _prune_uploads() -> None:
    """Forget the files of previews nobody applied."""
    oldest = timezone.now() - timedelta(seconds=2 * PREVIEW_MAX_AGE)
    PendingUpload.objects.filter(created_at__lt=oldest).delete()
