"""A run of a directory connector: everything the directory changed, read first, then
written in one transaction through the people sync (door `connector` in history), with the
identities it met and the cursor the next run starts from. A preview, and a run that fails
(bad credentials, throttled too long, a page that did not parse, a record the sync refuses),
write nothing but the run's own record, which says why.

A pull deactivates only the people the directory itself removed or deprovisioned (or, for a
connector limited to a group, who left the group) and that a connector run brought or
matched before (`DirectoryIdentity`): nobody who came through a CSV, the API or SCIM and
that the directory never reported is touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from teams.actor import Actor
from teams.directory.clients import Batch, DirectoryError, EntraSource, source_for
from teams.directory.mapping import DirectoryUser, fields_of, key_of, login_of
from teams.models import (
    DirectoryConnector,
    DirectoryIdentity,
    DirectoryRun,
    Door,
    Person,
    RunState,
)
from teams.sync import SyncResult, sync_people

# The people of each kind of change a run lists (the counts are always whole).
LISTED = 200
COUNTS = ("created", "updated", "deactivated", "unchanged")


def pull_connector(
    *,
    connector: DirectoryConnector,
    preview: bool = False,
    trigger: str = "command",
    user=None,
    progress: Callable[[int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    http=None,
    job=None,
) -> DirectoryRun:
    """Run the connector now and record the run (see the module's doc). Never raises for
    what the directory or the sync refuse: the run says it."""
    run = DirectoryRun.objects.create(connector=connector, preview=preview, trigger=trigger,
                                      job=job)
    if not preview:
        DirectoryConnector.objects.filter(pk=connector.pk).update(last_run_at=run.started_at)
    batch = Batch()
    try:
        if not connector.secret:
            raise DirectoryError(
                "The connector's secret cannot be read (ORGDESIGN_SECRETS_KEY is missing or "
                "changed since it was saved): save the secret again. Nothing was written.")
        source = source_for(connector, http=http, sleep=sleep, progress=progress)
        batch = source.fetch()
        plan = _Plan(connector, batch, source)
        actor = Actor(via=Door.CONNECTOR, user=user)
        with transaction.atomic():
            # One run of a connector at a time: the identities and cursor are its own.
            DirectoryConnector.objects.select_for_update().filter(pk=connector.pk).first()
            result = sync_people(organisation=connector.organisation, records=plan.records,
                                 mode="delta", dry_run=preview, actor=actor)
            if not result.errors and not preview:
                plan.save_identities()
                DirectoryConnector.objects.filter(pk=connector.pk).update(cursor=batch.cursor)
    except DirectoryError as problem:
        _finish(run, RunState.FAILED, error=str(problem), waited=batch.waited)
        return run
    except Exception:
        # A fault of ours, not the directory's: the run says so (the log has the details)
        # rather than staying "running" for ever, and the caller sees the exception.
        _finish(run, RunState.FAILED, waited=batch.waited, error=(
            "The pull failed and nothing was written; the server's log has the details."))
        raise
    counts = counts_of(result)
    _finish(
        run,
        RunState.FAILED if result.errors else RunState.DONE,
        counts=counts,
        changes=changes_of(result),
        notes=plan.notes,
        waited=batch.waited,
        error=("The sync refused some of the directory's users, so nothing was written: "
               "see the errors." if result.errors else ""),
    )
    return run


# Runs kept per connector: an hourly one makes 8,760 a year.
RUNS_KEPT = 1000


def _finish(run: DirectoryRun, state: str, **fields: Any) -> None:
    run.state = state
    run.finished_at = timezone.now()
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()
    older = DirectoryRun.objects.filter(connector_id=run.connector_id).order_by(
        "-started_at", "-id").values_list("id", flat=True)[RUNS_KEPT:RUNS_KEPT + 100]
    DirectoryRun.objects.filter(id__in=list(older)).delete()


def counts_of(result: SyncResult) -> dict[str, Any]:
    """The run's counts as `pull_directory` prints them. A person the run made inactive is
    counted as deactivated, not updated (in delta mode the sync counts it as an update)."""
    counts = dict.fromkeys(COUNTS, 0)
    if result.errors:
        return {**counts, "errors": result.errors}
    for change in result.changes:
        action = _action(change)
        counts[action] += 1
    return {**counts, "errors": []}


def _action(change) -> str:
    if change.action == "update" and change.fields.get("active") == (True, False):
        return "deactivated"
    return {"create": "created", "update": "updated", "deactivate": "deactivated"}.get(
        change.action, "unchanged")


def changes_of(result: SyncResult) -> list[dict]:
    """The first people of each kind of change, in words for the page."""
    listed: dict[str, int] = {}
    out = []
    for change in result.changes:
        action = _action(change)
        if action == "unchanged" or listed.get(action, 0) >= LISTED:
            continue
        listed[action] = listed.get(action, 0) + 1
        out.append({
            "action": action, "name": change.name, "external_id": change.external_id,
            "fields": {name: [_shown(old), _shown(new)]
                       for name, (old, new) in change.fields.items()},
        })
    return out


def _shown(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


class _Plan:
    """The directory's users as sync records: each one's external id (kept from the first
    run that met it), its manager's, and who is removed."""

    def __init__(self, connector: DirectoryConnector, batch: Batch, source):
        self.connector = connector
        self.mapping = source.mapping
        self.notes: list[str] = []
        self.known = {row.directory_id: row for row in connector.identities.all()}
        self.new: dict[str, DirectoryIdentity] = {}
        self.relogged: list[DirectoryIdentity] = []
        users = self._users(batch, source)
        key = {}
        for user in users:
            if not user.removed:
                key[user.id] = self._key(user)
        self.records = []
        unresolved = 0
        references = _References(connector, self.known, users, key, self.mapping)
        for user in users:
            if user.removed:
                known = self.known.get(user.id)
                if known is not None:
                    self.records.append({"external_id": known.external_id, "active": False})
                continue
            record = {"external_id": key[user.id], **fields_of(user, self.mapping,
                                                                 connector.kind),
                      "active": True}
            if user.manager is None:
                record["manager_external_id"] = None
            elif user.manager is not ...:
                manager = references.resolve(user.manager)
                if manager is None:
                    unresolved += 1
                else:
                    record["manager_external_id"] = manager
            self.records.append(record)
        if unresolved:
            self.notes.append(
                f"{unresolved} people have a manager the directory did not report here (outside "
                "the group, or an attribute that names no one): their manager was kept as it "
                "was.")

    def _users(self, batch: Batch, source) -> list[DirectoryUser]:
        # The last report of a user wins (a delta round may list one twice).
        users = {user.id: user for user in batch.users}
        if batch.members is not None and isinstance(source, EntraSource):
            for directory_id in self.known.keys() - batch.members - users.keys():
                users[directory_id] = DirectoryUser(id=directory_id, removed=True)
            for directory_id in batch.members - self.known.keys() - users.keys():
                user = source.read_user(directory_id)
                if user is not None:
                    users[directory_id] = user
            left = sum(1 for u in users.values() if u.removed and u.id in self.known)
            if left:
                self.notes.append(f"{left} people are no longer in the group (or the "
                                  "directory): they are deactivated.")
        return list(users.values())

    def _key(self, user: DirectoryUser) -> str:
        login = login_of(user, self.mapping)
        known = self.known.get(user.id)
        if known is not None:
            if login and login != known.login:
                known.login = login
                self.relogged.append(known)
            return known.external_id
        identity = DirectoryIdentity(connector=self.connector, directory_id=user.id,
                                     external_id=key_of(user, self.mapping), login=login)
        self.new[user.id] = identity
        return identity.external_id

    def save_identities(self) -> None:
        DirectoryIdentity.objects.bulk_create(self.new.values(), batch_size=1000)
        DirectoryIdentity.objects.bulk_update(self.relogged, ["login"], batch_size=1000)


class _References:
    """What a manager reference names: a directory id (Entra always; Okta when its manager
    attribute holds ids), else a sign-in name, else a person's external id or email."""

    def __init__(self, connector, known, users, key, mapping):
        self.by_id = {directory_id: row.external_id for directory_id, row in known.items()}
        self.by_id.update(key)
        self.by_login = {row.login: row.external_id for row in known.values() if row.login}
        for user in users:
            login = login_of(user, mapping) if user.id in key else ""
            if login:
                self.by_login[login] = key[user.id]
        self.external_ids = set(key.values())
        self.people = None
        self.connector = connector

    def resolve(self, reference: str) -> str | None:
        if reference in self.by_id:
            return self.by_id[reference]
        folded = reference.lower()
        if folded in self.by_login:
            return self.by_login[folded]
        if reference in self.external_ids:
            return reference
        if self.people is None:
            # Once per run, only when a reference is not a directory user: a manager who
            # came through another door, named by employee number or email.
            self.people = {}
            rows = Person.objects.filter(organisation=self.connector.organisation).exclude(
                external_id="").values_list("external_id", "email")
            for external_id, email in rows:
                self.people[external_id] = external_id
                if email:
                    self.people.setdefault(email.lower(), external_id)
        return self.people.get(reference) or self.people.get(folded)
