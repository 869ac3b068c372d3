package org.sessiongateway.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The HttpSession an application sees: the attributes of the verified X-Session token, decoded when first read,
 * and what this request changed. Nothing is sent anywhere from here: SessionState turns the final state into the
 * write-back when the response is about to be committed. Values handed out by getAttribute that can change in place
 * are encoded again then, so `((Cart) session.getAttribute("cart")).add(item)` is saved without a setAttribute
 * (what Spring Session's ON_GET_ATTRIBUTE save mode gives, but written only when the value really changed).
 */
final class GatewaySession implements HttpSession {
    private final SessionState state;
    private final FilterContext context;
    private String id;
    private final long createdAt;
    private final long lastAccessedAt;
    private final boolean fresh;
    private int maxInactiveSeconds;
    /** Stored attributes from the token (empty for a session made in this request). */
    private final Map<String, StoredAttribute> stored;
    /** Values read or set in this request. A stored name absent here (and not removed) is still undecoded. */
    private final Map<String, Object> values = new LinkedHashMap<String, Object>();
    private final Set<String> removed = new HashSet<String>();
    /** Set in this request, or read and possibly changed in place since: encoded again at commit. */
    private final Set<String> dirty = new HashSet<String>();
    /** Size the cap counts, per name, as last known (for the check in setAttribute). */
    private final Map<String, Integer> sizes = new HashMap<String, Integer>();
    private boolean valid = true;

    GatewaySession(SessionState state, FilterContext context, String id, long createdAt, long lastAccessedAt, int maxInactiveSeconds,
            boolean fresh, Map<String, StoredAttribute> stored) {
        this.state = state;
        this.context = context;
        this.id = id;
        this.createdAt = createdAt;
        this.lastAccessedAt = lastAccessedAt;
        this.maxInactiveSeconds = maxInactiveSeconds;
        this.fresh = fresh;
        this.stored = stored;
        for (Map.Entry<String, StoredAttribute> e : stored.entrySet()) sizes.put(e.getKey(), e.getValue().encoded.size(e.getKey()));
    }

    // --- HttpSession -------------------------------------------------------------------------------------------

    /** The gateway's sid (stable for the session's life); a session made or rotated in this request has a new one. */
    @Override
    public synchronized String getId() {
        return id;
    }

    @Override
    public synchronized long getCreationTime() {
        checkValid("getCreationTime");
        return createdAt;
    }

    /** When the client last used the session before this request (the token's `la`). */
    @Override
    public synchronized long getLastAccessedTime() {
        checkValid("getLastAccessedTime");
        return lastAccessedAt;
    }

    @Override
    public ServletContext getServletContext() {
        return context.servletContext;
    }

    /**
     * The idle timeout is the gateway's ($session_idle_timeout of the location): this changes what the rest of the
     * request reads, and is logged once, because the gateway does not take a per-session timeout from a backend.
     */
    @Override
    public synchronized void setMaxInactiveInterval(int interval) {
        if (interval != maxInactiveSeconds) {
            context.log.infoOnce("SG_SERVLET_MAX_INACTIVE_IGNORED", "setMaxInactiveInterval(" + interval + ") is not applied: the idle timeout is the gateway's"
                    + " (" + maxInactiveSeconds + " s); set $session_idle_timeout in its location instead");
        }
        maxInactiveSeconds = interval;
    }

    @Override
    public synchronized int getMaxInactiveInterval() {
        return maxInactiveSeconds;
    }

    @Override
    public synchronized Object getAttribute(String name) {
        checkValid("getAttribute");
        if (name == null || isReserved(name)) return null;
        Object value = peek(name);
        if (value != null && !isImmutable(value)) dirty.add(name);
        return value;
    }

    @Override
    public synchronized Enumeration<String> getAttributeNames() {
        checkValid("getAttributeNames");
        return Collections.enumeration(names());
    }

    @Override
    public void setAttribute(String name, Object value) {
        if (name == null) throw new IllegalArgumentException("session attribute name is null");
        if (value == null) {
            removeAttribute(name);
            return;
        }
        Object old;
        boolean existed;
        synchronized (this) {
            checkValid("setAttribute");
            state.checkInRequest("setAttribute");
            if (isReserved(name)) throw new IllegalArgumentException("session attribute names starting with \"" + AttributeCodec.TYPE_PREFIX + "\" are reserved for type notes");
            // Encoding now reports a value that could never be saved where the application set it.
            int size = AttributeCodec.encode(name, value).size(name);
            int total = totalSize() - sizeOf(name) + size;
            if (total > context.settings.maxSessionBytes) throw new SessionTooLargeException(name, total, context.settings.maxSessionBytes);
            existed = has(name);
            old = existed && needsOldValue(name) ? peek(name) : null;
            values.put(name, value);
            removed.remove(name);
            dirty.add(name);
            sizes.put(name, size);
        }
        context.listeners.set(this, name, value, old, existed);
    }

    @Override
    public void removeAttribute(String name) {
        Object old;
        synchronized (this) {
            checkValid("removeAttribute");
            state.checkInRequest("removeAttribute");
            if (name == null || isReserved(name) || !has(name)) return;
            old = needsOldValue(name) ? peek(name) : null;
            values.remove(name);
            dirty.remove(name);
            sizes.remove(name);
            if (stored.containsKey(name)) removed.add(name);
        }
        context.listeners.removed(this, name, old);
    }

    @Override
    public void invalidate() {
        Map<String, Object> unbound = new LinkedHashMap<String, Object>();
        synchronized (this) {
            checkValid("invalidate");
            state.checkInRequest("invalidate");
            for (String name : names()) if (needsOldValue(name)) unbound.put(name, peek(name));
        }
        context.listeners.destroyed(this);
        for (Map.Entry<String, Object> e : unbound.entrySet()) context.listeners.removed(this, e.getKey(), e.getValue());
        synchronized (this) {
            valid = false;
        }
        state.invalidated(this);
    }

    @Override
    public synchronized boolean isNew() {
        checkValid("isNew");
        return fresh;
    }

    // Servlet 2.x names, still called by old code (javax; no longer in the jakarta 6 interface, so no @Override).
    @Deprecated
    public Object getValue(String name) {
        return getAttribute(name);
    }

    @Deprecated
    public synchronized String[] getValueNames() {
        checkValid("getValueNames");
        return names().toArray(new String[0]);
    }

    @Deprecated
    public void putValue(String name, Object value) {
        setAttribute(name, value);
    }

    @Deprecated
    public void removeValue(String name) {
        removeAttribute(name);
    }

    /*javax-only
    @Override
    @SuppressWarnings("deprecation")
    public javax.servlet.http.HttpSessionContext getSessionContext() {
        return null;
    }
    javax-only*/

    // --- for SessionState ----------------------------------------------------------------------------------------

    synchronized boolean isValid() {
        return valid;
    }

    boolean isStored() {
        return !fresh;
    }

    synchronized void changeId(String newId) {
        id = newId;
    }

    /** Whether the session holds the attribute (read or not). */
    synchronized boolean has(String name) {
        return values.containsKey(name) || (stored.containsKey(name) && !removed.contains(name));
    }

    /** The value without marking it as handed out (the principal path reads through this). */
    synchronized Object peek(String name) {
        Object value = values.get(name);
        if (value != null || !stored.containsKey(name) || removed.contains(name)) return value;
        StoredAttribute attribute = stored.get(name);
        try {
            value = AttributeCodec.decode(attribute.json, attribute.note, context.applicationClassLoader());
        } catch (AttributeCodec.Unreadable e) {
            // Left as stored (another application may own the class); only this request reads null.
            context.log.warnRateLimited("SG_SERVLET_ATTRIBUTE_UNREADABLE", name, "session attribute \"" + name + "\" cannot be read here: " + e.getMessage());
            return null;
        }
        if (value instanceof jakarta.servlet.http.HttpSessionActivationListener) {
            ((jakarta.servlet.http.HttpSessionActivationListener) value).sessionDidActivate(new jakarta.servlet.http.HttpSessionEvent(this));
        }
        values.put(name, value);
        return value;
    }

    /**
     * The attributes as they go to the gateway — field (name, or "@java:name" for a type note) → JSON text — with
     * changed values encoded again. A value that can no longer be encoded keeps its stored form and is logged.
     * `passivate`: this is the state being saved (HttpSessionActivationListener values are told so).
     */
    synchronized Map<String, String> fields(boolean passivate) {
        Map<String, String> fields = new LinkedHashMap<String, String>();
        for (String name : names()) {
            AttributeCodec.Encoded encoded = stored.containsKey(name) && !dirty.contains(name) ? stored.get(name).encoded : null;
            if (encoded == null) {
                Object value = values.get(name);
                if (passivate && value instanceof jakarta.servlet.http.HttpSessionActivationListener) {
                    ((jakarta.servlet.http.HttpSessionActivationListener) value).sessionWillPassivate(new jakarta.servlet.http.HttpSessionEvent(this));
                }
                try {
                    encoded = AttributeCodec.encode(name, value);
                } catch (IllegalArgumentException e) {
                    context.log.error("SG_SERVLET_NOT_SERIALIZABLE", "session attribute \"" + name + "\" was changed into something that cannot be saved; it keeps its previous value", e);
                    encoded = stored.containsKey(name) ? stored.get(name).encoded : null;
                    if (encoded == null) continue;
                }
            }
            fields.put(name, encoded.json);
            if (encoded.typeNote != null) fields.put(AttributeCodec.TYPE_PREFIX + name, encoded.typeNote);
        }
        return fields;
    }

    // --- internals -----------------------------------------------------------------------------------------------

    private List<String> names() {
        Set<String> names = new LinkedHashSet<String>();
        for (String name : stored.keySet()) if (!removed.contains(name)) names.add(name);
        names.addAll(values.keySet());
        return new ArrayList<String>(names);
    }

    private int totalSize() {
        int total = 0;
        for (String name : names()) total += sizeOf(name);
        return total;
    }

    private int sizeOf(String name) {
        Integer size = has(name) ? sizes.get(name) : null;
        return size == null ? 0 : size;
    }

    /** The old value matters to listeners: any configured attribute listener, or a stored object (JSON is no listener). */
    private boolean needsOldValue(String name) {
        if (context.listeners.wantAttributeEvents() || values.containsKey(name)) return true;
        StoredAttribute attribute = stored.get(name);
        return attribute != null && attribute.isSerialized();
    }

    private void checkValid(String method) {
        if (!valid) throw new IllegalStateException(method + ": the session has been invalidated");
    }

    static boolean isReserved(String name) {
        return name.startsWith(AttributeCodec.TYPE_PREFIX);
    }

    /** Values that cannot change in place need no second encoding at commit. */
    private static boolean isImmutable(Object value) {
        return value instanceof String || value instanceof Boolean || value instanceof Character || value instanceof Integer
                || value instanceof Long || value instanceof Double || value instanceof Float || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger || value instanceof BigDecimal || value instanceof Enum
                || value instanceof Locale || value instanceof UUID || value instanceof Class;
    }
}
