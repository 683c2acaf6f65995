#!/usr/bin/env bash
# Starts a MongoDB-protocol test server (mongo-java-server, in memory) on 127.0.0.1.
#
#   start.sh [PORT]               build if needed, start in the background, wait until it accepts
#                                 connections, then print MONGO_URI=… and MONGO_PID=… (eval-able)
#   start.sh --foreground PORT    build if needed, then run in this process (for tests that stop it)
#   start.sh --build-only         build and exit
#
# The first build fetches the server from Maven Central; later builds work offline.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/mongo-test-server-1.0.0.jar"

build() {
  if [[ -f "$jar" && -d "$here/target/lib" && "$jar" -nt "$here/pom.xml" && "$jar" -nt "$here/src/main/java/queuectl/testserver/Main.java" ]]; then
    return 0
  fi
  # Offline first (fast, and works with no network once the artifacts are cached), else online.
  if ! (cd "$here" && mvn -q -o package >/dev/null 2>&1); then
    (cd "$here" && mvn -q package) >&2
  fi
}

run() {
  exec java -cp "$jar:$here/target/lib/*" queuectl.testserver.Main "$1"
}

mode="background"
case "${1:-}" in
  --build-only) build; exit 0 ;;
  --foreground) mode="foreground"; shift ;;
esac
port="${1:-27018}"
if ! [[ "$port" =~ ^[0-9]+$ ]]; then
  echo "start.sh: invalid port '$port'" >&2
  exit 2
fi

build
if [[ "$mode" == "foreground" ]]; then
  run "$port"
fi

log="${TMPDIR:-/tmp}/queuectl-mongo-test-server-$port.log"
# setsid: the server outlives this script and is not hit by the caller's terminal signals.
setsid bash -c "$(declare -f run); jar='$jar'; here='$here'; run '$port'" </dev/null >"$log" 2>&1 &
pid=$!

for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: the test server exited; its log ($log):" >&2
    cat "$log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "MONGO_URI=mongodb://127.0.0.1:$port/queuectl_test"
    echo "MONGO_PID=$pid"
    exit 0
  fi
  sleep 0.1
done
echo "start.sh: the test server did not accept connections on 127.0.0.1:$port within 60 s (log: $log)" >&2
kill "$pid" 2>/dev/null || true
exit 1
