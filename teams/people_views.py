"""The people pages of one organisation: the list, a person's page, and the person picker.

Reads answer every role; writes need the editor role, checked here in each view (a viewer's
page hides the buttons, but a fragment rendered alone skips the template's checks). Every
write goes through `teams.services`, whose refusals are shown next to the field they name.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.orgdata import OrgData, OrgIndex
from teams import services
from teams.actor import browser_actor
from teams.forms import MembershipForm, PersonEditForm, PersonFilterForm, PersonForm
from teams.membership_editor import membership_rows
from teams.models import AccessRole, Membership, Organisation, Person, Team
from teams.page_helpers import DetailPage, ListPage

PAGE_SIZE = 50


# The list ---------------------------------------------------------------------------------


@dataclass
class PersonListRow:
    person: Person
    memberships: list[Membership]  # the main team first


def _people_list_context(request, organisation: Organisation) -> dict:
    """One page of people, filtered: a count, the page, and its memberships (3 queries)."""
    filters = PersonFilterForm(request.GET, auto_id="filter-%s")
    filters.is_valid()  # a bad filter value is left out of cleaned_data, so it is ignored
    wanted = filters.cleaned_data
    people = Person.objects.filter(organisation=organisation)
    if query := wanted.get("q"):
        people = people.filter(
            Q(name__icontains=query) | Q(email__icontains=query) | Q(external_id__icontains=query)
        )
    if status := wanted.get("status"):
        people = people.filter(active=status == "active")
    if role := wanted.get("role"):
        people = people.filter(role=role)
    people = (
        people.select_related("manager")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("team"))
        )
        .order_by("name", "id")
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    persons = list(page.object_list)
    memberships = [membership for person in persons for membership in person.memberships.all()]
    # The main team is the domain's rule (OrgIndex.main_team), applied to this page only.
    index = OrgIndex(
        OrgData(
            organisation=organisation,
            people=persons,
            teams=[membership.team for membership in memberships],
            memberships=memberships,
            pipelines=[],
            engagements=[],
        )
    )
    rows = []
    for person in persons:
        main = index.main_team(person.id)
        ordered = sorted(
            person.memberships.all(),
            key=lambda m, main=main: (m.team != main, -m.allocation, m.team.name),
        )
        rows.append(PersonListRow(person, ordered))
    return {
        "filters": filters,
        "filtered": any(wanted.get(key) for key in ("q", "status", "role")),
        "page": page,
        "rows": rows,
    }


PEOPLE_PAGE = ListPage(
    template="teams/people.html",
    list_section="people-list",
    create_section="person-create",
    list_context=_people_list_context,
    form_class=PersonForm,
    pickers=("manager",),
    detail_url="person_detail",
)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def people(request, slug):
    return PEOPLE_PAGE.render(request, get_org_for_user(request, slug))


@require_POST
@login_required
def person_create(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    return PEOPLE_PAGE.create(request, organisation, lambda data: services.person_create(
        actor=browser_actor(request), organisation=organisation, **data
    ))


# One person -------------------------------------------------------------------------------


def _get_person(organisation: Organisation, pk: int) -> Person:
    """A person of this organisation; another organisation's id answers 404."""
    return get_object_or_404(
        Person.objects.select_related("manager"), organisation=organisation, pk=pk
    )


def _person_initial(person: Person) -> dict:
    return {
        "name": person.name,
        "external_id": person.external_id,
        "email": person.email,
        "title": person.title,
        "department": person.department,
        "role": person.role,
        "worker_type": person.worker_type,
        "level": person.level,
        "manager": person.manager,
        "dotted_line_managers": list(person.dotted_line_managers.order_by("name", "id")),
        "active": person.active,
        "version": services.version_of(person),
    }


def _edit_form(organisation: Organisation, person: Person) -> PersonEditForm:
    return PersonEditForm(initial=_person_initial(person), organisation=organisation)


def _memberships_context(organisation: Organisation, person: Person, form=None) -> dict:
    memberships = list(
        person.memberships.select_related("team").order_by("-allocation", "team__name")
    )
    rows, add_form = membership_rows(memberships, form, "team")
    if add_form is None:
        add_form = MembershipForm(organisation=organisation, auto_id="add-%s")
    return {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        "person": person,
        "membership_rows": rows,
        "total_allocation": sum(membership.allocation for membership in memberships),
        "add_form": add_form,
    }


PERSON_PAGE = DetailPage(
    template="teams/person_detail.html",
    name="person",
    form_section="person-form",
    members_section="person-memberships",
    edit_form=_edit_form,
    pickers=("manager", "dotted_line_managers"),
    members_context=_memberships_context,
    detail_url="person_detail",
)


@require_GET
@login_required
def person_detail(request, slug, pk):
    organisation = get_org_for_user(request, slug)
    return PERSON_PAGE.render(request, organisation, _get_person(organisation, pk))


@require_POST
@login_required
def person_update(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    return PERSON_PAGE.edit(
        request,
        organisation,
        _get_person(organisation, pk),
        PersonEditForm(request.POST, organisation=organisation),
        update=lambda person, version, changes: services.person_update(
            actor=browser_actor(request), person=person, expected_version=version, **changes
        ),
        reload=lambda: _get_person(organisation, pk),
    )


@require_POST
@login_required
def person_deactivate(request, slug, pk):
    """People who leave are deactivated, never deleted: their lines and history stay."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = _get_person(organisation, pk)
    services.person_deactivate(actor=browser_actor(request), person=person)
    if not request.htmx:
        return redirect("person_detail", slug=organisation.slug, pk=person.pk)
    return PERSON_PAGE.form_response(
        request,
        organisation,
        person,
        _edit_form(organisation, person),
        notice=f"{person.name} is deactivated.",
    )


@require_POST
@login_required
def person_membership_set(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = _get_person(organisation, pk)
    form = MembershipForm(request.POST, organisation=organisation, auto_id="add-%s")
    return PERSON_PAGE.set_membership(request, organisation, person, form)


@require_POST
@login_required
def person_membership_remove(request, slug, pk, team_pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = _get_person(organisation, pk)
    team = get_object_or_404(Team, organisation=organisation, pk=team_pk)
    services.membership_remove(person=person, team=team, actor=browser_actor(request))
    return PERSON_PAGE.members_response(request, organisation, person)
