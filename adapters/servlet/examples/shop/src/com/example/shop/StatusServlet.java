package com.example.shop;

import egovframework.com.cmm.LoginVO;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.util.Enumeration;

/** What the page's script polls: who is logged in, the counter, the draft, and the session's metadata, as JSON. */
public class StatusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpSession session = request.getSession(false);
        StringBuilder json = new StringBuilder("{\"port\":").append(request.getLocalPort());
        json.append(",\"remoteUser\":").append(quote(request.getRemoteUser()));
        if (session != null) {
            LoginVO user = (LoginVO) session.getAttribute("loginVO");
            json.append(",\"user\":").append(quote(user == null ? null : user.getId()));
            json.append(",\"name\":").append(quote(user == null ? null : user.getName()));
            json.append(",\"counter\":").append(session.getAttribute("counter"));
            json.append(",\"draft\":").append(quote((String) session.getAttribute("draft")));
            json.append(",\"cart\":").append(quote(String.valueOf(session.getAttribute("cart"))));
            json.append(",\"lastExportRows\":").append(session.getAttribute("lastExportRows"));
            json.append(",\"note\":").append(quote((String) session.getAttribute("note")));
            json.append(",\"polls\":").append(session.getAttribute("polls"));
            json.append(",\"sessionId\":").append(quote(session.getId()));
            json.append(",\"isNew\":").append(session.isNew());
            json.append(",\"createdAt\":").append(session.getCreationTime());
            json.append(",\"lastAccessedAt\":").append(session.getLastAccessedTime());
            json.append(",\"maxInactive\":").append(session.getMaxInactiveInterval());
            json.append(",\"types\":{");
            boolean first = true;
            for (Enumeration<String> names = session.getAttributeNames(); names.hasMoreElements();) {
                String name = names.nextElement();
                Object value = session.getAttribute(name);
                json.append(first ? "" : ",").append(quote(name)).append(':').append(quote(value == null ? null : value.getClass().getName()));
                first = false;
            }
            json.append('}');
        }
        json.append(",\"sessionsCreated\":").append(SessionCounter.created.get());
        json.append(",\"sessionsDestroyed\":").append(SessionCounter.destroyed.get());
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(json.append('}').toString());
    }

    private static String quote(String s) {
        if (s == null) return "null";
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
