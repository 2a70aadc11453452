"""Saving a directory connector, and which connectors are due. Every door (the page, the
`connect_directory` command, the admin) saves through `connector_save`."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from teams.directory.clients import GRAPH_URL, LOGIN_URL
from teams.directory.mapping import DEFAULTS, mapping_of, mapping_problems
from teams.models import DirectoryConnector, DirectoryKind, Organisation, PullSchedule
from teams.secret_field import SecretsKeyMissing, secrets_keys

INTERVALS = {
    PullSchedule.HOURLY: datetime.timedelta(hours=1),
    PullSchedule.DAILY: datetime.timedelta(days=1),
}
# What, changed, makes the next run read the whole directory again.
RESET_BY = ("url", "tenant_id", "group", "mapping")


def url_problem(url: str, *, required: bool) -> str | None:
    if not url:
        return "Give the URL." if required else None
    parts = urlsplit(url)
    if parts.scheme == "http" and settings.ORGDESIGN_DIRECTORY_ALLOW_HTTP:
        return None if parts.netloc else "Give a whole URL, such as https://acme.okta.com."
    if parts.scheme != "https" or not parts.netloc:
        return ("Give an https:// URL (plain http:// only for a local test directory, with "
                "ORGDESIGN_DIRECTORY_ALLOW_HTTP on).")
    if parts.username or parts.password:
        return "Give the URL without a user name or password in it."
    return None


def connector_save(
    *,
    organisation: Organisation,
    kind: str,
    url: str = "",
    login_url: str = "",
    tenant_id: str = "",
    client_id: str = "",
    group: str = "",
    mapping: dict | None = None,
    schedule: str = PullSchedule.MANUAL,
    secret: str | None = None,
    user=None,
) -> DirectoryConnector:
    """Create or update the organisation's connector of this kind. `secret` None keeps the
    saved one. Refused, with every problem by field, when anything is wrong, and always
    when `ORGDESIGN_SECRETS_KEY` is not set (no secret could be stored, or read)."""
    if organisation.is_scenario:
        raise ValidationError("A scenario has no directory connector: connect the live "
                              "organisation.")
    try:
        secrets_keys()
    except SecretsKeyMissing as missing:
        raise ValidationError({"secret": str(missing)}) from None
    if kind not in DirectoryKind.values:
        raise ValidationError({"kind": f"Kind must be one of {', '.join(DirectoryKind.values)}."})
    errors: dict[str, list[str]] = {}
    if kind == DirectoryKind.ENTRA:
        url = url or GRAPH_URL
        login_url = login_url or LOGIN_URL
        for name, value in (("tenant_id", tenant_id), ("client_id", client_id)):
            if not value.strip():
                errors[name] = ["Give the app registration's " + name.replace("_", " ") + "."]
    else:
        login_url, tenant_id, client_id, group = "", "", "", ""
    for name, value, required in (("url", url, True), ("login_url", login_url, False)):
        problem = url_problem(value, required=required)
        if problem:
            errors[name] = [problem]
    chosen = {name: (value or "").strip() for name, value in (mapping or {}).items()
              if name in DEFAULTS[kind]}
    for name, problem in mapping_problems(kind, mapping_of(kind, chosen)).items():
        errors.setdefault(f"mapping.{name}", []).append(problem)
    if schedule not in PullSchedule.values:
        errors["schedule"] = [f"Schedule must be one of {', '.join(PullSchedule.values)}."]
    existing = DirectoryConnector.objects.filter(organisation=organisation, kind=kind).first()
    if secret is not None:
        secret = secret.strip()
    if not secret and (existing is None or not existing.secret):
        what = "client secret" if kind == DirectoryKind.ENTRA else "API token"
        errors["secret"] = [f"Give the {what}."]
    if errors:
        raise ValidationError(errors)
    # Only what differs from the directory's defaults is kept: a default changed later
    # reaches every connector that did not choose otherwise.
    chosen = {name: value for name, value in chosen.items() if value != DEFAULTS[kind][name]}
    values = {"url": url.rstrip("/"), "login_url": login_url.rstrip("/"),
              "tenant_id": tenant_id.strip(), "client_id": client_id.strip(),
              "group": group.strip(), "mapping": chosen, "schedule": schedule}
    with transaction.atomic():
        connector = existing or DirectoryConnector(organisation=organisation, kind=kind,
                                                   created_by=user)
        if existing is not None and any(getattr(existing, name) != values[name]
                                        for name in RESET_BY):
            connector.cursor = ""  # another directory or mapping: read everything again
        for name, value in values.items():
            setattr(connector, name, value)
        if secret:
            connector.secret = secret
        connector.save()
    return connector


def connector_delete(*, connector: DirectoryConnector) -> None:
    """Forget the connector, its runs and identities; the people it brought stay."""
    connector.delete()


def due_connectors(now: datetime.datetime | None = None):
    """The scheduled connectors whose interval has passed since their last run."""
    now = now or timezone.now()
    due = Q(last_run_at__isnull=True)
    condition = Q()
    for schedule, interval in INTERVALS.items():
        condition |= Q(schedule=schedule) & (due | Q(last_run_at__lte=now - interval))
    return (DirectoryConnector.objects.filter(condition)
            .select_related("organisation").order_by("last_run_at", "id"))
