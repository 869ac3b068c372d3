package org.sessiongateway.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.Arrays;

/** The response body as bytes, held until the container would commit (BodyHold, GatewayResponse). */
final class GuardedOutputStream extends ServletOutputStream {
    private final ServletOutputStream target;
    private final BodyHold hold;
    private byte[] buffer = new byte[256];

    GuardedOutputStream(ServletOutputStream target, GatewayResponse owner, boolean through) {
        this.target = target;
        this.hold = new BodyHold(owner, through, this::passHeld);
    }

    BodyHold hold() {
        return hold;
    }

    private void passHeld() throws IOException {
        target.write(buffer, 0, hold.held());
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] { (byte) b }, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (hold.passes(length)) {
            target.write(bytes, offset, length);
            return;
        }
        int held = hold.held();
        if (held + length > buffer.length) buffer = Arrays.copyOf(buffer, Math.max(held + length, buffer.length * 2));
        System.arraycopy(bytes, offset, buffer, held, length);
        hold.held(length);
    }

    @Override
    public void flush() throws IOException {
        hold.release();
        target.flush();
    }

    @Override
    public void close() throws IOException {
        hold.release();
        target.close();
    }

    @Override
    public boolean isReady() {
        return !hold.isThrough() || target.isReady();
    }

    /** Non-blocking output writes straight through: the session is committed when the listener is set. */
    @Override
    public void setWriteListener(WriteListener listener) {
        try {
            hold.release();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        target.setWriteListener(listener);
    }
}
