package egovframework.portal.web;

import egovframework.com.cmm.LoginVO;
import javax.servlet.http.HttpServletRequest;
import org.springframework.stereotype.Controller;
import org.springframework.ui.ModelMap;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.servlet.support.RequestContextUtils;

@Controller
public class EgovMainController {
    @RequestMapping("/main.do")
    public String main(HttpServletRequest request, ModelMap model) {
        // EgovUserDetailsHelper.getAuthenticatedUser() reads it this way.
        LoginVO user = (LoginVO) RequestContextHolder.getRequestAttributes().getAttribute("loginVO", RequestAttributes.SCOPE_SESSION);
        model.addAttribute("user", user);
        model.addAttribute("locale", RequestContextUtils.getLocale(request).toString());
        return "main/EgovMain";
    }
}
