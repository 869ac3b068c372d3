package com.example.shop;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** A free-text note kept in the session (a long one runs into the session size limit). */
public class NoteServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        request.setCharacterEncoding("UTF-8");
        request.getSession().setAttribute("note", request.getParameter("text"));
        response.sendRedirect(request.getContextPath() + "/");
    }
}
