package org.sessiongateway.servlet;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The filter's log lines, through java.util.logging (every servlet container routes it to its own log). Each line
 * starts with a stable SG_SERVLET_* code. Lines a misconfigured peer could repeat on every request (a bad token, an
 * attribute of a class this app lacks) are written once per key and minute, with the count of the ones held back.
 */
final class GatewayLog {
    private static final long QUIET_MS = 60_000;

    private final Logger logger;
    private final ConcurrentMap<String, long[]> lastByKey = new ConcurrentHashMap<String, long[]>();

    GatewayLog(String name) {
        this.logger = Logger.getLogger(name);
    }

    void info(String code, String message) {
        logger.log(Level.INFO, code + ": " + message);
    }

    void warn(String code, String message) {
        logger.log(Level.WARNING, code + ": " + message);
    }

    void error(String code, String message, Throwable cause) {
        logger.log(Level.SEVERE, code + ": " + message, cause);
    }

    /** Log at most once per key and minute; the next line says how many were held back. */
    void warnRateLimited(String code, String key, String message) {
        long now = System.currentTimeMillis();
        long[] state = lastByKey.computeIfAbsent(code + "\u0000" + key, k -> new long[] { Long.MIN_VALUE / 2, 0 });
        long suppressed;
        synchronized (state) {
            if (now - state[0] < QUIET_MS) {
                state[1]++;
                return;
            }
            suppressed = state[1];
            state[0] = now;
            state[1] = 0;
        }
        warn(code, message + (suppressed > 0 ? " (" + suppressed + " more like this in the last minute)" : ""));
    }

    /** Log the first time only (for the life of the filter). */
    void infoOnce(String code, String message) {
        if (lastByKey.putIfAbsent(code, new long[0]) == null) info(code, message);
    }
}
