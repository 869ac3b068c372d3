package org.sessiongateway.servlet;

/** An error of the filter with a stable code (README "Java app servers": the SG_SERVLET_* codes). */
public interface CodedError {
    String code();
}
