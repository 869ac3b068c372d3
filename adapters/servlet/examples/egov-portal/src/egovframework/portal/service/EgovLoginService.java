package egovframework.portal.service;

import egovframework.com.cmm.LoginVO;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Service;

/** The member check of the example (a real portal asks its member table). */
@Service("loginService")
public class EgovLoginService {
    private static final String PASSWORD = "egov1234";
    private final Map<String, String> members = new LinkedHashMap<String, String>();

    public EgovLoginService() {
        members.put("hong", "홍길동");
        members.put("admin", "관리자");
    }

    /** The member for an id and password, without the password; null when they do not match. */
    public LoginVO actionLogin(LoginVO vo) {
        if (vo.getId() == null || !PASSWORD.equals(vo.getPassword())) return null;
        String name = members.containsKey(vo.getId()) ? members.get(vo.getId()) : vo.getId();
        LoginVO result = new LoginVO();
        result.setId(vo.getId());
        result.setName(name);
        result.setUserSe("USR");
        result.setUniqId("USRCNFRM_" + Math.abs(vo.getId().hashCode()));
        result.setOrgnztId("ORGNZT_0000000000000");
        return result;
    }
}
