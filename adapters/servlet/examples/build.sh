#!/usr/bin/env bash
# Build the two example applications as exploded web applications in examples/dist/ (JDK and Debian jars only):
#   dist/shop         servlets + JSP on jakarta.servlet (Tomcat 10): copy it to $CATALINA_BASE/webapps/ROOT
#   dist/egov-portal  Spring MVC 4.3 + JSTL on javax.servlet (Tomcat 9): copy it to $CATALINA_BASE/webapps/egov
# Their code never mentions the gateway: each has the filter's jar in WEB-INF/lib and its entry in web.xml.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="${JAVA_LIB:-/usr/share/java}"
out="$here/dist"
work="$here/.build"

bash "$here/../build.sh" >/dev/null
need() { for jar in "$@"; do [ -f "$lib/$jar" ] || { echo "examples/build.sh: $lib/$jar is missing (see .ci/run for the Debian packages)" >&2; exit 1; }; done; }
spring_jars=(spring3-core.jar spring3-beans.jar spring3-context.jar spring3-aop.jar spring3-expression.jar spring3-web.jar spring3-web.servlet.jar commons-logging.jar)
jstl_jars=(taglibs-standard-spec.jar taglibs-standard-impl.jar)
need tomcat10-servlet-api.jar tomcat9-servlet-api.jar "${spring_jars[@]}" "${jstl_jars[@]}"

stamp="$out/.built"
if [ -f "$stamp" ] && [ -z "$(find "$here" "$here/../dist" -newer "$stamp" -not -path "$out/*" -not -path "$work/*" -type f -print -quit)" ]; then
  echo "examples are up to date"
  exit 0
fi
rm -rf "$out" "$work" && mkdir -p "$out" "$work"
javac_() { javac --release 8 -encoding UTF-8 -nowarn "$@"; }

# The shared eGovFrame-style common jar (LoginVO), in both applications.
javac_ -d "$work/egov-common" $(find "$here/egov-common/src" -name '*.java')
jar --create --file "$work/egov-common.jar" -C "$work/egov-common" .

webapp() { # name jar-of-the-filter
  local name="$1" app="$out/$1"
  mkdir -p "$app/WEB-INF/lib" "$app/WEB-INF/classes"
  cp -R "$here/$name/webapp/." "$app/"
  cp "$work/egov-common.jar" "$here/../dist/$2" "$app/WEB-INF/lib/"
}

webapp shop session-gateway-servlet-jakarta.jar
webapp egov-portal session-gateway-servlet-javax.jar
for jar in "${spring_jars[@]}" "${jstl_jars[@]}"; do cp -L "$lib/$jar" "$out/egov-portal/WEB-INF/lib/"; done

javac_ -cp "$lib/tomcat10-servlet-api.jar:$work/egov-common.jar" -d "$out/shop/WEB-INF/classes" $(find "$here/shop/src" -name '*.java') &
shop=$!
spring_cp="$lib/tomcat9-servlet-api.jar:$work/egov-common.jar$(printf ":$lib/%s" "${spring_jars[@]}")"
javac_ -cp "$spring_cp" -d "$out/egov-portal/WEB-INF/classes" $(find "$here/egov-portal/src" -name '*.java') &
portal=$!
wait "$shop" && wait "$portal"
touch "$stamp"
echo "built $out/shop and $out/egov-portal"
