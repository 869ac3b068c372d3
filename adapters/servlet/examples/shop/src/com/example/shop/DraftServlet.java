package com.example.shop;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** The page's autosave: the half-typed form text, kept in the session, answered with 204. */
public class DraftServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        request.setCharacterEncoding("UTF-8");
        String text = request.getParameter("text");
        request.getSession().setAttribute("draft", text == null ? "" : text);
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }
}
