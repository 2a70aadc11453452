"""The level table, `/orgs/<slug>/settings/levels/`: what a person at each level costs a year,
and the organisation's currency. Money, so the page is an admin's alone (403 for anyone else);
the writes are `teams.levels`'s."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgdesign.access.policy import get_org_for_user
from orgdesign.web.forms import add_service_errors
from teams import levels
from teams.actor import browser_actor
from teams.models import AccessRole, Level, Person

# A year's cost of one person, in whole units: far above any salary, far below the column.
COST_MAX = 10**12


class LevelForm(forms.Form):
    name = forms.CharField(max_length=20, help_text="The HR job level, as people carry it: L5.")
    annual_cost = forms.IntegerField(
        min_value=0, max_value=COST_MAX, label="Annual cost",
        help_text="What a person at this level costs a year, in whole units of the currency.",
    )


class CurrencyForm(forms.Form):
    currency = forms.CharField(
        min_length=3, max_length=3, help_text="ISO 4217 code, such as USD, EUR or GBP."
    )


def _page(request, organisation, *, form=None, currency_form=None, status=200):
    table = list(Level.objects.filter(organisation=organisation))
    held = dict(
        Person.objects.filter(organisation=organisation, active=True)
        .values_list("level").annotate(count=Count("id")).values_list("level", "count")
    )
    known = {level.name for level in table}
    for level in table:
        level.holders = held.get(level.name, 0)
    unknown = sorted((name, count) for name, count in held.items() if name and name not in known)
    return render(request, "teams/levels.html", {
        "organisation": organisation,
        "levels": table,
        "form": form or LevelForm(),
        "currency_form": currency_form or CurrencyForm(initial={
            "currency": organisation.currency}),
        "without_level": held.get("", 0),
        "unknown_levels": unknown,
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def level_table(request, slug):
    """The table, and a new level added to it."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    if request.method == "GET":
        return _page(request, organisation)
    form = LevelForm(request.POST)
    if form.is_valid():
        try:
            level = levels.level_create(
                organisation=organisation, actor=browser_actor(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Level {level.name} added.")
            return redirect("levels", slug)
    return _page(request, organisation, form=form, status=400)


def _level(organisation, pk) -> Level:
    level = Level.objects.filter(organisation=organisation, pk=pk).first()
    if level is None:
        raise Http404("No such level.")
    return level


@require_POST
@login_required
def level_update(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    level = _level(organisation, pk)
    form = LevelForm(request.POST)
    if form.is_valid():
        try:
            levels.level_update(level=level, actor=browser_actor(request), **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Level {level.name} saved.")
            return redirect("levels", slug)
    return _page(request, organisation, form=form, status=400)


@require_POST
@login_required
def level_delete(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    level = _level(organisation, pk)
    levels.level_delete(level=level, actor=browser_actor(request))
    messages.success(request, f"Level {level.name} deleted: whoever holds it costs nothing now.")
    return redirect("levels", slug)


@require_POST
@login_required
def currency_set(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    form = CurrencyForm(request.POST)
    if form.is_valid():
        try:
            levels.currency_set(organisation=organisation, actor=browser_actor(request),
                                currency=form.cleaned_data["currency"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Costs are in {organisation.currency}.")
            return redirect("levels", slug)
    return _page(request, organisation, currency_form=form, status=400)
