"""A JSON value kept compressed (zlib) in a binary column: a scenario's base, the whole
origin as it was copied (tens of megabytes of JSON at 50,000 people). PostgreSQL parses a
`jsonb` value of that size on every write and compresses it again on its own; this column
takes a few hundred kilobytes written as they are, so keeping a base costs a tenth of the
time (docs/performance.md). Nothing queries inside the value, so nothing is lost.
"""

from __future__ import annotations

import json
import zlib

from django.db import models

# zlib's fastest level: the base is written on every copy and merge, read now and then.
LEVEL = 1


def pack(value) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode(), LEVEL)


def unpack(packed) -> object:
    return json.loads(zlib.decompress(bytes(packed)))


class PackedJSONField(models.BinaryField):
    """A JSON value stored as zlib-compressed bytes, read back as the value."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else unpack(value)

    def to_python(self, value):
        if isinstance(value, bytes | memoryview):
            return unpack(value)
        return value

    def get_prep_value(self, value):
        return None if value is None else pack(value)

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))
