"""The one loader: fetches each table of an organisation once and hands the lists in.

Six queries whatever the organisation's size (the organisation itself is already loaded):
people, teams, memberships, pipelines, engagements, and the open positions.
People, memberships and engagements come as light rows (see `PersonRow`); teams and
pipelines, a few hundred at most, as model instances for the pages to show.
"""

from orgdesign.analysis.orgdata import (
    EngagementRow,
    MembershipRow,
    OrgData,
    PersonRow,
    PositionRow,
)
from pipelines.models import Engagement, Pipeline, Position, PositionStatus
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
    )


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
    return data
