package org.sessiongateway.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpSession;
import java.security.Principal;

/**
 * The request wrapper: every HttpSession call lands in SessionState, so the container never creates a session of
 * its own (no JSESSIONID). The gateway's login is the request's principal when the container has none.
 */
final class GatewayRequest extends HttpServletRequestWrapper {
    private final SessionState state;
    private final GatewayResponse response;
    private GatewayAsyncContext async;

    GatewayRequest(HttpServletRequest request, SessionState state, GatewayResponse response) {
        super(request);
        this.state = state;
        this.response = response;
    }

    @Override
    public HttpSession getSession(boolean create) {
        return state.session(create);
    }

    @Override
    public HttpSession getSession() {
        return state.session(true);
    }

    @Override
    public String changeSessionId() {
        return state.changeSessionId();
    }

    @Override
    public String getRequestedSessionId() {
        return state.requestedSessionId();
    }

    @Override
    public boolean isRequestedSessionIdValid() {
        return state.requestedSessionValid();
    }

    @Override
    public boolean isRequestedSessionIdFromCookie() {
        return state.requestedSessionId() != null;
    }

    @Override
    public boolean isRequestedSessionIdFromURL() {
        return false;
    }

    // Servlet 2.x spelling (javax; gone from the jakarta 6 interface, hence no @Override).
    @Deprecated
    public boolean isRequestedSessionIdFromUrl() {
        return false;
    }

    @Override
    public Principal getUserPrincipal() {
        Principal own = super.getUserPrincipal();
        if (own != null) return own;
        String name = state.gatewayPrincipal();
        return name == null ? null : new GatewayPrincipal(name);
    }

    @Override
    public String getRemoteUser() {
        String own = super.getRemoteUser();
        return own != null ? own : state.gatewayPrincipal();
    }

    @Override
    public void logout() throws ServletException {
        super.logout();
        state.loggedOut();
    }

    @Override
    public AsyncContext startAsync() {
        return startAsync(this, response);
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse servletResponse) {
        async = new GatewayAsyncContext(super.startAsync(request, servletResponse), response);
        return async;
    }

    @Override
    public AsyncContext getAsyncContext() {
        AsyncContext own = super.getAsyncContext();
        return async != null && async.wraps(own) ? async : own;
    }

    /** A principal the gateway holds (the session's `sub`), for applications that ask the request who is logged in. */
    static final class GatewayPrincipal implements Principal, java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final String name;

        GatewayPrincipal(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof GatewayPrincipal && ((GatewayPrincipal) other).name.equals(name);
        }

        @Override
        public int hashCode() {
            return name.hashCode();
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
