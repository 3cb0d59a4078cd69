#!/usr/bin/env bash
# A local single-node Kafka broker (KRaft, broker+controller) for running loraflow by hand.
#
#   deploy/local/kafka.sh start    # idempotent; prints the bootstrap address
#   deploy/local/kafka.sh stop     # SIGTERM, SIGKILL after 20 s; idempotent
#   deploy/local/kafka.sh status   # exit 0 if running, 1 if stopped
#   deploy/local/kafka.sh reset    # stop and delete the broker's data (keeps the jars)
#
# Environment:
#   KAFKA_PORT             client port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  controller port on 127.0.0.1 (default 9093); fixed at first format
#   KAFKA_HOME_DIR         folder this script owns (default deploy/local/.kafka, git-ignored):
#                          lib/ (jars), data/, server.properties, kafka.log, kafka.pid
#   KAFKA_LOG_LEVEL        broker log level in kafka.log (default warn; info is ~3,500 lines)
#   KAFKA_START_TIMEOUT    seconds to wait for "Kafka Server started" (default 60)
#
# Needs java 17+ and mvn. The jars (Kafka and its dependencies, ~43 MB) are copied once from
# Maven with dependency:copy-dependencies; the version is the repo pom's kafka.version.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"
HOME_DIR="${KAFKA_HOME_DIR:-$SCRIPT_DIR/.kafka}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
LOG_LEVEL="${KAFKA_LOG_LEVEL:-warn}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT=20
HOST=127.0.0.1

LIB="$HOME_DIR/lib"
DATA="$HOME_DIR/data"
PROPS="$HOME_DIR/server.properties"
LOG="$HOME_DIR/kafka.log"
PID_FILE="$HOME_DIR/kafka.pid"
STARTED_LINE="Kafka Server started"

die() { echo "kafka.sh: $*" >&2; exit 1; }

# Alive and not a zombie (a broker that died under this same shell stays a zombie until reaped).
alive() {
  kill -0 "$1" 2>/dev/null && [[ "$(ps -p "$1" -o stat= 2>/dev/null)" != Z* ]]
}

kafka_version() {
  local v
  v="$(sed -n '/<kafka.version>/{s:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p;q}' "$REPO_DIR/pom.xml" 2>/dev/null)"
  echo "${v:-4.4.0}"
}

# The pid from the pid file if that process is alive and is our broker, else nothing.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 0
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  # Guard against a recycled pid: the command line must be our broker on our properties.
  local args
  args="$(ps -p "$pid" -o args= 2>/dev/null || true)"
  if [[ "$args" == *kafka.Kafka* && "$args" == *"$PROPS"* ]]; then
    echo "$pid"
  fi
}

# Copies Kafka and an slf4j binding into lib/ once (a marker file records completion).
ensure_lib() {
  local version marker
  version="$(kafka_version)"
  marker="$LIB/.complete-$version"
  [[ -f "$marker" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found; it is needed once to fetch the Kafka jars"
  echo "Fetching Kafka $version jars into $LIB (once)..."
  rm -rf "$LIB"
  mkdir -p "$LIB"
  # A throwaway pom: only the broker's own dependency tree, not loraflow's (Vert.x, ONNX).
  # slf4j-simple 1.7.x matches the slf4j-api 1.7 that Kafka uses; without it Kafka logs nothing.
  cat >"$HOME_DIR/lib-pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.loraflow</groupId>
  <artifactId>kafka-local-lib</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
  if ! mvn -q -B -f "$HOME_DIR/lib-pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIB" >"$HOME_DIR/mvn.log" 2>&1; then
    tail -n 30 "$HOME_DIR/mvn.log" >&2
    die "copying the Kafka jars failed (log: $HOME_DIR/mvn.log)"
  fi
  touch "$marker"
}

write_properties() {
  cat >"$PROPS" <<EOF
# Written by deploy/local/kafka.sh on each start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=8388608
EOF
}

# Formats data/ once. The controller's address is written into the quorum at format time,
# so a later KAFKA_CONTROLLER_PORT change needs `reset`.
ensure_formatted() {
  if [[ -f "$DATA/meta.properties" ]]; then
    local formatted
    formatted="$(cat "$HOME_DIR/controller.port" 2>/dev/null || echo "$CONTROLLER_PORT")"
    [[ "$formatted" == "$CONTROLLER_PORT" ]] || die "data was formatted for controller port" \
      "$formatted, not $CONTROLLER_PORT; use that port or run '$0 reset' (deletes topics)"
    return 0
  fi
  local cluster_id
  cluster_id="$(java -cp "$LIB/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  [[ -n "$cluster_id" ]] || die "could not generate a cluster id"
  java -cp "$LIB/*" kafka.tools.StorageTool format --standalone \
    --cluster-id="$cluster_id" --config "$PROPS" >"$HOME_DIR/format.log" 2>&1 \
    || { cat "$HOME_DIR/format.log" >&2; die "formatting $DATA failed"; }
  echo "$CONTROLLER_PORT" >"$HOME_DIR/controller.port"
}

port_busy() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

start() {
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    echo "Kafka already running (pid $pid) on $(bootstrap)"
    return 0
  fi
  command -v java >/dev/null || die "java not found"
  mkdir -p "$HOME_DIR"
  ensure_lib
  write_properties
  ensure_formatted
  for p in "$PORT" "$CONTROLLER_PORT"; do
    ! port_busy "$p" || die "port $p on $HOST is already in use (set KAFKA_PORT/KAFKA_CONTROLLER_PORT)"
  done
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
  # KafkaRaftServer stays at info so the "started" line we wait for is always logged.
  nohup java -Xmx512m \
    -Dorg.slf4j.simpleLogger.defaultLogLevel="$LOG_LEVEL" \
    -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd HH:mm:ss.SSS" \
    -cp "$LIB/*" kafka.Kafka "$PROPS" >"$LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  while ! grep -q "$STARTED_LINE" "$LOG" 2>/dev/null; do
    if ! alive "$pid"; then
      rm -f "$PID_FILE"
      echo "Kafka exited during start; last lines of $LOG:" >&2
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "Kafka did not start within ${START_TIMEOUT}s; last lines of $LOG:" >&2
      tail -n 30 "$LOG" >&2
      stop >/dev/null
      exit 1
    fi
    sleep 0.25
  done
  echo "Kafka started (pid $pid) on $(bootstrap); log: $LOG"
}

stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    echo "Kafka stopped"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while alive "$pid" && ((SECONDS < deadline)); do
    sleep 0.25
  done
  if alive "$pid"; then
    echo "Kafka did not stop within ${STOP_TIMEOUT}s; killing pid $pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  echo "Kafka stopped"
}

status() {
  local pid
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    echo "running (pid $pid) bootstrap.servers=$(bootstrap)"
    return 0
  fi
  echo "stopped (would listen on $(bootstrap))"
  return 1
}

reset() {
  stop
  rm -rf "$DATA" "$HOME_DIR/controller.port" "$PROPS" "$LOG" "$LOG.1" "$HOME_DIR/format.log"
  echo "Kafka data deleted"
}

bootstrap() { echo "$HOST:$PORT"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
