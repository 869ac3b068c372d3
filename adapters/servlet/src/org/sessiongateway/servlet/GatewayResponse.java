package org.sessiongateway.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;

/**
 * The response wrapper that gets the write-back out before the response is committed. The body is held here, in a
 * buffer of the response's buffer size, until one of the moments the container would commit: the buffer is full,
 * the declared Content-Length is reached, or the application calls flushBuffer, flush, close, sendRedirect or
 * sendError. Then the session is committed (its X-Session-* headers set) and the body passes through. A session
 * changed while the body is still buffered here is therefore saved, as it would be in the container's own session.
 */
final class GatewayResponse extends HttpServletResponseWrapper {
    private final SessionState state;
    private GuardedOutputStream stream;
    private PrintWriter writer;
    private GuardedWriter writerSink;
    private int bufferSize;
    private long declaredLength = -1;
    private boolean passedThrough;

    GatewayResponse(HttpServletResponse response, SessionState state) {
        super(response);
        this.state = state;
        this.bufferSize = Math.max(response.getBufferSize(), 1024);
    }

    /** Set the write-back headers now (once): the container is about to see the first byte or a commit. */
    void commitSession() {
        state.commit((HttpServletResponse) getResponse());
    }

    /** The end of the request (or of its async cycle): commit the session, hand what is buffered to the container. */
    void finishResponse() throws IOException {
        commitSession();
        release();
    }

    /** From now on bytes go straight to the container. */
    void release() throws IOException {
        passedThrough = true;
        if (stream != null) stream.hold().release();
        if (writerSink != null) writerSink.hold().release();
    }

    int bufferLimit() {
        return bufferSize;
    }

    boolean lengthReached(long written) {
        return declaredLength >= 0 && written >= declaredLength;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (stream == null) {
            // The container enforces "getWriter or getOutputStream, not both" here.
            stream = new GuardedOutputStream(super.getOutputStream(), this, passedThrough);
        }
        return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (writer == null) {
            writerSink = new GuardedWriter(super.getWriter(), this, passedThrough);
            writer = new PrintWriter(writerSink, false);
        }
        return writer;
    }

    @Override
    public void flushBuffer() throws IOException {
        finishResponse();
        if (writer != null) writer.flush();
        if (stream != null) stream.flush();
        super.flushBuffer();
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        commitSession();
        discardBuffered();
        super.sendRedirect(location);
    }

    @Override
    public void sendError(int status, String message) throws IOException {
        commitSession();
        discardBuffered();
        super.sendError(status, message);
    }

    @Override
    public void sendError(int status) throws IOException {
        commitSession();
        discardBuffered();
        super.sendError(status);
    }

    @Override
    public boolean isCommitted() {
        return passedThrough || super.isCommitted();
    }

    @Override
    public void reset() {
        if (isCommitted()) throw new IllegalStateException("reset: the response is already committed");
        discardBuffered();
        declaredLength = -1;
        super.reset();
    }

    @Override
    public void resetBuffer() {
        if (isCommitted()) throw new IllegalStateException("resetBuffer: the response is already committed");
        discardBuffered();
        super.resetBuffer();
    }

    @Override
    public void setBufferSize(int size) {
        if (hasBuffered()) throw new IllegalStateException("setBufferSize: content has been written");
        super.setBufferSize(size);
        bufferSize = Math.max(size, 1024);
    }

    @Override
    public int getBufferSize() {
        return bufferSize;
    }

    @Override
    public void setContentLength(int length) {
        declaredLength = length;
        super.setContentLength(length);
    }

    @Override
    public void setContentLengthLong(long length) {
        declaredLength = length;
        super.setContentLengthLong(length);
    }

    @Override
    public void setHeader(String name, String value) {
        noteLength(name, value);
        super.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        noteLength(name, value);
        super.addHeader(name, value);
    }

    @Override
    public void setIntHeader(String name, int value) {
        noteLength(name, Integer.toString(value));
        super.setIntHeader(name, value);
    }

    /** The session is never in the URL: no ";jsessionid=". */
    @Override
    public String encodeURL(String url) {
        return url;
    }

    @Override
    public String encodeRedirectURL(String url) {
        return url;
    }

    // Servlet 2.x spellings (javax; gone from the jakarta 6 interface, hence no @Override).
    @Deprecated
    public String encodeUrl(String url) {
        return url;
    }

    @Deprecated
    public String encodeRedirectUrl(String url) {
        return url;
    }

    private void noteLength(String name, String value) {
        if (name == null || !name.equalsIgnoreCase("Content-Length")) return;
        try {
            declaredLength = value == null ? -1 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            declaredLength = -1;
        }
    }

    private boolean hasBuffered() {
        return (stream != null && stream.hold().held() > 0) || (writerSink != null && writerSink.hold().held() > 0);
    }

    private void discardBuffered() {
        if (stream != null) stream.hold().discard();
        if (writerSink != null) writerSink.hold().discard();
    }
}
