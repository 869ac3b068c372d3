<%@ page contentType="text/html; charset=UTF-8" pageEncoding="UTF-8" %>
<%@ taglib prefix="c" uri="http://java.sun.com/jsp/jstl/core" %>
<!doctype html>
<html>
<head><meta charset="utf-8"><title>eGov portal</title></head>
<body>
<h1>eGov portal</h1>
<c:if test="${not empty message}"><p id="message"><c:out value="${message}"/></p></c:if>
<c:choose>
  <c:when test="${not empty user}">
    <p id="welcome">Welcome <c:out value="${user.name}"/> (<c:out value="${user.id}"/>)</p>
    <form method="post" action="<c:url value='/uat/uia/actionLogout.do'/>"><button>Logout</button></form>
  </c:when>
  <c:otherwise>
    <p id="welcome">Guest</p>
    <a id="login" href="<c:url value='/uat/uia/egovLoginUsr.do'/>">Login</a>
  </c:otherwise>
</c:choose>
<p id="visits">Visits: <c:out value="${sessionScope.visitCount}" default="0"/></p>
<p id="locale">Locale: <c:out value="${locale}"/></p>
<textarea id="draft" rows="6" cols="60"><c:out value="${sessionScope.boardDraft}"/></textarea>
<script>
  const box = document.getElementById('draft');
  let timer;
  box.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => fetch('<c:url value="/cmm/draft.do"/>', { method: 'POST', body: new URLSearchParams({ text: box.value }) }), 500);
  });
</script>
</body>
</html>
