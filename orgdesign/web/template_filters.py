"""Filters every template may use without `{% load %}` (TEMPLATES' `builtins`)."""

from functools import lru_cache

from django import template
from django.urls import reverse

from orgdesign.access.policy import role_at_least as _role_at_least
from orgdesign.analysis.remedies import PROPOSERS

register = template.Library()


@register.filter
def role_at_least(role: str, min_role: str) -> bool:
    """`{% if organisation.user_role|role_at_least:"editor" %}`: the one role comparison of
    `orgdesign.access.policy`, in templates."""
    return bool(role) and _role_at_least(role, min_role)


@register.filter
def duration_minutes(value) -> str:
    """A timedelta as "15 minutes" (at least one minute)."""
    minutes = max(1, round(value.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@lru_cache(maxsize=1)
def _remedies_pattern() -> str:
    return reverse("remedies", args=["ORG-SLUG", "FINDING-KEY"])


@register.filter
def remedies_url(finding, slug: str) -> str:
    """Where a finding's remedies are shown and tried: `{{ finding|remedies_url:slug }}`.
    Reversed once and filled in, as a page may show hundreds of findings."""
    return (
        _remedies_pattern()
        .replace("ORG-SLUG", slug)
        .replace("FINDING-KEY", finding.key)
    )


@register.filter
def fixable(findings) -> list:
    """The findings for which orgdesign proposes changes (`remedies.PROPOSERS`)."""
    return [finding for finding in findings if finding.code in PROPOSERS]


@register.filter
def fixable_one(finding) -> bool:
    """Whether orgdesign proposes changes for this finding's code."""
    return finding.code in PROPOSERS


@register.filter
def money(amount, currency: str = "") -> str:
    """A whole amount as "USD 1,250,000" (`{{ cost|money:organisation.currency }}`). Every
    element showing one carries `data-money` (docs/design.md section 4), and is drawn only
    for admins (`orgdesign.access.policy.sees_money`)."""
    if amount is None:
        return "—"
    text = f"{round(amount):,}"
    return f"{currency} {text}" if currency else text


@register.filter
def fte(value) -> str:
    """FTE with one decimal at most: 2.5, 3, 0.3."""
    if value is None:
        return "—"
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
