"""The one loader: fetches each table of an organisation once and hands the lists in.

Six queries whatever the organisation's size (the organisation itself is already loaded):
people, teams, memberships, pipelines, engagements, and the open positions.
People, memberships and engagements come as light rows (see `PersonRow`); teams and
pipelines, a few hundred at most, as model instances for the pages to show.
"""

import copy

from django.db.models import Max, Min, Q

from orgdesign.analysis.catalog import CATALOG_COLUMNS, CatalogRow
from orgdesign.analysis.orgdata import (
    EngagementRow,
    MembershipRow,
    OrgData,
    PersonRow,
    PositionRow,
)
from pipelines.models import CatalogEntity, Engagement, Pipeline, Position, PositionStatus
from teams.models import Membership, Organisation, Person, Team

PERSON_COLUMNS = ("id", "name", "role", "manager_id", "active", "external_id", "worker_type",
                  "level")
POSITION_COLUMNS = ("id", "team_id", "title", "role", "level", "fte", "pipeline_id")


def load_org_data(organisation: Organisation) -> OrgData:
    people = Person.objects.filter(organisation=organisation).values_list(
        *PERSON_COLUMNS
    )
    memberships = Membership.objects.filter(team__organisation=organisation).values_list(
        "id", "person_id", "team_id", "allocation"
    )
    return OrgData(
        organisation=organisation,
        people=[PersonRow(*row) for row in people],
        teams=list(Team.objects.filter(organisation=organisation)),
        memberships=[MembershipRow(*row) for row in memberships],
        pipelines=list(Pipeline.objects.filter(organisation=organisation)),
        engagements=load_engagements(organisation),
        positions=[
            PositionRow(*row) for row in Position.objects.filter(
                organisation=organisation, status=PositionStatus.OPEN
            ).values_list(*POSITION_COLUMNS)
        ],
        catalog=load_catalog(organisation),
    )


def load_catalog(organisation: Organisation) -> list[CatalogRow]:
    """The software catalog, in one query; none (and no query) for a design without one."""
    if not organisation.catalog_size:
        return []
    return [CatalogRow(*row) for row in CatalogEntity.objects.filter(
        organisation=organisation).values_list(*CATALOG_COLUMNS)]


def load_engagements(organisation: Organisation) -> list[EngagementRow]:
    """The cells of the matrix, in one query."""
    rows = Engagement.objects.filter(pipeline__organisation=organisation).values_list(
        "id", "pipeline_id", "team_id", "role", "effort"
    )
    return [EngagementRow(*row) for row in rows]


def load_many(organisations: list[Organisation]) -> dict[int, OrgData]:
    """`load_org_data` of several organisations (a design and its scenarios) in the same six
    queries, by organisation id."""
    ids = [organisation.pk for organisation in organisations]
    team_org: dict[int, int] = {}
    pipeline_org: dict[int, int] = {}
    data = {
        organisation.pk: OrgData(organisation, [], [], [], [], [], [])
        for organisation in organisations
    }
    for org_id, *row in Person.objects.filter(organisation__in=ids).values_list(
        "organisation_id", *PERSON_COLUMNS
    ):
        data[org_id].people.append(PersonRow(*row))
    for team in Team.objects.filter(organisation__in=ids):
        data[team.organisation_id].teams.append(team)
        team_org[team.pk] = team.organisation_id
    for pipeline in Pipeline.objects.filter(organisation__in=ids):
        data[pipeline.organisation_id].pipelines.append(pipeline)
        pipeline_org[pipeline.pk] = pipeline.organisation_id
    for row in Membership.objects.filter(team__organisation__in=ids).values_list(
        "id", "person_id", "team_id", "allocation"
    ):
        data[team_org[row[2]]].memberships.append(MembershipRow(*row))
    for row in Engagement.objects.filter(pipeline__organisation__in=ids).values_list(
        "id", "pipeline_id", "team_id", "role", "effort"
    ):
        data[pipeline_org[row[1]]].engagements.append(EngagementRow(*row))
    for org_id, *row in Position.objects.filter(
        organisation__in=ids, status=PositionStatus.OPEN
    ).values_list("organisation_id", *POSITION_COLUMNS):
        data[org_id].positions.append(PositionRow(*row))
    cataloged = [organisation.pk for organisation in organisations
                 if organisation.catalog_size]
    if cataloged:
        catalogs = {pk: [] for pk in cataloged}
        for org_id, *row in CatalogEntity.objects.filter(
            organisation__in=cataloged
        ).values_list("organisation_id", *CATALOG_COLUMNS):
            catalogs[org_id].append(CatalogRow(*row))
        for pk, rows in catalogs.items():
            data[pk].catalog = rows
    return data


