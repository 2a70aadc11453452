"""The people pages of one organisation: the list, a person's page, and the person picker.

Reads answer every role; writes need the editor role, checked here in each view (a viewer's
page hides the buttons, but a fragment rendered alone skips the template's checks). Every
write goes through `teams.services`, whose refusals are shown next to the field they name.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.orgdata import OrgData, OrgIndex
from orgdesign.history.sections import recent_context
from orgdesign.web.forms import add_service_errors, save_create, save_edit
from orgdesign.web.htmx import wants_fragment
from teams import services
from teams.actor import browser_actor
from teams.forms import MembershipForm, PersonEditForm, PersonFilterForm, PersonForm
from teams.membership_editor import membership_rows
from teams.models import AccessRole, Membership, Organisation, Person, Team
from teams.picker import pickers_for

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


def _create_context(organisation: Organisation, form: PersonForm, created=None) -> dict:
    return {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        "form": form,
        "pickers": pickers_for(form, "manager"),
        "created": created,
    }


def _new_person_form(organisation: Organisation, data=None) -> PersonForm:
    return PersonForm(data, organisation=organisation, auto_id="new-%s")


@require_GET
@login_required
@vary_on_headers("HX-Request")
def people(request, slug):
    organisation = get_org_for_user(request, slug)
    context = {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        **_people_list_context(request, organisation),
    }
    if wants_fragment(request):
        return render(request, "teams/people.html#people-list", context)
    context.update(_create_context(organisation, _new_person_form(organisation)))
    return render(request, "teams/people.html", context)


@require_POST
@login_required
def person_create(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)

    def respond(form, created, status):
        context = _create_context(organisation, form, created)
        if request.htmx:
            return render(request, "teams/people.html#person-create", context, status=status)
        context.update(_people_list_context(request, organisation))
        return render(request, "teams/people.html", context, status=status)

    return save_create(
        request,
        organisation=organisation,
        form=_new_person_form(organisation, request.POST),
        create=lambda data: services.person_create(
            actor=browser_actor(request), organisation=organisation, **data
        ),
        new_form=lambda: _new_person_form(organisation),
        detail_url="person_detail",
        respond=respond,
    )


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


def _person_form_context(
    organisation: Organisation,
    person: Person,
    form: PersonEditForm,
    notice: str = "",
    conflict: str = "",
) -> dict:
    return {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        "person": person,
        "form": form,
        "pickers": pickers_for(form, "manager", "dotted_line_managers"),
        "notice": notice,
        "conflict": conflict,
    }




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


@require_GET
@login_required
def person_detail(request, slug, pk):
    organisation = get_org_for_user(request, slug)
    person = _get_person(organisation, pk)
    context = {
        **_person_form_context(organisation, person, _edit_form(organisation, person)),
        **_memberships_context(organisation, person),
        **recent_context(request, organisation, person=person.pk),
    }
    return render(request, "teams/person_detail.html", context)


def _person_form_response(request, organisation, person, form, *, notice="", conflict=""):
    """The person's form again: 400 when refused, 409 after a conflicting edit."""
    context = _person_form_context(organisation, person, form, notice, conflict)
    status = 409 if conflict else 400 if form.errors else 200
    if request.htmx:
        return render(request, "teams/person_detail.html#person-form", context, status=status)
    context.update(_memberships_context(organisation, person))
    return render(request, "teams/person_detail.html", context, status=status)


@require_POST
@login_required
def person_update(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = _get_person(organisation, pk)
    return save_edit(
        request,
        organisation=organisation,
        instance=person,
        form=PersonEditForm(request.POST, organisation=organisation),
        update=lambda person, version, changes: services.person_update(
            actor=browser_actor(request), person=person, expected_version=version, **changes
        ),
        edit_form=_edit_form,
        respond=_person_form_response,
        reload=lambda: _get_person(organisation, pk),
        detail_url="person_detail",
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
    return _person_form_response(
        request,
        organisation,
        person,
        _edit_form(organisation, person),
        notice=f"{person.name} is deactivated.",
    )


def _memberships_response(request, organisation, person, form=None):
    """The person's teams again (400 with the form when refused), or back to their page."""
    refused = form is not None and bool(form.errors)
    if not request.htmx and not refused:
        return redirect("person_detail", slug=organisation.slug, pk=person.pk)
    context = _memberships_context(organisation, person, form)
    status = 400 if refused else 200
    if request.htmx:
        return render(
            request, "teams/person_detail.html#person-memberships", context, status=status
        )
    context.update(_person_form_context(organisation, person, _edit_form(organisation, person)))
    return render(request, "teams/person_detail.html", context, status=status)


@require_POST
@login_required
def person_membership_set(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = _get_person(organisation, pk)
    form = MembershipForm(request.POST, organisation=organisation, auto_id="add-%s")
    if form.is_valid():
        try:
            services.membership_set(
                actor=browser_actor(request), person=person, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
    return _memberships_response(request, organisation, person, form)


@require_POST
@login_required
def person_membership_remove(request, slug, pk, team_pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    person = _get_person(organisation, pk)
    team = get_object_or_404(Team, organisation=organisation, pk=team_pk)
    services.membership_remove(person=person, team=team, actor=browser_actor(request))
    return _memberships_response(request, organisation, person)
