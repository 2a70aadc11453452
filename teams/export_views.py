"""people.csv, streamed: the format the people import reads back (docs/design.md section 4)."""

from collections.abc import Iterator

from django.db.models import Q

from orgdesign.csvio.exports import csv_response, export_view
from teams.forms import PersonFilterForm
from teams.models import Membership, Organisation, Person

PEOPLE_COLUMNS = [
    "external_id", "name", "email", "title", "role", "manager_external_id", "active", "teams",
    "department", "worker_type", "level",
]

# Rows fetched from the database at a time by the people export.
CHUNK_SIZE = 2000


def _people_filter(organisation: Organisation, query, prefix: str = "") -> Q:
    """The people page's filters (search, status, role) as a condition, on the people
    themselves or, with `prefix`, on rows that point at them."""
    filters = PersonFilterForm(query)
    filters.is_valid()  # like the page: a bad value is left out, so it is ignored
    wanted = filters.cleaned_data
    condition = Q(**{f"{prefix}organisation": organisation})
    if text := wanted.get("q"):
        condition &= (
            Q(**{f"{prefix}name__icontains": text})
            | Q(**{f"{prefix}email__icontains": text})
            | Q(**{f"{prefix}external_id__icontains": text})
        )
    if status := wanted.get("status"):
        condition &= Q(**{f"{prefix}active": status == "active"})
    if role := wanted.get("role"):
        condition &= Q(**{f"{prefix}role": role})
    return condition


def _with_teams(people: Iterator[tuple], memberships: Iterator[tuple]) -> Iterator[list]:
    """people.csv rows from two streams ordered by person id: people, and their memberships
    (person id, team name, allocation), merged as they come so nothing is held."""
    pending = next(memberships, None)
    for person_id, *fields, active, department, worker_type, level in people:
        teams = []
        # Memberships of a person who appeared between the two queries have no row: skip.
        while pending is not None and pending[0] <= person_id:
            if pending[0] == person_id:
                teams.append(f"{pending[1]}:{pending[2]}")
            pending = next(memberships, None)
        yield [
            *fields, "true" if active else "false", ";".join(teams), department, worker_type,
            level,
        ]


@export_view
def export_people(request, organisation):
    """people.csv, the format the import reads back: everyone (or those matching the people
    page's filters) in the order they were added, with their teams as `Team A:60;Team B:40`,
    largest allocation first, then their HR department, worker type and level. Two queries,
    read in chunks."""
    people = (
        Person.objects.filter(_people_filter(organisation, request.GET))
        .order_by("id")
        .values_list("id", "external_id", "name", "email", "title", "role",
                     "manager__external_id", "active", "department", "worker_type", "level")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    memberships = (
        Membership.objects.filter(_people_filter(organisation, request.GET, prefix="person__"))
        .order_by("person_id", "-allocation", "team__name")
        .values_list("person_id", "team__name", "allocation")
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def rows():
        yield PEOPLE_COLUMNS
        yield from _with_teams(people, memberships)

    return csv_response(rows(), organisation=organisation, name="people", request=request)