# The design as history says it was (`load_as_of`): each table's rows are the last entry of
# each object at or before the moment, less the deleted ones. Two kinds of row have no such
# entry and are read otherwise:
# - rows written in bulk before their tables recorded every insert (a generated benchmark
#   design, a scenario's copied rows): they have no entry at all, and are taken as they are
#   now, for any moment after the organisation was created;
# - rows whose first entry is a change, not an insert (the same rows, edited later): before
#   that change they are taken as that first entry has them, the nearest record there is.
def _as_of_rows(model, live, organisation: Organisation, at, columns: tuple[str, ...]):
    entries = model.history.model.objects.filter(history_org=organisation.pk)
    last = entries.filter(history_date__lte=at).values("id").annotate(
        last=Max("history_id")).values("last")
    first_after = entries.values("id").annotate(
        first=Min("history_id"), first_date=Min("history_date")).filter(
        first_date__gt=at).values("first")
    rows = []
    for history_type, history_date, *row in entries.filter(
        Q(history_id__in=last) | Q(history_id__in=first_after)
    ).values_list("history_type", "history_date", *columns):
        if history_date <= at:
            if history_type != "-":
                rows.append(tuple(row))
        elif history_type == "~":
            rows.append(tuple(row))
    rows.extend(live.exclude(id__in=entries.values("id")).values_list(*columns))
    return rows


def load_as_of(organisation: Organisation, at) -> OrgData | None:
    """The design of `organisation` as its history says it was at `at` (an aware datetime),
    or None when the organisation did not exist yet. Thirteen queries whatever its size:
    the organisation's settings, and two per table (the entries, the rows without any)."""
    if at < organisation.created_at:
        return None
    then = copy.copy(organisation)
    settings = Organisation.history.filter(
        id=organisation.pk, history_date__lte=at
    ).order_by("-history_date", "-history_id").values(
        "name", "ml_head_id", "span_max", "layers_max").first()
    if settings is not None:
        for name, value in settings.items():
            setattr(then, name, value)
    people = _as_of_rows(Person, Person.objects.filter(organisation=organisation),
                         organisation, at, PERSON_COLUMNS)
    memberships = _as_of_rows(
        Membership, Membership.objects.filter(team__organisation=organisation), organisation,
        at, ("id", "person_id", "team_id", "allocation"))
    engagements = _as_of_rows(
        Engagement, Engagement.objects.filter(pipeline__organisation=organisation),
        organisation, at, ("id", "pipeline_id", "team_id", "role", "effort"))
    positions = _as_of_rows(
        Position, Position.objects.filter(organisation=organisation), organisation, at,
        (*POSITION_COLUMNS, "status"))
    teams = _instances(Team, Team.objects.filter(organisation=organisation), organisation, at)
    pipelines = _instances(Pipeline, Pipeline.objects.filter(organisation=organisation),
                           organisation, at)
    # A row of a table whose other end was gone then (a membership of a deleted team whose
    # own deletion was recorded, say) is left out, as the live tables' keys would have it.
    person_ids = {row[0] for row in people}
    team_ids = {team.pk for team in teams}
    pipeline_ids = {pipeline.pk for pipeline in pipelines}
    return OrgData(
        organisation=then,
        people=[PersonRow(*row) for row in sorted(people)],
        teams=sorted(teams, key=lambda team: team.pk),
        memberships=[MembershipRow(*row) for row in sorted(memberships)
                     if row[1] in person_ids and row[2] in team_ids],
        pipelines=sorted(pipelines, key=lambda pipeline: pipeline.pk),
        engagements=[EngagementRow(*row) for row in sorted(engagements)
                     if row[1] in pipeline_ids and row[2] in team_ids],
        positions=[PositionRow(*row[:-1]) for row in sorted(positions)
                   if row[-1] == PositionStatus.OPEN and row[1] in team_ids],
        # The catalog keeps no history: a design of the past is judged against today's.
        catalog=load_catalog(organisation),
    )


def _instances(model, live, organisation: Organisation, at) -> list:
    """Teams or pipelines as model instances (the pages show them), as of `at`."""
    names = [field.attname for field in model._meta.concrete_fields
             if field.name != "updated_at"]
    return [model(**dict(zip(names, row, strict=True)))
            for row in _as_of_rows(model, live, organisation, at, tuple(names))]
