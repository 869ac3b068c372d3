<%@ page contentType="text/html; charset=UTF-8" pageEncoding="UTF-8" %>
<%@ page import="egovframework.com.cmm.LoginVO" %>
<%
    LoginVO user = (LoginVO) session.getAttribute("loginVO");
    Integer counter = (Integer) session.getAttribute("counter");
    String draft = (String) session.getAttribute("draft");
%>
<!doctype html>
<html>
<head><meta charset="utf-8"><title>Shop</title></head>
<body>
<h1>Shop</h1>
<p id="server">served by port <%= request.getLocalPort() %></p>
<% if (user != null) { %>
  <p id="welcome">Signed in as <strong>${sessionScope.loginVO.name}</strong> (${sessionScope.loginVO.id})</p>
  <form method="post" action="<%= response.encodeURL(request.getContextPath() + "/logout") %>"><button>Sign out</button></form>
<% } else { %>
  <p id="welcome">Not signed in</p>
  <form method="post" action="<%= response.encodeURL(request.getContextPath() + "/login") %>">
    <input name="id" placeholder="id"> <input name="name" placeholder="name"> <button>Sign in</button>
  </form>
<% } %>
<p id="counter">Visits: <%= counter == null ? 0 : counter %></p>
<form method="post" action="<%= response.encodeURL(request.getContextPath() + "/counter") %>"><button>Count</button></form>
<p id="cart">Cart: ${sessionScope.cart}</p>
<form method="post" action="<%= response.encodeURL(request.getContextPath() + "/cart") %>"><input name="item"> <button>Add</button></form>
<h2>Message to the shop</h2>
<textarea id="draft" rows="6" cols="60"><%= draft == null ? "" : draft.replace("&", "&amp;").replace("<", "&lt;") %></textarea>
<p><small>New session: <%= session.isNew() %></small></p>
<script>
  const box = document.getElementById('draft');
  let timer;
  box.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => fetch('<%= request.getContextPath() %>/draft', { method: 'POST', body: new URLSearchParams({ text: box.value }) }), 500);
  });
</script>
</body>
</html>
