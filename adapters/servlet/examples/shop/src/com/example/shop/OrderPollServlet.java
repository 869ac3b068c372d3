package com.example.shop;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;

/** The order page's long poll: answered from another thread (Servlet 3 async); counts the polls in the session. */
public class OrderPollServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) {
        final HttpSession session = request.getSession();
        final AsyncContext async = request.startAsync();
        async.start(() -> {
            try {
                Integer polls = (Integer) session.getAttribute("polls");
                polls = polls == null ? 1 : polls + 1;
                session.setAttribute("polls", polls);
                async.getResponse().setContentType("application/json");
                async.getResponse().getWriter().write("{\"order\":\"shipped\",\"polls\":" + polls + "}");
            } catch (IOException e) {
                log("poll failed", e);
            } finally {
                async.complete();
            }
        });
    }
}
