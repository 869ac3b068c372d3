"""Verify the gateway's ``X-Session`` header: a compact JWS (HS256) the gateway signs for one request.

Standard library only. The key is the gateway's: ``SESSION_HEADER_SECRET``, or, when that is unset, derived from
the first ``SESSION_SECRET`` exactly as the gateway derives it (README, "The session protocol").
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import time

__all__ = ["InvalidToken", "ConfigurationError", "header_key", "verify_token"]

#: Seconds of clock difference between the gateway and this process that a token's ``exp`` tolerates.
CLOCK_SKEW_SECONDS = 5
_DERIVATION_PREFIX = b"session-gateway/x-session/v1\x00"


class InvalidToken(ValueError):
    """The ``X-Session`` header is not a token the gateway signed for this request (``SG_SESSION_HEADER_INVALID``)."""

    code = "SG_SESSION_HEADER_INVALID"


class ConfigurationError(ValueError):
    """The adapter has no key to verify the gateway's header with."""


def header_key(environ=None):
    """The X-Session key as the gateway picks it, from ``environ`` (default ``os.environ``); None if neither is set."""
    env = os.environ if environ is None else environ
    header_secret = (env.get("SESSION_HEADER_SECRET") or "").strip()
    if header_secret:
        return header_secret.encode("utf-8")
    secrets = [s.strip() for s in (env.get("SESSION_SECRET") or "").split(",")]
    first = next((s for s in secrets if s), None)
    if first is None:
        return None
    return hashlib.sha256(_DERIVATION_PREFIX + first.encode("utf-8")).digest()


def resolve_key(key=None):
    """``key`` as bytes, else the key from the environment; raises ConfigurationError when there is none."""
    if key is None:
        key = header_key()
        if key is None:
            raise ConfigurationError(
                "session_gateway: set SESSION_HEADER_SECRET (or SESSION_SECRET) to the gateway's value, "
                "or pass key=, so the X-Session header can be verified"
            )
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_part(part):
    try:
        return json.loads(_b64decode(part).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise InvalidToken("a part is not base64url JSON") from err


def verify_token(token, key, now=None):
    """The claims of a valid token; raises InvalidToken for anything else (signature, algorithm, expiry, shape)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise InvalidToken("not a compact JWS")
    head, body, signature = token.split(".")
    expected = hmac.new(key, f"{head}.{body}".encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = _b64decode(signature)
    except (binascii.Error, ValueError) as err:
        raise InvalidToken("signature is not base64url") from err
    if not hmac.compare_digest(expected, given):
        raise InvalidToken("bad signature")
    header = _json_part(head)
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("unexpected alg")
    claims = _json_part(body)
    if not isinstance(claims, dict):
        raise InvalidToken("claims are not a JSON object")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp + CLOCK_SKEW_SECONDS < (time.time() if now is None else now):
        raise InvalidToken("expired")
    if not isinstance(claims.get("sid"), str) or not isinstance(claims.get("data", {}), dict):
        raise InvalidToken("no sid or data claim")
    return claims
