package com.example.shop;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;

/** Page views of this visitor, an Integer in the session. */
public class CounterServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpSession session = request.getSession();
        Integer counter = (Integer) session.getAttribute("counter");
        counter = counter == null ? 1 : counter + 1;
        session.setAttribute("counter", counter);
        response.setContentType("application/json");
        response.getWriter().write("{\"counter\":" + counter + "}");
    }
}
