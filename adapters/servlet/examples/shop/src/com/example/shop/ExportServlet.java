package com.example.shop;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;

/** Order history as CSV; remembers in the session how many rows the last export had (after writing them). */
public class ExportServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int rows = Integer.parseInt(request.getParameter("rows") == null ? "10" : request.getParameter("rows"));
        response.setContentType("text/csv");
        PrintWriter out = response.getWriter();
        out.println("order,item,amount");
        for (int i = 1; i <= rows; i++) out.println(i + ",item-" + i + "," + (i * 7 % 100));
        request.getSession().setAttribute("lastExportRows", rows);
    }
}
