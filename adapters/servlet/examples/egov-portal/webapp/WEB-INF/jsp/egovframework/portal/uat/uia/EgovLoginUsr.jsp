<%@ page contentType="text/html; charset=UTF-8" pageEncoding="UTF-8" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<!doctype html>
<html>
<head><meta charset="utf-8"><title>Login</title></head>
<body>
<c:if test="${not empty message}"><p id="message"><c:out value="${message}"/></p></c:if>
<form method="post" action="<c:url value='/uat/uia/actionLogin.do'/>">
  <input name="id" value="<c:out value='${loginVO.id}'/>"> <input name="password" type="password"> <button>Login</button>
</form>
</body>
</html>
