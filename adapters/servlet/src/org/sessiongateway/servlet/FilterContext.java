package org.sessiongateway.servlet;

import jakarta.servlet.ServletContext;

/** What every request of one filter instance shares: settings, the log, the listeners, the application. */
final class FilterContext {
    final FilterSettings settings;
    final GatewayLog log;
    final ServletContext servletContext;
    final SessionListeners listeners;
    /** The idle timeout to report when a token does not carry one (v1): web.xml's session-timeout, else 30 min. */
    final int defaultMaxInactiveSeconds;

    FilterContext(FilterSettings settings, GatewayLog log, ServletContext servletContext, SessionListeners listeners, int defaultMaxInactiveSeconds) {
        this.settings = settings;
        this.log = log;
        this.servletContext = servletContext;
        this.listeners = listeners;
        this.defaultMaxInactiveSeconds = defaultMaxInactiveSeconds;
    }

    /** Classes of stored objects come from the application (the filter's jar may sit in a shared folder). */
    ClassLoader applicationClassLoader() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader != null) return loader;
        return servletContext != null ? servletContext.getClassLoader() : FilterContext.class.getClassLoader();
    }
}
