package org.sessiongateway.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.security.Principal;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One request's session: the token it came with, the HttpSession the application uses (the stored one, or a new one
 * after invalidate() or when there was none), and the single commit that turns the final state into the write-back
 * headers just before the response is committed. What an application does after that commit cannot reach the
 * gateway; finish() compares and logs it (Spring setting an attribute again to the same object is no change).
 */
final class SessionState {
    static final String ATTRIBUTE = SessionState.class.getName();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final FilterContext context;
    private final SessionToken token;
    private final HttpServletRequest containerRequest;
    private final Map<String, String> storedFields;
    private GatewaySession stored;
    private GatewaySession current;
    private boolean storedInvalidated;
    private boolean rotated;
    private boolean loggedOut;
    private boolean committed;
    /** Read under a session's own lock (setAttribute): volatile, never under this one, so no lock order to keep. */
    private volatile boolean ended;
    private View committedView;

    SessionState(FilterContext context, SessionToken token, HttpServletRequest containerRequest) {
        this.context = context;
        this.token = token;
        this.containerRequest = containerRequest;
        this.storedFields = token == null ? Collections.<String, String>emptyMap() : StoredAttribute.fieldsOf(token.data);
    }

    // --- what the request wrapper asks -------------------------------------------------------------------------------

    synchronized GatewaySession session(boolean create) {
        if (current != null) return current;
        if (token != null && !storedInvalidated) {
            if (stored == null) {
                long now = System.currentTimeMillis();
                long created = token.createdAt >= 0 ? token.createdAt : now;
                stored = new GatewaySession(this, context, token.sid, created, token.lastAccessAt >= 0 ? token.lastAccessAt : created,
                        token.idleSeconds >= 0 ? token.idleSeconds : context.defaultMaxInactiveSeconds, false, StoredAttribute.fromTokenData(token.data));
            }
            current = stored;
            return current;
        }
        if (!create) return null;
        long now = System.currentTimeMillis();
        int idle = token != null && token.idleSeconds >= 0 ? token.idleSeconds : context.defaultMaxInactiveSeconds;
        current = new GatewaySession(this, context, newId(), now, now, idle, true, Collections.<String, StoredAttribute>emptyMap());
        return current;
    }

    /** HttpServletRequest.changeSessionId(): the gateway rotates the cookie at commit; the id changes now. */
    String changeSessionId() {
        GatewaySession session;
        String oldId;
        String newId = newId();
        synchronized (this) {
            session = session(false);
            if (session == null) throw new IllegalStateException("changeSessionId: the request has no session");
            if (session.isStored()) rotated = true;
            oldId = session.getId();
            session.changeId(newId);
        }
        context.listeners.idChanged(session, oldId);
        return newId;
    }

    synchronized void invalidated(GatewaySession session) {
        if (session == stored) storedInvalidated = true;
        if (session == current) current = null;
    }

    /** HttpServletRequest.logout(): the principal goes, the session stays (Servlet 3.0). */
    synchronized void loggedOut() {
        loggedOut = true;
    }

    synchronized String requestedSessionId() {
        return token == null ? null : token.sid;
    }

    synchronized boolean requestedSessionValid() {
        return token != null && !storedInvalidated;
    }

    /** The login the gateway holds for this request, until invalidate() or logout() ends it. */
    synchronized String gatewayPrincipal() {
        return token == null || storedInvalidated || loggedOut ? null : token.sub;
    }

    synchronized boolean isCommitted() {
        return committed;
    }

    // --- commit ----------------------------------------------------------------------------------------------------

    /** Put the write-back on the response, once; it must not be committed yet. */
    void commit(HttpServletResponse target) {
        synchronized (this) {
            if (committed) return;
            committed = true;
        }
        View view = view(true);
        WriteBack writeBack = plan(view);
        synchronized (this) {
            committedView = view;
        }
        if (writeBack.isEmpty()) return;
        if (target.isCommitted()) {
            context.log.error("SG_SERVLET_CHANGED_AFTER_COMMIT", "the response was committed past the filter, the session change is lost: " + writeBack + " ("
                    + describe(containerRequest) + ")", null);
            return;
        }
        if (view.fields != null && WriteBack.sizeOf(view.fields) > context.settings.maxSessionBytes) {
            context.log.error("SG_SERVLET_SESSION_TOO_LARGE", "the session is " + WriteBack.sizeOf(view.fields) + " bytes, over " + context.settings.maxSessionBytes
                    + ": the gateway will refuse this change (502) (" + describe(containerRequest) + ")", new SessionTooLargeException("(in place)", WriteBack.sizeOf(view.fields), context.settings.maxSessionBytes));
        }
        writeBack.applyTo(target);
        if (view.fields != null && view.session != null && !view.session.isStored() && !view.fields.isEmpty()) context.listeners.created(view.session);
    }

    /**
     * A session object kept past its request (a static map of sessions, as duplicate-login listeners keep) changes
     * nothing any more: say so, once a minute, where it happens.
     */
    void checkInRequest(String operation) {
        if (ended) {
            context.log.warnRateLimited("SG_SERVLET_SESSION_OUT_OF_REQUEST", operation, "HttpSession." + operation + " on a session whose request has ended (kept by the"
                    + " application, e.g. in a static map for duplicate-login prevention) changes nothing; the gateway's $session_max_per_principal limits logins");
        }
    }

    /** An error page dispatched after the request's own processing ended works on the same session again. */
    void reopen() {
        ended = false;
    }

