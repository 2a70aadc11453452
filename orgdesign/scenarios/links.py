"""Addresses of scenario pages that more than one door links to."""

from urllib.parse import urlencode

from django.urls import reverse

from teams.models import Organisation


def compare_url(organisation: Organisation, scenario_slug: str, tried: str = "",
                *, plan: bool = False) -> str:
    """The comparison of a design with one of its scenarios; `tried`, the key of the finding a
    fix was tried for there (or `all`), has the page say what became of it; `plan` judges
    both designs with their open positions filled (a fix that opened one)."""
    url = reverse("compare", args=[organisation.slug, scenario_slug])
    query = {**({"tried": tried} if tried else {}), **({"plan": "1"} if plan else {})}
    return f"{url}?{urlencode(query)}" if query else url
