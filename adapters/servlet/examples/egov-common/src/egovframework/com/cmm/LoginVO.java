package egovframework.com.cmm;

import java.io.Serializable;

/**
 * The logged-in user, as eGovFrame's common components keep it in the session under "loginVO". Shared by both
 * example applications (one jar in each WEB-INF/lib), so a login made in one is read by the other.
 */
public class LoginVO implements Serializable {
    private static final long serialVersionUID = -8274004534207618049L;

    private String id;
    private String name;
    private String password;
    /** User kind: GNR (member), ENT (company), USR (staff). */
    private String userSe;
    private String uniqId;
    private String orgnztId;

    public String getId() { return id; }
    public void setId(String id) { this.id = id; }
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getPassword() { return password; }
    public void setPassword(String password) { this.password = password; }
    public String getUserSe() { return userSe; }
    public void setUserSe(String userSe) { this.userSe = userSe; }
    public String getUniqId() { return uniqId; }
    public void setUniqId(String uniqId) { this.uniqId = uniqId; }
    public String getOrgnztId() { return orgnztId; }
    public void setOrgnztId(String orgnztId) { this.orgnztId = orgnztId; }
}
