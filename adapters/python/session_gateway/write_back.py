"""Encode a session's changes as the gateway's write-back response headers (README, "Write-back response headers").

``X-Session-Update`` carries ``set``/``unset`` as JSON (``b64:`` + base64url when it has non-ASCII: header values are
Latin-1), ``X-Session-Login`` a principal (UTF-8 bytes on the wire), ``X-Session-Logout: 1`` ends the session.
"""

import base64
import json

__all__ = ["encode_update", "encode_principal", "LOGOUT", "LOGIN", "UPDATE"]

UPDATE = "X-Session-Update"
LOGIN = "X-Session-Login"
LOGOUT = "X-Session-Logout"


def canonical_json(value):
    """JSON text that is equal for equal values (key order ignored): what "did this attribute change" compares."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_update(set_values, unset_names):
    """The X-Session-Update value for these changes, or None when there are none."""
    update = {}
    if set_values:
        update["set"] = set_values
    if unset_names:
        update["unset"] = list(unset_names)
    if not update:
        return None
    text = json.dumps(update, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if text.isascii():
        return text
    return "b64:" + base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def encode_principal(principal):
    """The X-Session-Login value: the principal's UTF-8 bytes as a Latin-1 header string (PEP 3333 native string)."""
    if not principal or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in principal):
        raise ValueError(f"session_gateway: principal {principal!r} is empty or has control characters")
    return principal.encode("utf-8").decode("latin-1")
