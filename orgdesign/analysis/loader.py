"""The one loader: fetches each table of an organisation once and hands the lists in.

Five queries whatever the organisation's size (the organisation itself is already loaded).
People, memberships and engagements come as light rows (see `PersonRow`); teams and
pipelines, a few hundred at most, as model instances for the pages to show.
"""

from orgdesign.analysis.orgdata import EngagementRow, MembershipRow, OrgData, PersonRow
from pipelines.models import Engagement, Pipeline
from teams.models import Membership, Organisation, Person, Team


def load_org_data(organisation: Organisation) -> OrgData:
    people = Person.objects.filter(organisation=organisation).values_list(
        "id", "name", "role", "manager_id", "active", "external_id"
    )
    memberships = Membership.objects.filter(team__organisation=organisation).values_list(
        "id", "person_id", "team_id", "allocation"
    )
    engagements = Engagement.objects.filter(pipeline__organisation=organisation).values_list(
        "id", "pipeline_id", "team_id", "role"
    )
    return OrgData(
        organisation=organisation,
        people=[PersonRow(*row) for row in people],
        teams=list(Team.objects.filter(organisation=organisation)),
        memberships=[MembershipRow(*row) for row in memberships],
        pipelines=list(Pipeline.objects.filter(organisation=organisation)),
        engagements=[EngagementRow(*row) for row in engagements],
    )
