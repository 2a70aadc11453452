"""The bulk people sync shared by the API and the CSV roster import."""


import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from teams import services
from teams.actor import Actor
from teams.models import Membership, Person
from teams.sync import sync_people
from tests.factories import OrganisationFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organisation = OrganisationFactory()
    TeamFactory(organisation=organisation, name="Models", kind="modeling")
    TeamFactory(organisation=organisation, name="Platform", kind="infrastructure")
    return organisation


def person(external_id, name=None, manager=None, **extra):
    record = {"external_id": external_id, "name": name or f"Person {external_id}",
              "manager_external_id": manager}
    record.update(extra)
    return record


def people_of(org) -> dict[str, Person]:
    return {p.external_id: p for p in Person.objects.filter(organisation=org)}


def test_it_creates_people_with_managers_given_after_their_reports(org):
    result = sync_people(organisation=org, records=[
        person("3", manager="2"), person("2", manager="1"), person("1", "Ceo", role="executive"),
    ])
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    people = people_of(org)
    assert people["3"].manager == people["2"] and people["2"].manager == people["1"]
    assert people["1"].manager is None and people["1"].role == "executive"


def test_the_same_batch_twice_changes_nothing_the_second_time(org):
    batch = [person("1", email="a@x.org", teams=[{"team": "Models", "allocation": 60}]),
             person("2", manager="1", title="Eng")]
    sync_people(organisation=org, records=batch)
    before = {p.external_id: p.updated_at for p in Person.objects.filter(organisation=org)}
    result = sync_people(organisation=org, records=batch)
    assert result.as_dict() == {"created": 0, "updated": 0, "deactivated": 0, "unchanged": 2,
                                "errors": []}
    after = {p.external_id: p.updated_at for p in Person.objects.filter(organisation=org)}
    assert after == before


def test_it_updates_only_what_differs_and_reports_the_fields(org):
    sync_people(organisation=org, records=[person("1", "Ada", title="Eng"), person("2", "Bob")])
    result = sync_people(organisation=org, records=[person("1", "Ada", title="Lead"),
                                                    person("2", "Bob")])
    assert (result.updated, result.unchanged) == (1, 1)
    change = next(c for c in result.changes if c.external_id == "1")
    assert change.fields == {"title": ("Eng", "Lead")}
    assert people_of(org)["1"].title == "Lead"


def test_absent_fields_are_left_as_they_are(org):
    sync_people(organisation=org, records=[person("1", "Ada", title="Eng", role="scientist")])
    sync_people(organisation=org, records=[{"external_id": "1", "email": "ada@x.org"}])
    ada = people_of(org)["1"]
    assert (ada.name, ada.title, ada.role, ada.email) == ("Ada", "Eng", "scientist", "ada@x.org")


def test_snapshot_deactivates_the_people_missing_from_it(org):
    sync_people(organisation=org, records=[person("1"), person("2", manager="1"), person("3")])
    result = sync_people(organisation=org, records=[person("1"), person("2", manager="1")],
                         mode="snapshot")
    assert (result.deactivated, result.unchanged) == (1, 2)
    people = people_of(org)
    assert people["3"].active is False
    assert people["1"].active and people["2"].active


def test_delta_leaves_the_people_missing_from_it(org):
    sync_people(organisation=org, records=[person("1"), person("2")])
    result = sync_people(organisation=org, records=[person("1")], mode="delta")
    assert result.deactivated == 0
    assert people_of(org)["2"].active


def test_a_dry_run_writes_nothing_but_counts(org):
    result = sync_people(organisation=org, records=[person("1"), person("2", manager="1")],
                         dry_run=True)
    assert (result.created, result.applied, result.dry_run) == (2, False, True)
    assert not Person.objects.filter(organisation=org).exists()


def test_one_bad_record_writes_nothing_and_every_bad_record_is_reported(org):
    result = sync_people(organisation=org, records=[
        person("1"),
        person("2", manager="nobody"),
        person("3", teams=[{"team": "Models", "allocation": 150}]),
        person("4", role="wizard"),
        person("1", "Again"),
        {"external_id": "5"},
        person("6", teams=[{"team": "Nowhere", "allocation": 10}]),
        person("7", email="not-an-email"),
        person("8", active="yes"),
    ])
    assert not Person.objects.filter(organisation=org).exists()
    by_index = {error["index"]: error for error in result.errors}
    assert set(by_index) == {1, 2, 3, 4, 5, 6, 7, 8}
    assert "Unknown manager 'nobody'" in by_index[1]["errors"]["manager_external_id"][0]
    assert "from 1 to 100, not 150" in by_index[2]["errors"]["teams"][0]
    assert "Unknown role 'wizard'" in by_index[3]["errors"]["role"][0]
    assert "appears twice" in by_index[4]["errors"]["external_id"][0]
    assert "needs a name" in by_index[5]["errors"]["name"][0]
    assert "Unknown team 'Nowhere'" in by_index[6]["errors"]["teams"][0]
    assert "email" in by_index[7]["errors"]
    assert "active" in by_index[8]["errors"]
    assert by_index[1]["external_id"] == "2"


