"""Origin check for WebSockets that lets non-browser clients through.

Browsers always send `Origin`, so a cross-site page is refused by the allowed
list. Native and server clients send none; they cannot be tricked by another
site into using the user's credentials, and they authenticate with a token.
"""

from urllib.parse import ParseResult

from channels.security.websocket import OriginValidator


# channels ships no type information: its classes are Any to mypy.
class BrowserOriginValidator(OriginValidator):  # type: ignore[misc]
    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))
