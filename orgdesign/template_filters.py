"""Filters every template may use without `{% load %}` (TEMPLATES' `builtins`)."""

from django import template

from orgdesign.access import role_at_least as _role_at_least

register = template.Library()


@register.filter
def role_at_least(role: str, min_role: str) -> bool:
    """`{% if organisation.user_role|role_at_least:"editor" %}`: the one role comparison of
    `orgdesign.access`, in templates."""
    return bool(role) and _role_at_least(role, min_role)


@register.filter
def duration_minutes(value) -> str:
    """A timedelta as "15 minutes" (at least one minute)."""
    minutes = max(1, round(value.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