def test_a_loop_within_the_batch_is_refused_with_its_chain(org):
    result = sync_people(organisation=org, records=[
        person("1", "Ada", manager="3"), person("2", "Bob", manager="1"),
        person("3", "Cy", manager="2"),
    ])
    assert not Person.objects.filter(organisation=org).exists()
    messages = [m for e in result.errors for m in e["errors"]["manager_external_id"]]
    assert len(messages) == 3
    assert "loop" in messages[0]
    assert all(name in messages[0] for name in ("Ada", "Bob", "Cy"))


def test_a_loop_closed_through_existing_people_is_refused(org):
    sync_people(organisation=org, records=[person("1", "Ada"), person("2", "Bob", manager="1")])
    result = sync_people(organisation=org, records=[{"external_id": "1",
                                                     "manager_external_id": "2"}])
    assert "Ada → Bob → Ada" in result.errors[0]["errors"]["manager_external_id"][0] or \
        "Bob → Ada → Bob" in result.errors[0]["errors"]["manager_external_id"][0]
    assert people_of(org)["1"].manager is None


def test_a_person_cannot_manage_themself(org):
    result = sync_people(organisation=org, records=[person("1", manager="1")])
    assert "own manager" in result.errors[0]["errors"]["manager_external_id"][0]


def test_emails_stay_unique_in_the_organisation(org):
    services.person_create(organisation=org, name="Zed", external_id="Z", email="z@x.org")
    result = sync_people(organisation=org, records=[
        person("1", email="Z@X.org"), person("2", email="a@x.org"), person("3", email="A@x.org"),
    ])
    by_index = {error["index"]: error for error in result.errors}
    assert set(by_index) == {0, 2}
    assert "already used by Zed" in by_index[0]["errors"]["email"][0]


def test_teams_replace_memberships_and_absent_teams_leave_them(org):
    sync_people(organisation=org, records=[
        person("1", teams=[{"team": "Models", "allocation": 60},
                           {"team": "Platform", "allocation": 40}]),
    ])
    ada = people_of(org)["1"]
    assert dict(Membership.objects.filter(person=ada).values_list("team__name", "allocation")) \
        == {"Models": 60, "Platform": 40}
    sync_people(organisation=org, records=[person("1")])  # no teams key: unchanged
    assert Membership.objects.filter(person=ada).count() == 2
    result = sync_people(organisation=org, records=[
        person("1", teams=[{"team": "Models", "allocation": 100}])])
    assert result.updated == 1
    assert result.changes[0].fields["teams"] == ("Models:60;Platform:40", "Models:100")
    assert dict(Membership.objects.filter(person=ada).values_list("team__name", "allocation")) \
        == {"Models": 100}


def test_a_sync_is_attributed(org):
    token_actor = Actor(via="api")
    sync_people(organisation=org, records=[person("1")], actor=token_actor)
    assert people_of(org)["1"].updated_via == "api"


def test_an_unknown_mode_is_refused(org):
    with pytest.raises(ValidationError):
        sync_people(organisation=org, records=[], mode="merge")


def test_reactivating_through_a_sync(org):
    sync_people(organisation=org, records=[person("1"), person("2")])
    sync_people(organisation=org, records=[person("1")], mode="snapshot")
    result = sync_people(organisation=org, records=[person("2", active=True)])
    assert result.updated == 1
    assert people_of(org)["2"].active


