"""The organisation list: the landing page after login."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teams.models import Organisation


@require_GET
@login_required
def home(request):
    organisations = Organisation.objects.order_by("name")
    if not request.user.is_superuser:
        organisations = organisations.filter(access__user=request.user)
    return render(request, "teams/home.html", {"organisations": organisations})
