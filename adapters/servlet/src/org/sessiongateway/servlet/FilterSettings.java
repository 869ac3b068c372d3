package org.sessiongateway.servlet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The filter's settings: init-params of web.xml, with environment defaults for the secrets (so they need not be in
 * the war). Every problem is reported at once, in one exception, when the filter starts.
 *
 *   principal          attribute that means "logged in", with an optional bean-property path (loginVO.id);
 *                      absent: request.getUserPrincipal()
 *   header-secret      key of the X-Session JWT; default SESSION_HEADER_SECRET, else derived from SESSION_SECRET
 *   max-session-bytes  the gateway's $session_max_bytes (default 8192): setAttribute refuses to pass it
 *   listeners          HttpSessionListener / HttpSessionAttributeListener / HttpSessionIdListener classes to notify
 */
final class FilterSettings {
    static final int DEFAULT_MAX_SESSION_BYTES = 8192;

    /** Where init-params and environment variables come from (a FilterConfig and System.getenv in the container). */
    interface Source {
        String initParameter(String name);

        String environment(String name);
    }

    final byte[] headerKey;
    /** Where the key came from, for the start-up line (never the key). */
    final String headerKeySource;
    final PrincipalPath principal;
    final int maxSessionBytes;
    final List<String> listenerClasses;

    private FilterSettings(byte[] headerKey, String headerKeySource, PrincipalPath principal, int maxSessionBytes, List<String> listenerClasses) {
        this.headerKey = headerKey;
        this.headerKeySource = headerKeySource;
        this.principal = principal;
        this.maxSessionBytes = maxSessionBytes;
        this.listenerClasses = listenerClasses;
    }

    static final class Invalid extends Exception implements CodedError {
        Invalid(List<String> problems) {
            super("SG_SERVLET_CONFIG: SessionGatewayFilter cannot start: " + String.join("; ", problems));
        }

        @Override
        public String code() {
            return "SG_SERVLET_CONFIG";
        }
    }

    static FilterSettings read(Source source) throws Invalid {
        List<String> problems = new ArrayList<String>();
        byte[] key = null;
        String keySource = null;
        String secret = trimmed(source.initParameter("header-secret"));
        if (secret != null) {
            key = secret.getBytes(StandardCharsets.UTF_8);
            keySource = "init-param header-secret";
        } else if ((secret = trimmed(source.environment("SESSION_HEADER_SECRET"))) != null) {
            key = secret.getBytes(StandardCharsets.UTF_8);
            keySource = "SESSION_HEADER_SECRET";
        } else {
            String first = firstSecret(source.environment("SESSION_SECRET"));
            if (first != null) {
                key = deriveFromSessionSecret(first);
                keySource = "derived from SESSION_SECRET";
            }
        }
        if (key == null) {
            problems.add("no X-Session key: set SESSION_HEADER_SECRET or SESSION_SECRET (the gateway's) in the environment, or the init-param header-secret");
        } else if (key.length < 16 && !keySource.startsWith("derived")) {
            problems.add(keySource + " is shorter than 16 bytes");
        }
        PrincipalPath principal = null;
        String principalText = trimmed(source.initParameter("principal"));
        if (principalText != null) {
            principal = PrincipalPath.parse(principalText);
            if (principal == null) problems.add("init-param principal \"" + principalText + "\" is not an attribute name with an optional .property path");
        }
        int maxBytes = DEFAULT_MAX_SESSION_BYTES;
        String maxText = trimmed(source.initParameter("max-session-bytes"));
        if (maxText != null) {
            try {
                maxBytes = Integer.parseInt(maxText);
                if (maxBytes <= 0) problems.add("init-param max-session-bytes must be positive");
            } catch (NumberFormatException e) {
                problems.add("init-param max-session-bytes \"" + maxText + "\" is not a whole number of bytes");
            }
        }
        List<String> listeners = new ArrayList<String>();
        String listenerText = trimmed(source.initParameter("listeners"));
        if (listenerText != null) {
            for (String name : listenerText.split("[,\\s]+")) if (!name.isEmpty()) listeners.add(name);
        }
        if (!problems.isEmpty()) throw new Invalid(problems);
        return new FilterSettings(key, keySource, principal, maxBytes, Collections.unmodifiableList(listeners));
    }

    /** The gateway's derivation (gateway/config/env.ts): SHA-256("session-gateway/x-session/v1\0" + secret). */
    static byte[] deriveFromSessionSecret(String secret) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update("session-gateway/x-session/v1\u0000".getBytes(StandardCharsets.UTF_8));
            return sha256.digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    private static String firstSecret(String list) {
        if (list == null) return null;
        for (String secret : list.split(",")) {
            if (!secret.trim().isEmpty()) return secret.trim();
        }
        return null;
    }

    private static String trimmed(String value) {
        if (value == null || value.trim().isEmpty()) return null;
        return value.trim();
    }
}
