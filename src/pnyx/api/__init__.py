"""Mastodon client API: one router module per resource, entity serializers, OAuth 2.

Routes write ids as `{id:int}`. Starlette's own int convertor accepts any number of digits and
`int()` refuses strings over 4,300 digits, so a hostile URL could crash routing. We register a
bounded one under the same name before any route is built: ids are at most 19 digits (64-bit),
anything longer simply matches no route (404).
"""

from starlette.convertors import Convertor, register_url_convertor


class BoundedIntConvertor(Convertor):
    regex = "[0-9]{1,19}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("int", BoundedIntConvertor())
