"""The history of a design, /orgs/<slug>/history/ (docs/design.md section 4), and restoring from
it. The reading and the restoring are `orgdesign.history.services`'s; these views check the role,
read the filters and answer."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user, role_at_least, sees_money
from orgdesign.api.filters import MAX_ID
from orgdesign.history.services import KIND_LABELS, Filters, history_page, record_of, restore
from teams.actor import browser_actor
from teams.models import AccessRole, Door

ANY = ("", "Any")
# Python's dates, and so the filters', run from year 1 to 9999: year 0 or 10000 is left out,
# and says why.
DATE_INVALID = {"invalid": "Enter a valid date: YYYY-MM-DD, from 0001-01-01 to 9999-12-31."}


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Object", required=False, choices=[ANY, *KIND_LABELS.items()])
    door = forms.ChoiceField(label="Door", required=False, choices=[ANY, *Door.choices])
    since = forms.DateField(label="From", required=False, error_messages=DATE_INVALID,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, error_messages=DATE_INVALID,
                            widget=forms.DateInput(attrs={"type": "date"}))
    # Set by the links from a person's, team's or pipeline's page. Bounded: a number no id
    # can be (30 digits) is no query the database can run.
    person = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID,
                                widget=forms.HiddenInput)
    team = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID,
                              widget=forms.HiddenInput)
    pipeline = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID,
                                  widget=forms.HiddenInput)
    position = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID,
                                  widget=forms.HiddenInput)

    def filters(self, *, money: bool) -> Filters:
        """The valid filters; an invalid one is left out (and shown as such on the form).
        `money`: whether the reader may see the level table's history."""
        values = {name: value for name, value in self.cleaned_data.items()
                  if value not in (None, "")}
        return Filters(**values, money=money)


@require_GET
@login_required
def history(request, slug):
    organisation = get_org_for_user(request, slug)
    form = HistoryFilterForm(request.GET)
    form.is_valid()
    filters = form.filters(money=sees_money(organisation.user_role))
    page = history_page(organisation, filters, request.GET.get("page"))
    return render(request, "history/history.html", {
        "organisation": organisation,
        "form": form,
        "filters": filters,
        "filtered": filters != Filters(money=filters.money),
        "page": page,
        "can_restore": can_edit(organisation),
        "can_restore_settings": role_at_least(organisation.user_role, AccessRole.ADMIN),
    })


@require_POST
@login_required
def history_restore(request, slug, kind, history_id):
    """Write an entry's values back; then back to where the button was (`next`)."""
    # Settings are the admin's, the rest of the design the editor's (like their pages).
    min_role = AccessRole.ADMIN if kind == "organisation" else AccessRole.EDITOR
    organisation = get_org_for_user(request, slug, min_role=min_role)
    record = record_of(organisation, kind, history_id)
    if record is None:
        raise Http404("No such entry in this design's history.")
    try:
        done = restore(organisation, kind, record, actor=browser_actor(request))
    except ValidationError as refusal:
        messages.error(request, "Not restored: " + " ".join(refusal.messages))
    else:
        messages.success(request, f"Restored. {done}")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(back)
    return redirect("history", slug=organisation.slug)
