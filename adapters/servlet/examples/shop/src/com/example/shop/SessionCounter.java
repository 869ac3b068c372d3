package com.example.shop;

import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionListener;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts sessions created and destroyed on this server (an operator's page shows them). */
public class SessionCounter implements HttpSessionListener {
    static final AtomicInteger created = new AtomicInteger();
    static final AtomicInteger destroyed = new AtomicInteger();

    @Override
    public void sessionCreated(HttpSessionEvent event) {
        created.incrementAndGet();
    }

    @Override
    public void sessionDestroyed(HttpSessionEvent event) {
        destroyed.incrementAndGet();
    }
}
