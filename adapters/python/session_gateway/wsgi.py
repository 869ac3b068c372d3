"""A plain WSGI middleware: the session as a dict in the environ, for frameworks without an adapter of their own.

    from session_gateway.wsgi import SessionMiddleware
    application = SessionMiddleware(application, principal="user")

    def view(environ, start_response):
        session = environ["session_gateway.session"]
        session["cart"] = [...]          # saved when the app calls start_response
        session.clear()                  # ends the login (X-Session-Logout) when the principal was set

The write-back goes out with the response head: changes made while the body is being sent are not saved.
"""

from .state import GatewaySessionMixin, load_state
from .header_token import resolve_key

__all__ = ["SessionMiddleware", "WsgiSession", "ENVIRON_KEY"]

ENVIRON_KEY = "session_gateway.session"


class WsgiSession(GatewaySessionMixin, dict):
    """The session's attributes (JSON values) plus what the gateway said about it."""

    def __init__(self, state):
        super().__init__(state.original)
        self.gateway = state
        self.cleared = False
        self.destroyed = False
        self.rotate = False

    def clear(self):
        super().clear()
        self.cleared = True

    def destroy(self):
        """End the session at the gateway (X-Session-Logout), whatever else changed."""
        super().clear()
        self.destroyed = True

    def write_back_headers(self):
        return self.gateway.write_back(dict(self), cleared=self.cleared, destroyed=self.destroyed, relogin=self.rotate)


class SessionMiddleware:
    """Wrap a WSGI app; ``principal`` names the attribute (or ``"a.b"`` path) that holds the logged-in user."""

    def __init__(self, app, principal=None, key=None, environ_key=ENVIRON_KEY):
        self.app = app
        self.principal = principal
        self.key = resolve_key(key)
        self.environ_key = environ_key

    def __call__(self, environ, start_response):
        session = WsgiSession(load_state(environ.get("HTTP_X_SESSION"), self.key, self.principal))
        environ[self.environ_key] = session

        def start_with_write_back(status, headers, exc_info=None):
            # The head is about to go out: the gateway must see the write-back in it.
            return start_response(status, list(headers) + session.write_back_headers(), exc_info)

        return self.app(environ, start_with_write_back)
