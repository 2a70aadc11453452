"""The import page's own view: the three upload forms (people, matrix, positions), before
anything is uploaded."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from orgdesign.access.policy import get_org_for_user
from orgdesign.csvio.import_page import render_import
from teams.models import AccessRole


@require_GET
@login_required
def import_page(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    return render_import(request, organisation)
