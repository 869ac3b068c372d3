package org.sessiongateway.servlet;

import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionBindingListener;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.util.ArrayList;
import java.util.List;

/**
 * Session events the filter can honour, because they happen inside a request of this application: values' own
 * HttpSessionBindingListener (bound, unbound on remove, replace and invalidate()), and the listeners named in the
 * init-param `listeners` — sessionCreated when a new session is first saved, sessionDestroyed on invalidate(),
 * attribute added/replaced/removed, sessionIdChanged. A session that times out, is killed by the admin API or logged
 * out by another application ends in the gateway, where no Java code runs: those endings are not reported.
 */
final class SessionListeners {
    private final List<HttpSessionListener> lifecycle = new ArrayList<HttpSessionListener>();
    private final List<HttpSessionAttributeListener> attributes = new ArrayList<HttpSessionAttributeListener>();
    private final List<HttpSessionIdListener> ids = new ArrayList<HttpSessionIdListener>();
    private final GatewayLog log;

    SessionListeners(GatewayLog log) {
        this.log = log;
    }

    /** Instantiate the configured listener classes; returns the problems (a class missing, of no listener type). */
    List<String> load(List<String> classNames, ClassLoader loader) {
        List<String> problems = new ArrayList<String>();
        for (String name : classNames) {
            Object listener;
            try {
                listener = Class.forName(name, true, loader).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                problems.add("listener " + name + " cannot be created: " + e);
                continue;
            }
            boolean used = false;
            if (listener instanceof HttpSessionListener) used = lifecycle.add((HttpSessionListener) listener);
            if (listener instanceof HttpSessionAttributeListener) used = attributes.add((HttpSessionAttributeListener) listener) || used;
            if (listener instanceof HttpSessionIdListener) used = ids.add((HttpSessionIdListener) listener) || used;
            if (!used) problems.add("listener " + name + " is not an HttpSessionListener, HttpSessionAttributeListener or HttpSessionIdListener");
        }
        return problems;
    }

    boolean wantAttributeEvents() {
        return !attributes.isEmpty();
    }

    void created(HttpSession session) {
        for (HttpSessionListener l : lifecycle) {
            try {
                l.sessionCreated(new HttpSessionEvent(session));
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    void destroyed(HttpSession session) {
        for (HttpSessionListener l : lifecycle) {
            try {
                l.sessionDestroyed(new HttpSessionEvent(session));
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    void idChanged(HttpSession session, String oldId) {
        for (HttpSessionIdListener l : ids) {
            try {
                l.sessionIdChanged(new HttpSessionEvent(session), oldId);
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    /** setAttribute: the value's own bound/unbound, then added or replaced. */
    void set(HttpSession session, String name, Object value, Object old, boolean existed) {
        if (value != old && value instanceof HttpSessionBindingListener) {
            bound((HttpSessionBindingListener) value, new HttpSessionBindingEvent(session, name, value));
        }
        if (old != null && old != value && old instanceof HttpSessionBindingListener) {
            unbound((HttpSessionBindingListener) old, new HttpSessionBindingEvent(session, name, old));
        }
        for (HttpSessionAttributeListener l : attributes) {
            try {
                if (existed) l.attributeReplaced(new HttpSessionBindingEvent(session, name, old));
                else l.attributeAdded(new HttpSessionBindingEvent(session, name, value));
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    /** removeAttribute or invalidate(): the value's unbound, then removed. */
    void removed(HttpSession session, String name, Object old) {
        if (old instanceof HttpSessionBindingListener) {
            unbound((HttpSessionBindingListener) old, new HttpSessionBindingEvent(session, name, old));
        }
        for (HttpSessionAttributeListener l : attributes) {
            try {
                l.attributeRemoved(new HttpSessionBindingEvent(session, name, old));
            } catch (RuntimeException e) {
                failed(l, e);
            }
        }
    }

    private void bound(HttpSessionBindingListener value, HttpSessionBindingEvent event) {
        try {
            value.valueBound(event);
        } catch (RuntimeException e) {
            failed(value, e);
        }
    }

    private void unbound(HttpSessionBindingListener value, HttpSessionBindingEvent event) {
        try {
            value.valueUnbound(event);
        } catch (RuntimeException e) {
            failed(value, e);
        }
    }

    /** A listener's exception is the listener's problem: the container logs and goes on, and so do we. */
    private void failed(Object listener, RuntimeException e) {
        log.error("SG_SERVLET_LISTENER_FAILED", "session listener " + listener.getClass().getName() + " threw", e);
    }
}
