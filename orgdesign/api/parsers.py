"""The API's JSON parser: Django REST framework's, reading the body through
`orgdesign.web.inputs.load_json`, so a body nested too deep or holding a NUL character or a lone
surrogate is refused with a 400 before any serializer or query sees it."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from orgdesign.web.inputs import BadInput, load_json


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            return load_json(body)
        except BadInput as error:
            raise ParseError(str(error)) from error
