"""Tokens as the gateway signs them (HS256 over base64url JSON), for the adapters' unit tests."""

import base64
import hashlib
import hmac
import json
import time

KEY = b"unit-test-header-key-0123456789"


def b64(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def sign(data=None, sub=None, key=KEY, exp_in=60, alg="HS256", sid="sid-unit-test-0001", **extra):
    now_ms = int(time.time() * 1000)
    claims = {"v": 2, "sid": sid, "iat": int(time.time()), "exp": int(time.time()) + exp_in, "data": data or {},
              "ct": now_ms - 60_000, "la": now_ms - 1_000, "idle": 1800, "end": now_ms + 86_400_000}
    claims.update(extra)
    if sub is not None:
        claims["sub"] = sub
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def decode_update(value):
    """The JSON object of an X-Session-Update value (plain or b64:)."""
    if value.startswith("b64:"):
        raw = value[4:]
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
    return json.loads(value.encode("latin-1").decode("utf-8"))
