"""Request body parsers for every API view (settings: REST_FRAMEWORK DEFAULT_PARSER_CLASSES)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with too deeply nested bodies answered as bad input.

    ``json`` recurses once per level of nesting: a 100 kB body of ``[[[[...`` (well under the
    1 MB limit) raised RecursionError, which DRF does not catch, and the client got a 500.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