    /** After the request: log what changed after the commit (and so did not reach the gateway); the session is over. */
    void checkAfterCommit() {
        ended = true;
        View before;
        synchronized (this) {
            before = committedView;
        }
        if (before == null) return;
        View now = view(false);
        Set<String> changed = before.differences(now);
        if (changed.isEmpty()) return;
        context.log.warn("SG_SERVLET_CHANGED_AFTER_COMMIT", "session " + changed + " changed after the response was committed and is not saved ("
                + describe(containerRequest) + "): change the session before the response body is written, or raise the response buffer size");
    }

    /** The state that decides the write-back: the current session's fields, the principal, how the session ended. */
    private View view(boolean passivate) {
        GatewaySession session;
        boolean invalidated;
        boolean rotate;
        boolean out;
        synchronized (this) {
            session = current;
            invalidated = storedInvalidated;
            rotate = rotated;
            out = loggedOut;
        }
        if (session == null && token != null && !invalidated) {
            // The application never opened its session: it is as the token has it (nothing decoded for nothing).
            String principal = context.settings.principal != null ? token.sub : principalOf(null, out);
            return new View(null, true, storedFields, principal, false, false, out, false);
        }
        Map<String, String> fields = session == null ? null : session.fields(passivate);
        String principal = principalOf(session, out);
        boolean principalRemoved = false;
        if (context.settings.principal != null && session != null && session == stored) {
            principalRemoved = context.settings.principal.attributeIn(storedView()) != null && context.settings.principal.attributeIn(viewOf(session)) == null;
        }
        return new View(session, false, fields, principal, invalidated, rotate, out, principalRemoved);
    }

    private String principalOf(GatewaySession session, boolean out) {
        PrincipalPath path = context.settings.principal;
        if (path != null) return session == null ? null : path.principalOf(viewOf(session));
        if (out) return null;
        Principal principal = containerRequest.getUserPrincipal();
        return principal == null || principal.getName() == null || principal.getName().isEmpty() ? null : principal.getName();
    }

    /** README "Java app servers", what becomes of the session: the cases of invalidate(), login and rotation. */
    private WriteBack plan(View v) {
        String sub = token == null ? null : token.sub;
        Map<String, String> fields = v.fields == null ? Collections.<String, String>emptyMap() : v.fields;
        if (token == null) return WriteBack.difference(storedFields, fields, v.principal);
        if (!v.storedInvalidated) {
            boolean principalEnded = sub != null && v.principal == null && (v.principalRemoved || v.loggedOut);
            if (principalEnded) return WriteBack.startOver(fields);
            boolean login = v.principal != null && (!v.principal.equals(sub) || v.rotated);
            if (login) return WriteBack.difference(storedFields, fields, v.principal);
            if (v.rotated) return WriteBack.startOver(fields);
            return WriteBack.difference(storedFields, fields, null);
        }
        if (v.session == null) return WriteBack.startOver(Collections.<String, String>emptyMap());
        // invalidate() then getSession(true): a login makes it the same session rotated, holding only the new state.
        if (v.principal != null) return WriteBack.difference(storedFields, fields, v.principal);
        return WriteBack.startOver(fields);
    }

    private PrincipalPath.Attributes storedView() {
        final Map<String, Object> data = token == null ? Collections.<String, Object>emptyMap() : token.data;
        return new PrincipalPath.Attributes() {
            @Override
            public boolean has(String name) {
                return data.get(name) != null && !GatewaySession.isReserved(name);
            }

            @Override
            public Object get(String name) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static PrincipalPath.Attributes viewOf(final GatewaySession session) {
        return new PrincipalPath.Attributes() {
            @Override
            public boolean has(String name) {
                return session.has(name);
            }

            @Override
            public Object get(String name) {
                return session.peek(name);
            }
        };
    }

    private static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String describe(HttpServletRequest request) {
        String query = request.getQueryString();
        return request.getMethod() + " " + request.getRequestURI() + (query == null ? "" : "?" + query);
    }

    /** The inputs of the write-back, compared before and after the commit. */
    private static final class View {
        private static final Object STORED = new Object();
        final GatewaySession session;
        /** The application never opened the stored session. */
        final boolean untouched;
        final Map<String, String> fields;
        final String principal;
        final boolean storedInvalidated;
        final boolean rotated;
        final boolean loggedOut;
        final boolean principalRemoved;

        View(GatewaySession session, boolean untouched, Map<String, String> fields, String principal, boolean storedInvalidated, boolean rotated,
                boolean loggedOut, boolean principalRemoved) {
            this.session = session;
            this.untouched = untouched;
            this.fields = fields;
            this.principal = principal;
            this.storedInvalidated = storedInvalidated;
            this.rotated = rotated;
            this.loggedOut = loggedOut;
            this.principalRemoved = principalRemoved;
        }

        /** Which session this is: the stored one (opened or not), a new one, or none. */
        private Object identity() {
            if (untouched) return STORED;
            return session == null ? null : session.isStored() ? STORED : session;
        }

        Set<String> differences(View other) {
            Set<String> changed = new TreeSet<String>();
            Map<String, String> a = fields == null ? new LinkedHashMap<String, String>() : fields;
            Map<String, String> b = other.fields == null ? new LinkedHashMap<String, String>() : other.fields;
            for (String name : a.keySet()) if (!a.get(name).equals(b.get(name))) changed.add(name);
            for (String name : b.keySet()) if (!a.containsKey(name)) changed.add(name);
            if (principal == null ? other.principal != null : !principal.equals(other.principal)) changed.add("(the login)");
            if (storedInvalidated != other.storedInvalidated || identity() != other.identity()) changed.add("(invalidate)");
            if (rotated != other.rotated) changed.add("(changeSessionId)");
            if (loggedOut != other.loggedOut) changed.add("(logout)");
            return changed;
        }
    }
}
