package org.sessiongateway.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;

/**
 * Async requests: the response is finished by complete(), by a dispatch, or by the container on a timeout or an
 * error — each after the filter has returned. Before any of them the session is committed and the held body handed
 * to the container; what the async work changes later is compared and logged like any change after the commit.
 */
final class GatewayAsyncContext implements AsyncContext {
    private final AsyncContext delegate;
    private final GatewayResponse response;

    GatewayAsyncContext(AsyncContext delegate, GatewayResponse response) {
        this.delegate = delegate;
        this.response = response;
        delegate.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                finish();
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                finish();
            }

            @Override
            public void onError(AsyncEvent event) {
                finish();
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
    }

    boolean wraps(AsyncContext other) {
        return other == delegate;
    }

    private void finish() {
        try {
            response.finishResponse();
        } catch (IOException e) {
            // The client went away; the container reports it.
        }
    }

    @Override
    public ServletRequest getRequest() {
        return delegate.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
        return delegate.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
        return delegate.hasOriginalRequestAndResponse();
    }

    @Override
    public void dispatch() {
        finish();
        delegate.dispatch();
    }

    @Override
    public void dispatch(String path) {
        finish();
        delegate.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        finish();
        delegate.dispatch(context, path);
    }

    @Override
    public void complete() {
        finish();
        delegate.complete();
    }

    @Override
    public void start(Runnable run) {
        delegate.start(run);
    }

    @Override
    public void addListener(AsyncListener listener) {
        delegate.addListener(listener);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse servletResponse) {
        delegate.addListener(listener, request, servletResponse);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> type) throws ServletException {
        return delegate.createListener(type);
    }

    @Override
    public void setTimeout(long timeout) {
        delegate.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
        return delegate.getTimeout();
    }
}
