#!/usr/bin/env python3
"""Verify the gateway's X-Session header the way a Python backend would (stdlib only).

The header is a compact JWS (HS256): base64url(header) "." base64url(claims) "." base64url(HMAC-SHA256).
The key is SESSION_HEADER_SECRET, or, when only SESSION_SECRET is set, sha256("session-gateway/x-session/v1\\0" +
first comma-separated SESSION_SECRET) -- the same derivation the gateway uses.

Usage:  verify-x-session.py TOKEN        (or the token on stdin)
Prints the claims as JSON and exits 0; prints the reason and exits 1 when the header must be ignored.

In a web app: verify request.headers["X-Session"] on every request; if it fails, treat the request as having no
session. Change the session only by answering with X-Session-Update / X-Session-Login / X-Session-Logout.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

CLOCK_SKEW_SECONDS = 5


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def header_key(env=os.environ) -> bytes:
    header_secret = env.get("SESSION_HEADER_SECRET", "").strip()
    if header_secret:
        return header_secret.encode()
    secrets = [s.strip() for s in env.get("SESSION_SECRET", "").split(",") if s.strip()]
    if not secrets:
        raise SystemExit("set SESSION_HEADER_SECRET or SESSION_SECRET")
    return hashlib.sha256(b"session-gateway/x-session/v1\0" + secrets[0].encode()).digest()


class InvalidSessionHeader(Exception):
    pass


def verify_x_session(token: str, key: bytes, now: float = None) -> dict:
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InvalidSessionHeader("not a compact JWS")
    head, body, sig = parts
    expected = hmac.new(key, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
    try:
        given = b64url_decode(sig)
    except ValueError:
        raise InvalidSessionHeader("bad signature encoding")
    if not hmac.compare_digest(given, expected):  # constant time
        raise InvalidSessionHeader("bad signature")
    if json.loads(b64url_decode(head)).get("alg") != "HS256":  # never accept "none" or another algorithm
        raise InvalidSessionHeader("unexpected alg")
    claims = json.loads(b64url_decode(body))
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp + CLOCK_SKEW_SECONDS < (time.time() if now is None else now):
        raise InvalidSessionHeader("expired")
    return claims


def main() -> int:
    token = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    try:
        claims = verify_x_session(token, header_key())
    except InvalidSessionHeader as err:
        print(f"invalid X-Session header: {err}", file=sys.stderr)
        return 1
    print(json.dumps(claims, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
