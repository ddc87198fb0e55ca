"""The REST API reads JSON bodies as strictly as ingest does (core.jsondoc)."""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core import jsondoc


class StrictJSONParser(JSONParser):
    """JSON without NaN, Infinity or numbers too large to be finite; too deep is a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        try:
            return jsondoc.loads(stream.read() if stream is not None else b"")
        except jsondoc.DocumentError as error:
            raise ParseError(str(error)) from None
