<%@ page contentType="text/html; charset=UTF-8" pageEncoding="UTF-8" isErrorPage="true" %>
<%@ page import="egovframework.com.cmm.LoginVO" %>
<% LoginVO user = (LoginVO) session.getAttribute("loginVO"); %>
<!doctype html>
<html>
<head><meta charset="utf-8"><title>Sorry</title></head>
<body>
<h1 id="sorry">Sorry<%= user == null ? "" : ", " + user.getName() %>: that did not work.</h1>
<p><a href="<%= response.encodeURL(request.getContextPath() + "/") %>">Back to the shop</a></p>
</body>
</html>
