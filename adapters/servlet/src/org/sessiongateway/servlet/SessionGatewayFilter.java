package org.sessiongateway.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;

/**
 * Puts the application's HttpSession in session-gateway, with no change to its code: map this filter on /* in
 * web.xml (before any filter that uses the session) and the session is the verified X-Session header the gateway
 * sends, changes go back as X-Session-* response headers before the response is committed, and the container never
 * creates a session (no JSESSIONID). README "Java app servers" has the web.xml entry and the limits.
 */
public final class SessionGatewayFilter implements Filter {
    private static final String TOKEN_HEADER = "X-Session";

    private FilterContext context;

    @Override
    public void init(final FilterConfig config) throws ServletException {
        FilterSettings settings;
        try {
            settings = FilterSettings.read(new FilterSettings.Source() {
                @Override
                public String initParameter(String name) {
                    return config.getInitParameter(name);
                }

                @Override
                public String environment(String name) {
                    return System.getenv(name);
                }
            });
        } catch (FilterSettings.Invalid e) {
            throw new ServletException(e.getMessage(), e);
        }
        GatewayLog log = new GatewayLog(SessionGatewayFilter.class.getPackage().getName());
        ServletContext servletContext = config.getServletContext();
        SessionListeners listeners = new SessionListeners(log);
        List<String> problems = listeners.load(settings.listenerClasses, servletContext.getClassLoader());
        if (!problems.isEmpty()) throw new ServletException("SG_SERVLET_CONFIG: SessionGatewayFilter cannot start: " + String.join("; ", problems));
        context = new FilterContext(settings, log, servletContext, listeners, configuredTimeoutSeconds(servletContext));
        log.info("SG_SERVLET_STARTED", "HttpSession of " + name(servletContext) + " is kept by session-gateway (principal: "
                + (settings.principal != null ? settings.principal : "request.getUserPrincipal()") + ", X-Session key " + settings.headerKeySource + ")");
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest) || !(res instanceof HttpServletResponse)) {
            chain.doFilter(req, res);
            return;
        }
        HttpServletRequest request = (HttpServletRequest) req;
        Object existing = request.getAttribute(SessionState.ATTRIBUTE);
        if (existing instanceof SessionState) {
            // A forward, include or async dispatch carries our wrapper already; an error page gets the container's
            // own objects, which are wrapped again around the same session.
            if (req instanceof ServletRequestWrapper && ((ServletRequestWrapper) req).isWrapperFor(GatewayRequest.class)) {
                chain.doFilter(req, res);
            } else {
                ((SessionState) existing).reopen();
                run((SessionState) existing, request, (HttpServletResponse) res, chain);
            }
            return;
        }
        SessionState state = new SessionState(context, readToken(request), request);
        request.setAttribute(SessionState.ATTRIBUTE, state);
        run(state, request, (HttpServletResponse) res, chain);
    }

    private void run(SessionState state, HttpServletRequest request, HttpServletResponse response, FilterChain chain) throws IOException, ServletException {
        GatewayResponse gatewayResponse = new GatewayResponse(response, state);
        GatewayRequest gatewayRequest = new GatewayRequest(request, state, gatewayResponse);
        boolean completed = false;
        try {
            chain.doFilter(gatewayRequest, gatewayResponse);
            completed = true;
        } finally {
            if (!request.isAsyncStarted()) {
                try {
                    gatewayResponse.finishResponse();
                    state.checkAfterCommit();
                } catch (IOException | RuntimeException e) {
                    // An exception of the application is the one to report; ours then only goes to the log.
                    if (completed) throw e;
                    context.log.error("SG_SERVLET_FINISH_FAILED", "finishing the response after an exception failed", e);
                }
            }
        }
    }

    /** The verified token, or null: no header (no session, or no gateway in front) or one we refuse. */
    private SessionToken readToken(HttpServletRequest request) {
        String header = request.getHeader(TOKEN_HEADER);
        if (header == null || header.isEmpty()) {
            context.log.infoOnce("SG_SERVLET_NO_TOKEN", "a request came without an X-Session header, so without a session (the gateway sends none"
                    + " before a visitor's first session write; a request that did not pass the gateway is anonymous too)");
            return null;
        }
        try {
            SessionToken token = SessionToken.verify(header, context.settings.headerKey, System.currentTimeMillis());
            if (token.idleSeconds >= 0 && context.defaultMaxInactiveSeconds > 0 && token.idleSeconds != context.defaultMaxInactiveSeconds) {
                context.log.infoOnce("SG_SERVLET_TIMEOUT_DIFFERS", "web.xml's session-timeout is " + context.defaultMaxInactiveSeconds + " s, the gateway's idle timeout "
                        + token.idleSeconds + " s: the gateway's applies (set $session_idle_timeout to change it)");
            }
            return token;
        } catch (SessionToken.InvalidToken e) {
            context.log.warnRateLimited("SG_SERVLET_TOKEN_INVALID", e.getMessage(), "X-Session header refused (" + e.getMessage() + ") on "
                    + SessionState.describe(request) + " from " + request.getRemoteAddr() + ": the request is treated as having no session");
            return null;
        }
    }

    /** web.xml's session-timeout (Servlet 4.0+), in seconds; 30 minutes where the container cannot say. */
    private static int configuredTimeoutSeconds(ServletContext servletContext) {
        try {
            int minutes = servletContext.getSessionTimeout();
            return minutes > 0 ? minutes * 60 : 30 * 60;
        } catch (LinkageError | UnsupportedOperationException e) {
            return 30 * 60;
        }
    }

    private static String name(ServletContext servletContext) {
        String path = servletContext.getContextPath();
        return path == null || path.isEmpty() ? "the root application" : path;
    }

    @Override
    public void destroy() {
    }
}
