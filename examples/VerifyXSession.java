import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verify the gateway's X-Session header the way a Java backend would (JDK only: javax.crypto.Mac).
 *
 * The header is a compact JWS (HS256). The key is SESSION_HEADER_SECRET, or, when only SESSION_SECRET is set,
 * SHA-256("session-gateway/x-session/v1\0" + first comma-separated SESSION_SECRET) -- the gateway's derivation.
 * A real app would parse the claims with its JSON library (Jackson, Gson); this example only needs "exp" and
 * prints the verified claims JSON.
 *
 *   javac VerifyXSession.java && java VerifyXSession TOKEN      (exit 0 = valid, 1 = ignore the header)
 */
public final class VerifyXSession {
    private static final long CLOCK_SKEW_SECONDS = 5;
    private static final Pattern ALG_HS256 = Pattern.compile("\"alg\"\\s*:\\s*\"HS256\"");
    private static final Pattern EXP = Pattern.compile("\"exp\"\\s*:\\s*(\\d+)");

    static final class InvalidSessionHeader extends Exception {
        InvalidSessionHeader(String message) { super(message); }
    }

    static byte[] headerKey() throws Exception {
        String headerSecret = System.getenv().getOrDefault("SESSION_HEADER_SECRET", "").trim();
        if (!headerSecret.isEmpty()) return headerSecret.getBytes(StandardCharsets.UTF_8);
        for (String secret : System.getenv().getOrDefault("SESSION_SECRET", "").split(",")) {
            if (secret.trim().isEmpty()) continue;
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update("session-gateway/x-session/v1\0".getBytes(StandardCharsets.UTF_8));
            return sha256.digest(secret.trim().getBytes(StandardCharsets.UTF_8));
        }
        throw new IllegalStateException("set SESSION_HEADER_SECRET or SESSION_SECRET");
    }

    /** Returns the claims JSON of a valid header; throws when the request must be treated as having no session. */
    static String verify(String token, byte[] key, long nowSeconds) throws Exception {
        String[] parts = token.trim().split("\\.", -1);
        if (parts.length != 3) throw new InvalidSessionHeader("not a compact JWS");
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new InvalidSessionHeader("bad signature encoding");
        }
        if (!MessageDigest.isEqual(expected, given)) throw new InvalidSessionHeader("bad signature"); // constant time
        String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
        if (!ALG_HS256.matcher(header).find()) throw new InvalidSessionHeader("unexpected alg");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        Matcher exp = EXP.matcher(claims);
        if (!exp.find() || Long.parseLong(exp.group(1)) + CLOCK_SKEW_SECONDS < nowSeconds) throw new InvalidSessionHeader("expired");
        return claims;
    }

    public static void main(String[] args) throws Exception {
        String token = args.length > 0 ? args[0] : new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        try {
            System.out.println(verify(token, headerKey(), System.currentTimeMillis() / 1000));
        } catch (InvalidSessionHeader e) {
            System.err.println("invalid X-Session header: " + e.getMessage());
            System.exit(1);
        }
    }
}
