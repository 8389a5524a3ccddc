"""Origin check for WebSockets that lets non-browser clients through.

Browsers always send `Origin`, so a cross-site page is refused by the allowed
list. Native and server clients send none; they cannot be tricked by another
site into using the user's credentials, and they authenticate with a token.
"""

from channels.security.websocket import OriginValidator


class BrowserOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)
