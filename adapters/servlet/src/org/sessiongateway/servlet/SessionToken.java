package org.sessiongateway.servlet;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The verified claims of the gateway's X-Session header: a compact JWS (HS256) for this request only. Anything that
 * is not a token the gateway signed with our key — wrong signature, another algorithm, expired, malformed — is
 * refused with a reason, and the request is then treated as having no session.
 * Claims (README "The session protocol"): sid, sub, iat, exp, data, v; since v2 ct, la (ms), idle (s), end (ms).
 */
final class SessionToken {
    static final long CLOCK_SKEW_SECONDS = 5;

    final String sid;
    /** The principal, or null when the session is not logged in. */
    final String sub;
    /** Attributes of this location's scope: name → parsed JSON value. */
    final Map<String, Object> data;
    /** Creation and last access before this request, ms; -1 when the token (v1) does not carry them. */
    final long createdAt;
    final long lastAccessAt;
    /** Idle timeout in seconds, or -1 when unknown. */
    final int idleSeconds;

    private SessionToken(String sid, String sub, Map<String, Object> data, long createdAt, long lastAccessAt, int idleSeconds) {
        this.sid = sid;
        this.sub = sub;
        this.data = data;
        this.createdAt = createdAt;
        this.lastAccessAt = lastAccessAt;
        this.idleSeconds = idleSeconds;
    }

    static final class InvalidToken extends Exception {
        InvalidToken(String reason) {
            super(reason);
        }
    }

    static SessionToken verify(String token, byte[] key, long nowMs) throws InvalidToken {
        String[] parts = token.trim().split("\\.", -1);
        if (parts.length != 3) throw new InvalidToken("not a compact JWS");
        byte[] expected = hmac(key, parts[0] + "." + parts[1]);
        byte[] given = decode(parts[2], "signature");
        // MessageDigest.isEqual takes the same time wherever the first difference is.
        if (!MessageDigest.isEqual(expected, given)) throw new InvalidToken("bad signature");
        Map<String, Object> header = object(parts[0], "header");
        if (!"HS256".equals(header.get("alg"))) throw new InvalidToken("unexpected alg " + header.get("alg"));
        Map<String, Object> claims = object(parts[1], "claims");
        long exp = number(claims, "exp", Long.MIN_VALUE);
        if (exp == Long.MIN_VALUE || exp + CLOCK_SKEW_SECONDS < nowMs / 1000) throw new InvalidToken("expired");
        Object sid = claims.get("sid");
        if (!(sid instanceof String) || ((String) sid).isEmpty()) throw new InvalidToken("no sid claim");
        Object sub = claims.get("sub");
        Object data = claims.get("data");
        if (data != null && !(data instanceof Map)) throw new InvalidToken("data claim is not an object");
        @SuppressWarnings("unchecked")
        Map<String, Object> attributes = data == null ? Collections.<String, Object>emptyMap() : (Map<String, Object>) data;
        long idle = number(claims, "idle", -1);
        return new SessionToken((String) sid, sub instanceof String ? (String) sub : null, attributes,
                number(claims, "ct", -1), number(claims, "la", -1), idle > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) idle);
    }

    private static byte[] hmac(byte[] key, String signingInput) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static byte[] decode(String part, String what) throws InvalidToken {
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new InvalidToken(what + " is not base64url");
        }
    }

    private static Map<String, Object> object(String part, String what) throws InvalidToken {
        Object value;
        try {
            value = Json.parse(new String(decode(part, what), StandardCharsets.UTF_8));
        } catch (Json.ParseException e) {
            throw new InvalidToken(what + " is not JSON: " + e.getMessage());
        }
        if (!(value instanceof Map)) throw new InvalidToken(what + " is not a JSON object");
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return map;
    }

    private static long number(Map<String, Object> claims, String name, long fallback) {
        Object value = claims.get(name);
        return value instanceof Number ? ((Number) value).longValue() : fallback;
    }
}
