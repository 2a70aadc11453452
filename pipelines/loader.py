"""The one loader: fetches each table of an organisation once and hands the lists in.

Five queries whatever the organisation's size (the organisation itself is already loaded).
"""

from pipelines.models import Engagement, Pipeline
from pipelines.orgdata import OrgData
from teams.models import Membership, Organisation, Person, Team

# Only what the analyses read: a whole-company sync brings tens of thousands of people.
PERSON_FIELDS = ("id", "organisation_id", "external_id", "name", "role", "manager_id", "active")


def load_org_data(organisation: Organisation) -> OrgData:
    return OrgData(
        organisation=organisation,
        people=list(Person.objects.filter(organisation=organisation).only(*PERSON_FIELDS)),
        teams=list(Team.objects.filter(organisation=organisation)),
        memberships=list(
            Membership.objects.filter(team__organisation=organisation).only(
                "id", "person_id", "team_id", "allocation"
            )
        ),
        pipelines=list(Pipeline.objects.filter(organisation=organisation)),
        engagements=list(
            Engagement.objects.filter(pipeline__organisation=organisation).only(
                "id", "pipeline_id", "team_id", "role"
            )
        ),
    )
