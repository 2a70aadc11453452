"""Strict JSON for the API's writes: a value of the wrong JSON type is refused, not coerced
(`{"name": 123}` is not the name "123", `{"manager": 1.5}` is not person 1, `"yes"` is not
true), and a field the resource does not have, or cannot be written, is refused rather than
ignored (a client that misspells a field, or tries to move a membership to another team, is
told). `StrictModelSerializer` maps the models' fields to the strict fields below; declared
fields use them directly.
"""

from collections.abc import Mapping

from django.db import models
from rest_framework import serializers
from rest_framework.settings import api_settings


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str) and not (data == "" or data is None):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "A whole number is required (not text or a decimal)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date is an ISO 8601 text ("2027-03-31"): a number is refused, not handed to the
    parser (which would fail on it with a server error)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(data)


class FlagField(serializers.ChoiceField):
    """A yes-or-no query parameter: `1` or `true`, `0` or `false`, nothing else ("yes", "on",
    "True" are refused rather than guessed at)."""

    VALUES = {"1": True, "true": True, "0": False, "false": False}

    def __init__(self, **kwargs):
        super().__init__(choices=list(self.VALUES), **kwargs)

    def to_internal_value(self, data):
        return self.VALUES[super().to_internal_value(data)]


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id is a whole number: no "12", no 12.0, no true. Many of them are a JSON list."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        field = super().many_init(*args, **kwargs)
        field.__class__ = StrictManyRelatedField
        return field

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictManyRelatedField(serializers.ManyRelatedField):
    """A list of ids is a JSON list: not an object, not a string."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


def refuse_unknown_fields(serializer: serializers.Serializer, data) -> None:
    """A field the serializer does not have, or a read-only one sent with another value than
    the object's (sending back what was read is fine), is an error."""
    if not isinstance(data, Mapping):
        return
    errors = {}
    for name in data:
        field = serializer.fields.get(name)
        if field is None:
            errors[name] = ["Unknown field: this resource has no such field."]
        elif field.read_only and not _unchanged(serializer, field, data[name]):
            errors[name] = ["This field is read only: it cannot be written here."]
    if errors:
        raise serializers.ValidationError(errors)


def _unchanged(serializer, field, value) -> bool:
    instance = getattr(serializer, "instance", None)
    if instance is None or isinstance(field, serializers.HiddenField):
        return False
    try:
        return field.to_representation(field.get_attribute(instance)) == value
    except Exception:  # noqa: BLE001 - a field that cannot say its value is not the same
        return False


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        refuse_unknown_fields(self, data)
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
        models.DateField: StrictDateField,
    }
    serializer_related_field = StrictPrimaryKeyRelatedField
    serializer_choice_field = StrictChoiceField

    def to_internal_value(self, data):
        refuse_unknown_fields(self, data)
        return super().to_internal_value(data)


NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
