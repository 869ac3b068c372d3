"""Django: keep ``request.session`` and ``django.contrib.auth``, let the gateway hold the session.

    SESSION_ENGINE = "session_gateway.django"
    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "session_gateway.django.SessionMiddleware",     # in place of django.contrib.sessions' SessionMiddleware
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        ...
    ]

``login()`` stores the user id under ``_auth_user_id``: that id becomes the gateway's principal (``X-Session-Login``,
the gateway rotates the session id: ``cycle_key()``); ``logout()`` calls ``flush()``, which ends the gateway session.
Values are JSON, as with Django's default ``JSONSerializer``. ``session_key`` is the gateway's non-secret session
handle. ``get_expiry_age()`` / ``get_expiry_date()`` report the gateway's idle and absolute timeouts;
``set_expiry(seconds)`` is enforced here against the gateway's last-access time. Django's session cookie is never set.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

from .header_token import resolve_key
from .state import GatewayState, load_state, warn_once

__all__ = ["SessionStore", "SessionMiddleware"]

#: django.contrib.auth.SESSION_KEY, without importing contrib.auth (an app may not install it).
AUTH_USER_ID = "_auth_user_id"
EXPIRY = "_session_expiry"
MIDDLEWARE_PATH = "session_gateway.django.SessionMiddleware"


class SessionStore(SessionBase):
    """A session engine whose storage is the gateway: load from the verified header, save through the response."""

    def __init__(self, session_key=None, gateway=None):
        if gateway is None and MIDDLEWARE_PATH not in (getattr(settings, "MIDDLEWARE", None) or ()):
            # Django's own SessionMiddleware would make every session empty, silently: say so once.
            warn_once("django-middleware", "session_gateway.django: %s is not in MIDDLEWARE (in place of "
                      "django.contrib.sessions.middleware.SessionMiddleware): sessions will be empty", MIDDLEWARE_PATH)
        self.gateway = gateway if gateway is not None else GatewayState(None, AUTH_USER_ID)
        super().__init__(self.gateway.sid)
        self._flushed = False
        self._cycled = False
        self._destroyed = False

    def load(self):
        data = dict(self.gateway.original)
        if self._custom_expiry_passed(data.get(EXPIRY)):
            # set_expiry(n): n seconds of inactivity, measured from the gateway's last access before this request.
            self._flushed = True
            return {}
        return data

    def _custom_expiry_passed(self, expiry):
        lifetime = self.gateway.lifetime()
        if lifetime is None or isinstance(expiry, bool) or not isinstance(expiry, int) or expiry <= 0:
            return False
        last_access_ms = lifetime[1]
        return time.time() - last_access_ms / 1000 > expiry

    def exists(self, session_key):
        return False

    def create(self):
        self.modified = True

    def save(self, must_create=False):
        # Nothing to store here: SessionMiddleware sends the changes to the gateway with the response head.
        self.modified = True

    def delete(self, session_key=None):
        self._destroyed = True

    def flush(self):
        self.clear()
        self._flushed = True
        self._session_key = None

    def cycle_key(self):
        # The gateway rotates the session id on login; an explicit cycle re-sends the login to rotate it again.
        self._cycled = True
        self.modified = True

    @classmethod
    def clear_expired(cls):
        """The gateway expires sessions itself (idle and absolute timeouts, its expiry sweep)."""

    def _gateway_age(self):
        lifetime = self.gateway.lifetime()
        if lifetime is None:
            return None
        _, _, idle_seconds, end_ms = lifetime
        return max(0, int(min(idle_seconds, end_ms / 1000 - time.time())))

    def get_expiry_age(self, **kwargs):
        expiry = kwargs["expiry"] if "expiry" in kwargs else self.get(EXPIRY)
        age = self._gateway_age()
        if expiry or age is None:
            return super().get_expiry_age(**kwargs)
        return age

    def get_expiry_date(self, **kwargs):
        expiry = kwargs["expiry"] if "expiry" in kwargs else self.get(EXPIRY)
        age = self._gateway_age()
        if expiry or age is None:
            return super().get_expiry_date(**kwargs)
        return kwargs.get("modification", timezone.now()) + timedelta(seconds=age)

    def get_expire_at_browser_close(self):
        # The gateway's cookie has no Max-Age: it always ends with the browser session.
        return True

    def write_back_headers(self):
        if self._destroyed:
            return self.gateway.write_back({}, destroyed=True)
        if not hasattr(self, "_session_cache"):
            if not self._cycled:
                return []  # never read nor written: nothing changed
            self._get_session()
        current = self._session_cache
        return self.gateway.write_back(current, cleared=self._flushed, relogin=self._cycled)


def _header_key():
    configured = getattr(settings, "SESSION_GATEWAY_KEY", None)
    return resolve_key(configured)


class SessionMiddleware(MiddlewareMixin):
    """Replaces ``django.contrib.sessions.middleware.SessionMiddleware`` (same place in MIDDLEWARE)."""

    def __init__(self, get_response=None):
        super().__init__(get_response)
        self.key = _header_key()

    def process_request(self, request):
        state = load_state(request.META.get("HTTP_X_SESSION"), self.key, AUTH_USER_ID)
        request.session = SessionStore(gateway=state)

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if not isinstance(session, SessionStore):
            return response
        if session.accessed:
            patch_vary_headers(response, ("Cookie",))
        # As Django's own middleware: a 500 saves nothing (refs Django #3881).
        if response.status_code != 500:
            for name, value in session.write_back_headers():
                response[name] = value
        # Nothing else may hand the browser a session cookie of Django's: the gateway's is the only one.
        if settings.SESSION_COOKIE_NAME in response.cookies:
            del response.cookies[settings.SESSION_COOKIE_NAME]
        return response
