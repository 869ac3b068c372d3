package org.sessiongateway.servlet;

import java.io.IOException;

/**
 * When a held response body must go to the container, for bytes (GuardedOutputStream) and characters
 * (GuardedWriter) alike: once the buffer would overflow or the declared length is reached — the moments the
 * container itself would commit. Then the session is committed first, and everything after passes straight through.
 */
final class BodyHold {
    /** Hands what is held to the container. */
    interface Release {
        void pass() throws IOException;
    }

    private final GatewayResponse owner;
    private final Release release;
    private int held;
    private long written;
    private boolean through;

    BodyHold(GatewayResponse owner, boolean through, Release release) {
        this.owner = owner;
        this.through = through;
        this.release = release;
    }

    boolean isThrough() {
        return through;
    }

    int held() {
        return held;
    }

    void discard() {
        held = 0;
    }

    /** Before writing `length` more: true when they go straight to the container (the hold released first if needed). */
    boolean passes(int length) throws IOException {
        if (through) return true;
        written += length;
        if (held + length <= owner.bufferLimit()) return false;
        release();
        return true;
    }

    /** After `length` more were held: release when the buffer is full or the declared length reached. */
    void held(int length) throws IOException {
        held += length;
        if (held >= owner.bufferLimit() || owner.lengthReached(written)) release();
    }

    /** Commit the session and pass on what is held; idempotent. */
    void release() throws IOException {
        if (through) return;
        owner.commitSession();
        through = true;
        if (held > 0) release.pass();
        held = 0;
    }
}
