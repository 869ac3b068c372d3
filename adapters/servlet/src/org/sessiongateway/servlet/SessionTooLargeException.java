package org.sessiongateway.servlet;

/**
 * setAttribute would make the session larger than the gateway keeps ($session_max_bytes; init-param
 * max-session-bytes here). Thrown where the application sets the value, so the cause is in its log with the line
 * that did it, instead of a refused write-back later.
 */
public final class SessionTooLargeException extends IllegalStateException implements CodedError {
    private static final long serialVersionUID = 1L;

    SessionTooLargeException(String name, int size, int max) {
        super("SG_SERVLET_SESSION_TOO_LARGE: setting session attribute \"" + name + "\" would make the session " + size
                + " bytes, over the gateway's limit of " + max + " (set $session_max_bytes and the filter's init-param max-session-bytes together to raise it)");
    }

    @Override
    public String code() {
        return "SG_SERVLET_SESSION_TOO_LARGE";
    }
}
