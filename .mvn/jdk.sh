# Sourced by ./mvnw and ./ledgermind: makes JAVA_HOME point at a JDK 25 or newer.
# Keeps JAVA_HOME when it already is one; otherwise tries `java` on the PATH, then the usual
# install locations. Fails with a clear message when there is none.

ledgermind_java_major() { # $1 = a java executable; prints its feature version, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

ledgermind_select_jdk() {
  local want=25 candidate major
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    major=$(ledgermind_java_major "$JAVA_HOME/bin/java")
    [ -n "$major" ] && [ "$major" -ge "$want" ] && return 0
  fi
  if command -v java >/dev/null 2>&1; then
    candidate=$(readlink -f "$(command -v java)")
    major=$(ledgermind_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge "$want" ]; then
      JAVA_HOME=$(dirname "$(dirname "$candidate")"); export JAVA_HOME; return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/*-3[0-9]* \
                   /opt/java/*25* /opt/jdk*25* "$HOME"/.sdkman/candidates/java/25* "$HOME"/.jdks/*25* \
                   /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
    [ -x "$candidate/bin/java" ] || continue
    major=$(ledgermind_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$want" ]; then
      JAVA_HOME=$candidate; export JAVA_HOME; return 0
    fi
  done
  echo "error: Ledgermind needs a JDK $want or newer, and none was found." >&2
  echo "       Looked at JAVA_HOME (${JAVA_HOME:-unset}), java on the PATH, and /usr/lib/jvm, /opt, ~/.sdkman, ~/.jdks." >&2
  echo "       Install one (for example Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}

ledgermind_select_jdk || exit 1
