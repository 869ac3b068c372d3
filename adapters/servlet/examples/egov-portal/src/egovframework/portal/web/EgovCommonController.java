package egovframework.portal.web;

import egovframework.com.cmm.LoginVO;
import java.util.Enumeration;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpSession;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.servlet.i18n.SessionLocaleResolver;

/** The Ajax endpoints of the portal's pages. */
@Controller
public class EgovCommonController {
    @RequestMapping(value = "/cmm/counter.do", method = RequestMethod.POST, produces = "application/json;charset=UTF-8")
    @ResponseBody
    public String increment(HttpSession session) {
        Integer count = (Integer) session.getAttribute("visitCount");
        count = count == null ? 1 : count + 1;
        session.setAttribute("visitCount", count);
        return "{\"counter\":" + count + "}";
    }

    @RequestMapping(value = "/cmm/draft.do", method = RequestMethod.POST)
    @ResponseStatus(HttpStatus.NO_CONTENT)
    public void saveDraft(@RequestParam("text") String text, HttpSession session) {
        session.setAttribute("boardDraft", text);
    }

    @RequestMapping(value = "/cmm/whoami.do", method = RequestMethod.GET, produces = "application/json;charset=UTF-8")
    @ResponseBody
    public String whoami(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        StringBuilder json = new StringBuilder("{\"port\":").append(request.getLocalPort());
        if (session != null) {
            LoginVO user = (LoginVO) session.getAttribute("loginVO");
            json.append(",\"principal\":").append(quote(user == null ? null : user.getId()));
            json.append(",\"name\":").append(quote(user == null ? null : user.getName()));
            json.append(",\"counter\":").append(session.getAttribute("visitCount"));
            json.append(",\"draft\":").append(quote((String) session.getAttribute("boardDraft")));
            Object locale = session.getAttribute(SessionLocaleResolver.LOCALE_SESSION_ATTRIBUTE_NAME);
            json.append(",\"locale\":").append(quote(locale == null ? null : locale.getClass().getName() + ":" + locale));
            json.append(",\"attributes\":[");
            boolean first = true;
            for (Enumeration<String> names = session.getAttributeNames(); names.hasMoreElements(); first = false) {
                json.append(first ? "" : ",").append(quote(names.nextElement()));
            }
            json.append(']');
        }
        return json.append('}').toString();
    }

    private static String quote(String s) {
        if (s == null) return "null";
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
