package org.sessiongateway.servlet;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.Arrays;

/**
 * The response body as characters, held until the container would commit (BodyHold, GatewayResponse). It writes into
 * the container's own writer, so the character encoding stays the container's business. Characters are at most as
 * many as bytes, so the declared length commits at that point or a little after.
 */
final class GuardedWriter extends Writer {
    private final PrintWriter target;
    private final BodyHold hold;
    private char[] buffer = new char[256];

    GuardedWriter(PrintWriter target, GatewayResponse owner, boolean through) {
        this.target = target;
        this.hold = new BodyHold(owner, through, this::passHeld);
    }

    BodyHold hold() {
        return hold;
    }

    private void passHeld() {
        target.write(buffer, 0, hold.held());
    }

    @Override
    public void write(char[] chars, int offset, int length) throws IOException {
        if (hold.passes(length)) {
            target.write(chars, offset, length);
            return;
        }
        int held = hold.held();
        if (held + length > buffer.length) buffer = Arrays.copyOf(buffer, Math.max(held + length, buffer.length * 2));
        System.arraycopy(chars, offset, buffer, held, length);
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
}
