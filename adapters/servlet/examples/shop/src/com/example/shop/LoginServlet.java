package com.example.shop;

import egovframework.com.cmm.LoginVO;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Login the classic way: drop the pre-login session (session fixation), start a new one, copy over the draft. */
public class LoginServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        request.setCharacterEncoding("UTF-8");
        String id = request.getParameter("id");
        if (id == null || id.trim().isEmpty()) {
            response.sendError(HttpServletResponse.SC_BAD_REQUEST, "id is required");
            return;
        }
        String draft = null;
        List<?> cart = null;
        HttpSession old = request.getSession(false);
        if (old != null) {
            draft = (String) old.getAttribute("draft");
            cart = (List<?>) old.getAttribute("cart");
            old.invalidate();
        }
        HttpSession session = request.getSession(true);
        LoginVO loginVO = new LoginVO();
        loginVO.setId(id.trim());
        String name = request.getParameter("name");
        loginVO.setName(name == null || name.isEmpty() ? id.trim() : name);
        loginVO.setUserSe("GNR");
        loginVO.setUniqId("USRCNFRM_" + Math.abs(id.hashCode()));
        session.setAttribute("loginVO", loginVO);
        session.setAttribute("userNo", Long.valueOf(Math.abs(id.hashCode()) % 100000));
        session.setAttribute("points", Double.valueOf(100));
        session.setAttribute("lastLogin", new Date());
        Map<String, Object> prefs = new HashMap<String, Object>();
        prefs.put("theme", "dark");
        prefs.put("pageSize", 20);
        session.setAttribute("prefs", prefs);
        if (draft != null) session.setAttribute("draft", draft);
        if (cart != null) session.setAttribute("cart", new ArrayList<Object>(cart));
        response.sendRedirect(request.getContextPath() + "/");
    }
}
