"""Flask: keep ``flask.session``, let the gateway hold it.

    from session_gateway.flask import GatewaySessionInterface
    app.session_interface = GatewaySessionInterface(principal="user.id")

``session[...]``, ``get``, ``pop``, ``clear()``, ``permanent``, ``modified`` and Flask's tagged JSON types (tuple,
bytes, datetime, UUID, Markup, and tags an app registers on ``serializer``) behave as with Flask's own cookie session.
Setting the principal attribute logs in (the gateway rotates the session id); removing it, or ``session.clear()``
while logged in, logs out. Nested changes are saved even without ``session.modified = True``: the adapter compares
values, it does not rely on the flag. Flask's session cookie is never set.
"""

from flask.sessions import SecureCookieSession, SessionInterface, session_json_serializer

from .state import GatewaySessionMixin, load_state
from .header_token import resolve_key

__all__ = ["GatewaySessionInterface", "GatewaySession"]


class GatewaySession(GatewaySessionMixin, SecureCookieSession):
    """Flask's session dict, with what the gateway said about it."""

    def __init__(self, initial, state):
        super().__init__(initial)
        self.gateway = state
        #: True when the gateway had no session for this request (Flask's cookie session cannot tell; this one can).
        self.new = not state.exists
        self.cleared = False

    def clear(self):
        super().clear()
        self.cleared = True


class GatewaySessionInterface(SessionInterface):
    """``principal`` names the session key (and field path, ``"user.id"``) that means "logged in"."""

    #: Flask's own tagged-JSON serializer: custom tags registered on it apply here too.
    serializer = session_json_serializer
    session_class = GatewaySession

    def __init__(self, principal=None, key=None):
        self.principal = principal
        self.key = resolve_key(key)

    def open_session(self, app, request):
        state = load_state(request.headers.get("X-Session"), self.key, self.principal)
        return self.session_class({name: self._untag(value) for name, value in state.original.items()}, state)

    def save_session(self, app, session, response):
        if session.accessed:
            response.vary.add("Cookie")
        # Compare in tagged form: a tuple stays a tuple, bytes stay bytes, as Flask's own session keeps them.
        current = {name: self.serializer.tag(value) for name, value in session.items()}
        for name, value in session.gateway.write_back(current, cleared=session.cleared):
            response.headers.add(name, value)

    def _untag(self, value):
        """Undo Flask's tags bottom-up, as ``json.loads(..., object_hook=serializer.untag)`` does."""
        if isinstance(value, dict):
            return self.serializer.untag({name: self._untag(item) for name, item in value.items()})
        if isinstance(value, list):
            return [self._untag(item) for item in value]
        return value
