#!/usr/bin/env bash
# Build the Servlet filter with the JDK alone (javac + jar), from one source tree, into two self-contained jars:
#   dist/session-gateway-servlet-jakarta.jar   jakarta.servlet (Tomcat 10+, Jakarta EE 9+)
#   dist/session-gateway-servlet-javax.jar     javax.servlet 3.1+ (Tomcat 8.5/9, JEUS 8, WebLogic 12, eGovFrame 3.x)
# The sources are written against jakarta.servlet; the javax variant is generated from them (package names, and the
# blocks marked javax-only: methods the javax interfaces still declare). Both are Java 8 bytecode (--release 8).
# The servlet API jars are Debian's (libtomcat10-java; libtomcat9-java or libservlet-api-java), or JAKARTA_SERVLET_API
# and JAVAX_SERVLET_API.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$here/.build"
dist="$here/dist"

first_jar() {
  for jar in "$@"; do
    if [ -f "$jar" ]; then echo "$jar"; return 0; fi
  done
  return 1
}
jakarta_api="${JAKARTA_SERVLET_API:-$(first_jar /usr/share/java/tomcat10-servlet-api.jar /usr/share/java/tomcat11-servlet-api.jar || true)}"
javax_api="${JAVAX_SERVLET_API:-$(first_jar /usr/share/java/tomcat9-servlet-api.jar /usr/share/java/servlet-api.jar || true)}"
[ -n "$jakarta_api" ] || { echo "build.sh: no jakarta servlet API jar (apt-get install libtomcat10-java, or set JAKARTA_SERVLET_API)" >&2; exit 1; }
[ -n "$javax_api" ] || { echo "build.sh: no javax servlet API jar (apt-get install libtomcat9-java or libservlet-api-java, or set JAVAX_SERVLET_API)" >&2; exit 1; }
command -v javac >/dev/null || { echo "build.sh: javac not found (apt-get install default-jdk-headless)" >&2; exit 1; }

version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$here/../../package.json")"
jars=("$dist/session-gateway-servlet-jakarta.jar" "$dist/session-gateway-servlet-javax.jar")
if [ "${1:-}" != "--force" ] && [ -f "${jars[0]}" ] && [ -f "${jars[1]}" ] \
   && [ -z "$(find "$here/src" "$0" -newer "${jars[0]}" -print -quit)" ] && [ -z "$(find "$here/src" "$0" -newer "${jars[1]}" -print -quit)" ]; then
  echo "servlet filter jars are up to date"
  exit 0
fi
rm -rf "$work" && mkdir -p "$work" "$dist"

build_variant() { # variant source-dir api-jar
  local variant="$1" src="$2" api="$3" out="$work/$1"
  mkdir -p "$out/classes"
  find "$src" -name '*.java' > "$out/sources.txt"
  javac --release 8 -encoding UTF-8 -Xlint:all,-options,-serial -Werror -cp "$api" -d "$out/classes" @"$out/sources.txt"
  printf 'Implementation-Title: session-gateway servlet filter (%s)\nImplementation-Version: %s\nAutomatic-Module-Name: org.sessiongateway.servlet\n' \
    "$variant" "$version" > "$out/manifest.txt"
  jar --create --file "$dist/session-gateway-servlet-$variant.jar" --manifest "$out/manifest.txt" -C "$out/classes" .
}

# javax: the same sources with javax.servlet, and the javax-only blocks un-commented.
mkdir -p "$work/javax-src"
(cd "$here/src" && find . -name '*.java') | while read -r file; do
  mkdir -p "$work/javax-src/$(dirname "$file")"
  sed -e 's/jakarta\.servlet/javax.servlet/g' -e '/\/\*javax-only/d' -e '/javax-only\*\//d' "$here/src/$file" > "$work/javax-src/$file"
done

# The two compilations are independent: run them side by side.
build_variant jakarta "$here/src" "$jakarta_api" & jakarta_pid=$!
build_variant javax "$work/javax-src" "$javax_api" & javax_pid=$!
status=0
wait "$jakarta_pid" || status=1
wait "$javax_pid" || status=1
[ "$status" -eq 0 ] || { rm -f "${jars[@]}"; echo "build.sh: compilation failed" >&2; exit 1; }
echo "built ${jars[0]} and ${jars[1]}"