@pytest.mark.parametrize("size", [50, 500])
def test_a_sync_runs_a_fixed_number_of_reads(org, django_assert_max_num_queries, size):
    records = [person(str(n), manager=str(n // 5) if n else None,
                      teams=[{"team": "Models", "allocation": 50}]) for n in range(size)]
    sync_people(organisation=org, records=records)
    changed = [dict(r, title="Changed") for r in records]
    # lock, people, teams, memberships, then bulk updates of the changed rows in batches.
    with django_assert_max_num_queries(8):
        result = sync_people(organisation=org, records=changed, dry_run=True)
    assert result.updated == size


@pytest.mark.slow
def test_fifty_thousand_people_sync_in_one_batch(org):
    records = [
        person(f"E{n}", manager=f"E{(n - 1) // 8}" if n else None, email=f"e{n}@corp.example",
               role="software_engineer", teams=[{"team": "Models", "allocation": 100}]
               if n % 20 == 0 else None)
        for n in range(50_000)
    ]
    for record in records:
        if record["teams"] is None:
            del record["teams"]
    # How long it takes is make bench's (docs/performance.md): no clock in the suite.
    result = sync_people(organisation=org, records=records, mode="snapshot")
    assert result.errors == [] and result.created == 50_000
    assert Person.objects.filter(organisation=org, manager__external_id="E0").count() == 8
    again = sync_people(organisation=org, records=records, mode="snapshot")
    assert again.unchanged == 50_000


def test_many_fields_change_at_once(org):
    sync_people(organisation=org, records=[
        person("1", "Ada", email="ada@x.org", title="Eng", role="scientist"),
        person("2", "Bob", manager="1", active=True),
        person("3", "Cy", manager="1"),
    ])
    result = sync_people(organisation=org, records=[
        person("1", "Ada Lovelace", email="ada@y.org", title="Lead", role="science_manager",
               manager="3"),
        person("2", "Bob", manager=None, active=False),
        person("3", "Cy", manager=None),
    ])
    assert result.errors == [] and result.updated == 3
    people = people_of(org)
    ada, bob, cy = people["1"], people["2"], people["3"]
    assert (ada.name, ada.email, ada.title, ada.role, ada.manager) == (
        "Ada Lovelace", "ada@y.org", "Lead", "science_manager", cy)
    assert (bob.manager, bob.active) == (None, False)
    assert cy.manager is None
    assert {p.updated_via for p in people.values()} == {"system"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL")
def test_a_bulk_sync_refreshes_the_statistics_so_a_page_is_read_from_the_index(org):
    def analyzed(records) -> bool:
        with CaptureQueriesContext(connection) as queries:
            sync_people(organisation=org, records=records)
        return any(query["sql"].startswith("ANALYZE") for query in queries)

    assert not analyzed([person(f"S{n}") for n in range(10)])  # a small sync: no need
    assert analyzed([person(f"E{n}") for n in range(1500)])
    plan = str(Person.objects.filter(organisation=org).order_by("name", "id")[:100].explain())
    assert "person_org_name_id" in plan, plan
    assert "Sort" not in plan.split("\n")[0], plan  # no sort of the whole organisation


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_committed_bulk_sync_is_vacuumed_so_counting_reads_the_index_alone():
    organisation = OrganisationFactory()

    def pages() -> tuple[int, int]:
        """The table's pages, and those the visibility map marks all visible (VACUUM)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT relpages, relallvisible FROM pg_class "
                           "WHERE relname = 'teams_person'")
            return cursor.fetchone()

    sync_people(organisation=organisation, records=[person(f"V{n}") for n in range(1500)])
    total, visible = pages()
    assert total > 0 and visible == total


# The COPY path (PostgreSQL) -------------------------------------------------------------------


def _written(organisation) -> dict:
    """The people of an organisation and their history as a sync leaves them, by external
    id, without what differs between two organisations (ids, times)."""
    external = dict(Person.objects.filter(organisation=organisation)
                    .values_list("id", "external_id"))
    people = {}
    for row in Person.objects.filter(organisation=organisation).values():
        row["manager"] = external.get(row.pop("manager_id"))
        for name in ("id", "organisation_id", "created_at", "updated_at"):
            row.pop(name)
        people[row["external_id"]] = row
    history = sorted(
        (external[entry.id], entry.history_type, entry.name, external.get(entry.manager_id),
         entry.role, entry.updated_via, entry.history_user_id)
        for entry in Person.history.filter(history_org=organisation.pk)
    )
    teams = sorted(Membership.objects.filter(team__organisation=organisation)
                   .values_list("person__external_id", "team__name", "allocation"))
    return {"people": people, "history": history, "teams": teams}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_copy_of_new_people_writes_what_the_portable_path_writes(monkeypatch):
    """New people are written by one COPY on PostgreSQL (`_Plan._copy_new`) and level by
    level elsewhere (`_create_new`): the same rows and history either way."""
    from teams.sync import _Plan

    records = [
        # Reports before their managers, a chain four deep, a role left to its default,
        # someone inactive, someone with teams.
        {"external_id": "R4", "name": "Deep", "manager_external_id": "R3"},
        {"external_id": "R3", "name": "Three", "manager_external_id": "R2", "role": "scientist"},
        {"external_id": "R2", "name": "Two", "manager_external_id": "R1", "title": "Lead",
         "teams": [{"team": "Models", "allocation": 60}]},
        {"external_id": "R1", "name": "Top", "email": "top@example.com", "department": "ML"},
        {"external_id": "X1", "name": "Gone", "active": False, "manager_external_id": "R1"},
    ]
    written = []
    for path in ("copy", "portable"):
        organisation = OrganisationFactory()
        TeamFactory(organisation=organisation, name="Models")
        if path == "portable":
            monkeypatch.setattr(_Plan, "_copy_new", _Plan._create_new)
        result = sync_people(organisation=organisation, records=records,
                             actor=Actor(via="api"))
        assert result.created == 5 and not result.errors
        written.append(_written(organisation))
    assert written[0] == written[1]
    assert written[0]["people"]["R4"]["manager"] == "R3"
    assert written[0]["people"]["R1"]["role"] == "other"
    assert len(written[0]["history"]) == 5


@pytest.mark.parametrize("role", [{"a": 1}, ["scientist"], 3])
def test_a_role_that_is_not_text_is_refused_on_its_field(role):
    organisation = OrganisationFactory()
    result = sync_people(organisation=organisation,
                         records=[{"external_id": "E1", "name": "Ada", "role": role}])
    assert [(error["index"], list(error["errors"])) for error in result.errors] == \
        [(0, ["role"])]
    assert not Person.objects.filter(organisation=organisation).exists()
