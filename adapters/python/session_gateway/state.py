"""What the gateway sent for one request and how to tell it what changed: the part every framework adapter shares.

The adapter keeps the attributes the token carried (``original``, JSON values) and, when the response head is about
to go out, compares them with the framework session's current content: changed attributes are ``set``, removed ones
``unset`` (only those: two requests that change different attributes never lose each other's writes). The
``principal`` option names the attribute (and field path, ``"user.id"``) that means "logged in": when its value
appears or changes the adapter sends ``X-Session-Login`` (the gateway rotates the session id), when it is removed or
the session is cleared without a new one, ``X-Session-Logout`` (with the attributes the app still holds, which the
gateway puts in a new anonymous session).
"""

import logging

from .header_token import InvalidToken, verify_token
from .write_back import LOGIN, LOGOUT, UPDATE, canonical_json, encode_principal, encode_update

__all__ = ["GatewayState", "GatewaySessionMixin", "load_state", "principal_of"]

log = logging.getLogger("session_gateway")
_warned = set()


def warn_once(kind, message, *args):
    """Log a problem once per process and kind: a bad header on every request must not flood the log."""
    if kind in _warned:
        return
    _warned.add(kind)
    log.warning(message, *args)


def principal_of(data, path):
    """The principal named by ``path`` (``"user"``, ``"user.id"``) in ``data``, as text; None when absent."""
    if not path:
        return None
    value = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value != "":
        return value
    return None


class GatewayState:
    """The verified claims of this request's ``X-Session`` (or none) and the principal path of the app."""

    def __init__(self, claims, principal=None):
        self.claims = claims
        self.principal_path = principal
        #: The session's stable, non-secret handle (``sid``); None when the request has no session yet.
        self.sid = claims.get("sid") if claims else None
        #: The principal the gateway holds for this session (``sub``); None when anonymous.
        self.principal = claims.get("sub") if claims else None
        #: The attributes as the gateway sent them (JSON values).
        self.original = dict(claims.get("data") or {}) if claims else {}

    @property
    def exists(self):
        return self.claims is not None

    def lifetime(self):
        """(created ms, last access ms, idle timeout s, absolute end ms) from the v2 claims, or None."""
        c = self.claims or {}
        values = (c.get("ct"), c.get("la"), c.get("idle"), c.get("end"))
        return values if all(isinstance(v, (int, float)) for v in values) else None

    def write_back(self, current, cleared=False, destroyed=False, relogin=False):
        """The response headers that make the gateway's session equal ``current`` (JSON values), as (name, value)."""
        if destroyed:
            return [(LOGOUT, "1")] if self.exists else []
        new_principal = principal_of(current, self.principal_path)
        if new_principal is None and self.principal is not None:
            if cleared or principal_of(self.original, self.principal_path) is not None:
                # The login attribute went away: the gateway ends the session; what the app still holds (a flash
                # message, the cart) goes into a new anonymous session, as Logout + Update means.
                update = encode_update(dict(current), [])
                return [(LOGOUT, "1")] + ([(UPDATE, update)] if update is not None else [])
        headers = []
        if new_principal is not None and (new_principal != self.principal or relogin):
            headers.append((LOGIN, encode_principal(new_principal)))
        set_values = {}
        for name, value in current.items():
            text = canonical_json(value)
            if name not in self.original or canonical_json(self.original[name]) != text:
                set_values[name] = value
        unset = [name for name in self.original if name not in current]
        update = encode_update(set_values, unset)
        if update is not None:
            headers.append((UPDATE, update))
        return headers


def load_state(token, key, principal=None):
    """The GatewayState of a request from its X-Session header value; a missing or bad token is no session."""
    if not token:
        return GatewayState(None, principal)
    try:
        return GatewayState(verify_token(token, key), principal)
    except InvalidToken as err:
        warn_once("bad-token", "session_gateway: ignoring an X-Session header that does not verify (%s, %s): "
                  "the request has no session; check SESSION_HEADER_SECRET / SESSION_SECRET", err.code, err)
        return GatewayState(None, principal)


class GatewaySessionMixin:
    """``sid`` and ``principal`` for a framework's session object that keeps its GatewayState in ``gateway``."""

    gateway = None

    @property
    def sid(self):
        """The gateway's stable, non-secret handle of the session (not the cookie); None before the session exists."""
        return self.gateway.sid

    @property
    def principal(self):
        """Who the gateway says is logged in (``sub``), also when another app behind it did the login."""
        return self.gateway.principal
