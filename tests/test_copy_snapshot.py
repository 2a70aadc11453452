"""A design is copied from one snapshot (orgdesign.scenarios.snapshot), on PostgreSQL: an HR sync
writing the design while a scenario is copied from it is wholly in the copy or not at all.

Before, the copy read each table in a statement of its own, and a sync committed between two
of them showed it a membership of a person it had not read: a raw KeyError, 3 of 3 copies of
6,000 to 8,000 people. SQLite serialises a reader and the writers, so it has no such race.
"""

import logging
import threading
import time

import pytest
from django.db import connection, transaction

from orgdesign.scenarios.services import scenario_create
from pipelines.generator import generate_org
from teams.design_version import design_changed
from teams.models import Membership, Organisation, Person, Team
from teams.sync import sync_people
from tests.factories import OrganisationFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="SQLite serialises a reading transaction and the writers"),
    pytest.mark.django_db(transaction=True),
]

PEOPLE = 3000
BATCH = 25  # people, each with a membership, per sync


def generated(slug: str) -> Organisation:
    organisation = OrganisationFactory(slug=slug, name=slug.title())
    generate_org(organisation, people=PEOPLE, teams=120, pipelines=40, seed=7)
    return organisation


def counts(organisation: Organisation) -> tuple[int, int]:
    return (
        Person.objects.filter(organisation=organisation).count(),
        Membership.objects.filter(team__organisation=organisation).count(),
    )


class Writer:
    """A thread writing batches of new people, each in a team, into `organisation` until
    stopped, each batch in one transaction: an HR system writing the design while it is
    copied. `sync` sends them through the people sync (which locks the design: see the tests
    below), else they are inserted in bulk, which locks nothing a copy holds."""

    def __init__(self, organisation: Organisation, *, sync: bool, pause: float = 0.0):
        self.organisation = organisation
        self.sync, self.pause = sync, pause
        self.team = Team.objects.filter(organisation=organisation).order_by("pk").first()
        self.done = 0
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _batch(self) -> None:
        first = self.done * BATCH
        if self.sync:
            records = [
                {"external_id": f"HR-{first + n}", "name": f"Hire {first + n}",
                 "teams": [{"team": self.team.name, "allocation": 50}]}
                for n in range(BATCH)
            ]
            result = sync_people(organisation=self.organisation, records=records)
            assert not result.errors, result.errors
            return
        with transaction.atomic():
            people = Person.objects.bulk_create(
                Person(organisation=self.organisation, name=f"Hire {first + n}")
                for n in range(BATCH)
            )
            Membership.objects.bulk_create(
                Membership(person=person, team=self.team, allocation=50) for person in people
            )

    def _run(self) -> None:
        try:
            while not self.stopping.is_set():
                self._batch()
                self.done += 1
                time.sleep(self.pause)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        while not self.done and not self.errors:  # writing before the copy starts
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=60)
        assert not self.errors, "\n".join(str(e) for e in self.errors)


def assert_consistent(copy: Organisation, source: Organisation, before: tuple[int, int]):
    """The copy is the source at one moment: whole syncs only (as many new people as new
    memberships, in whole batches), every membership and manager its own people's."""
    people, memberships = counts(copy)
    added = people - before[0]
    assert added == memberships - before[1]
    assert added % BATCH == 0
    assert not Membership.objects.filter(team__organisation=copy).exclude(
        person__organisation=copy).exists()
    assert not Person.objects.filter(organisation=copy, manager__isnull=False).exclude(
        manager__organisation=copy).exists()
    assert counts(source)[0] >= people  # the source went on growing


def test_a_design_copied_while_people_are_written_into_it_is_one_moment_of_it():
    live = generated("live")
    # Copied from a scenario: the copy locks the live design at its home, so writes to the
    # scenario commit while it is copied.
    origin = scenario_create(origin=live, name="Origin")
    before = counts(origin)

    with Writer(origin, sync=False) as writer:
        copies = []
        for number in range(3):
            started = writer.done
            copies.append(scenario_create(origin=origin, name=f"Copy {number}"))
            copies[-1].written_during = writer.done - started

    assert sum(copy.written_during for copy in copies) > 0, "nothing written during a copy"
    for copy in copies:
        assert_consistent(copy, origin, before)


def test_a_live_design_copied_while_syncs_write_it_is_one_moment_of_it():
    live = generated("live")
    before = counts(live)

    # An HR system syncing every moment. The copy locks the design, so a sync waits for it;
    # a sync in progress when the copy starts commits after the copy's snapshot, and
    # PostgreSQL cancels the copy, which is made again.
    with Writer(live, sync=True, pause=0.3):
        copy = scenario_create(origin=live, name="Copy")

    assert_consistent(copy, live, before)


def test_a_copy_cancelled_by_a_write_in_progress_is_made_again(caplog):
    live = OrganisationFactory(slug="live")
    holding = threading.Event()

    def write_in_progress():
        try:
            with transaction.atomic():
                Organisation.objects.select_for_update().get(pk=live.pk)
                design_changed(live.pk)
                holding.set()
                # Commit once the copy waits for this write.
                with connection.cursor() as cursor:
                    for _ in range(600):
                        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                       "datname = current_database() "
                                       "AND wait_event_type = 'Lock'")
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
        finally:
            connection.close()

    writer = threading.Thread(target=write_in_progress)
    writer.start()
    holding.wait(timeout=30)
    # The copy's snapshot is taken, then it waits for the write; committed, the write
    # changed the row the copy locks since the snapshot: PostgreSQL cancels the copy.
    with caplog.at_level(logging.INFO, logger="orgdesign.scenarios.snapshot"):
        copy = scenario_create(origin=live, name="Copy")
    writer.join(timeout=30)

    assert "cancelled by a concurrent write" in caplog.text
    assert list(Organisation.objects.filter(scenario_of=live)) == [copy]
