"""session-gateway adapters for Python apps: the app keeps its framework's session API, the gateway holds the session.

- Flask: ``app.session_interface = session_gateway.flask.GatewaySessionInterface(principal="user.id")``
- Django: ``SESSION_ENGINE = "session_gateway.django"`` and ``session_gateway.django.SessionMiddleware``
- Any WSGI app: ``session_gateway.wsgi.SessionMiddleware(app, principal="user")``

This package imports no framework itself: ``session_gateway.flask`` and ``session_gateway.django`` import theirs.
"""

from .header_token import ConfigurationError, InvalidToken, header_key, verify_token
from .state import GatewayState, load_state, principal_of
from .write_back import encode_principal, encode_update

__version__ = "0.1.0"
__all__ = [
    "ConfigurationError", "InvalidToken", "header_key", "verify_token",
    "GatewayState", "load_state", "principal_of", "encode_principal", "encode_update",
]
