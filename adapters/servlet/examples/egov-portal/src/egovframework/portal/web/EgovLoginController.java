package egovframework.portal.web;

import egovframework.com.cmm.LoginVO;
import egovframework.portal.service.EgovLoginService;
import javax.annotation.Resource;
import javax.servlet.http.HttpServletRequest;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Login and logout as eGovFrame's common component does them. */
@Controller
public class EgovLoginController {
    @Resource(name = "loginService")
    private EgovLoginService loginService;

    @RequestMapping("/uat/uia/egovLoginUsr.do")
    public String loginUsrView(@ModelAttribute("loginVO") LoginVO loginVO) {
        return "uat/uia/EgovLoginUsr";
    }

    @RequestMapping(value = "/uat/uia/actionLogin.do", method = RequestMethod.POST)
    public String actionLogin(@ModelAttribute("loginVO") LoginVO loginVO, HttpServletRequest request, RedirectAttributes redirect) {
        LoginVO resultVO = loginService.actionLogin(loginVO);
        if (resultVO == null) {
            redirect.addFlashAttribute("message", "로그인 정보가 올바르지 않습니다.");
            return "redirect:/uat/uia/egovLoginUsr.do";
        }
        // A new session for the logged-in user (session-fixation defence), then the user in it.
        request.getSession().invalidate();
        request.getSession().setAttribute("loginVO", resultVO);
        redirect.addFlashAttribute("message", "Welcome, " + resultVO.getName());
        return "redirect:/main.do";
    }

    @RequestMapping(value = "/uat/uia/actionLogout.do", method = RequestMethod.POST)
    public String actionLogout(RedirectAttributes redirect) {
        RequestContextHolder.getRequestAttributes().removeAttribute("loginVO", RequestAttributes.SCOPE_SESSION);
        redirect.addFlashAttribute("message", "You have been logged out.");
        return "redirect:/main.do";
    }
}
