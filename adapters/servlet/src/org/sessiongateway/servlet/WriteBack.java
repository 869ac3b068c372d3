package org.sessiongateway.servlet;

import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one response tells the gateway (README "Write-back response headers"): X-Session-Update with the changed
 * fields, X-Session-Login (bind a principal; the gateway rotates the cookie), X-Session-Logout (end the session; with
 * an Update that sets something, a new anonymous session starts with those attributes).
 */
final class WriteBack {
    static final WriteBack NONE = new WriteBack(new LinkedHashMap<String, String>(), new ArrayList<String>(), null, false);

    /** field → JSON text */
    final Map<String, String> set;
    final List<String> unset;
    final String login;
    final boolean logout;

    WriteBack(Map<String, String> set, List<String> unset, String login, boolean logout) {
        this.set = set;
        this.unset = unset;
        this.login = login;
        this.logout = logout;
    }

    /** The fields that changed from `before` to `after` (null `after`: no session). */
    static WriteBack difference(Map<String, String> before, Map<String, String> after, String login) {
        Map<String, String> set = new LinkedHashMap<String, String>();
        List<String> unset = new ArrayList<String>();
        for (Map.Entry<String, String> e : after.entrySet()) {
            if (!e.getValue().equals(before.get(e.getKey()))) set.put(e.getKey(), e.getValue());
        }
        for (String field : before.keySet()) if (!after.containsKey(field)) unset.add(field);
        return new WriteBack(set, unset, login, false);
    }

    /** End the session; a new anonymous one starts with `fields` when there are any. */
    static WriteBack startOver(Map<String, String> fields) {
        return new WriteBack(new LinkedHashMap<String, String>(fields), new ArrayList<String>(), null, true);
    }

    boolean isEmpty() {
        return set.isEmpty() && unset.isEmpty() && login == null && !logout;
    }

    void applyTo(HttpServletResponse response) {
        if (!set.isEmpty() || !unset.isEmpty()) response.setHeader("X-Session-Update", headerValue(updateJson()));
        if (login != null) response.setHeader("X-Session-Login", latin1OfUtf8(login));
        if (logout) response.setHeader("X-Session-Logout", "1");
    }

    String updateJson() {
        StringBuilder json = new StringBuilder("{");
        if (!set.isEmpty()) {
            json.append("\"set\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : set.entrySet()) {
                if (!first) json.append(',');
                first = false;
                Json.quote(e.getKey(), json);
                json.append(':').append(e.getValue());
            }
            json.append('}');
        }
        if (!unset.isEmpty()) {
            if (!set.isEmpty()) json.append(',');
            json.append("\"unset\":");
            Json.write(unset, json);
        }
        return json.append('}').toString();
    }

    /** Header values are Latin-1 on the wire: JSON with anything beyond printable ASCII goes as b64: + base64url(UTF-8). */
    static String headerValue(String json) {
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return "b64:" + Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
            }
        }
        return json;
    }

    /** The gateway reads X-Session-Login's bytes as UTF-8; containers write each header char as one byte. */
    static String latin1OfUtf8(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** Bytes the gateway's size cap counts for a session with these fields (the scope prefix is not known here). */
    static int sizeOf(Map<String, String> fields) {
        int size = 0;
        for (Map.Entry<String, String> e : fields.entrySet()) size += 1 + AttributeCodec.utf8Length(e.getKey()) + AttributeCodec.utf8Length(e.getValue());
        return size;
    }

    @Override
    public String toString() {
        return (login != null ? "login " + login + " " : "") + (logout ? "logout " : "") + "set " + set.keySet() + " unset " + unset;
    }
}
