"""Query filters every API list shares: ids of related objects, and `updated_since`."""

from datetime import UTC, timedelta

from django import forms
from django_filters import rest_framework as filters

MAX_ID = 2**63 - 1  # the largest id a 64-bit primary key holds


class IdFilter(filters.NumberFilter):
    """The id of a related object: a whole number the database can hold (400 otherwise)."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=MAX_ID, **kwargs)


class _TrueOrFalse(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise forms.ValidationError("Write true or false.")


class StrictBooleanFilter(filters.BooleanFilter):
    """`true` or `false`, nothing else (django-filter's also reads "null" as no filter)."""

    field_class = _TrueOrFalse

    def __init__(self, *args, **kwargs):
        # The text as sent: django-filter's widget reads anything unknown as "no filter".
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


class UpdatedSinceFilter(filters.IsoDateTimeFilter):
    """A time compared in UTC: ISO 8601 allows offsets (up to 24 hours) that PostgreSQL
    refuses (beyond 15:59)."""

    def filter(self, queryset, value):
        if value is None:
            return queryset
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            # Before year 1 in UTC everything is newer; after 9999, nothing is.
            return queryset if value.utcoffset() > timedelta(0) else queryset.none()
        return super().filter(queryset, value)


class UpdatedSinceFilterSet(filters.FilterSet):
    updated_since = UpdatedSinceFilter(
        field_name="updated_at", lookup_expr="gte",
        label="Only objects changed at or after this time (ISO 8601).",
    )
