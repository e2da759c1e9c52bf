#!/usr/bin/env bash
# A real PostgreSQL streaming replica of this machine's server, for the replica tests
# (tests/test_replica_faults.py) and for trying DATABASE_REPLICA_URL by hand.
#
#   tests/replica/setup.sh [create]   create it if missing, start it, wait until it streams
#   tests/replica/setup.sh remove     stop and delete it, and drop its replication slot
#   tests/replica/setup.sh status     say whether it runs and how far it has replayed
#
# It is a second cluster of the same PostgreSQL version (Debian's pg_createcluster),
# filled by pg_basebackup -R from the primary and fed through a physical replication
# slot, so the primary keeps the WAL it needs while it is stopped. Every database of the
# primary is on it, the test databases too, so a test reads through it what it wrote on
# the primary. Run as root (pg_createcluster and the cluster's files need it).
#
# Environment: PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432), PRIMARY_USER (postgres),
# REPLICA_PORT (5442), PG_VERSION (the primary's major version), REPLICA_CLUSTER
# (msblog_replica). The tests find it at TEST_REPLICA_PORT, the same default.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
REPLICA_PORT=${REPLICA_PORT:-5442}
REPLICA_CLUSTER=${REPLICA_CLUSTER:-msblog_replica}
SLOT=${REPLICA_CLUSTER}_${REPLICA_PORT}
WAIT_SECONDS=${WAIT_SECONDS:-120}

primary() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -Atqc "$1" postgres; }
replica() { psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_USER" -Atqc "$1" postgres; }
as_postgres() { runuser -u postgres -- "$@"; }

PG_VERSION=${PG_VERSION:-$(primary "SHOW server_version_num" | cut -c1-2)}
DATA_DIR=/var/lib/postgresql/$PG_VERSION/$REPLICA_CLUSTER

exists() { pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$REPLICA_CLUSTER" '$1 == v && $2 == c' | grep -q .; }
online() { pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$REPLICA_CLUSTER" '$1 == v && $2 == c {print $4}' | grep -q online; }

wait_for() {  # wait_for "what" command...: retry until it succeeds or WAIT_SECONDS pass
  local what=$1; shift
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "setup.sh: $what did not happen within ${WAIT_SECONDS}s" >&2
      return 1
    fi
    sleep 0.5
  done
}

streaming() { [ "$(replica 'SELECT pg_is_in_recovery() AND pg_last_wal_receive_lsn() IS NOT NULL')" = t ]; }

resume_if_paused() {
  # A test that stopped the replica's processes (SIGSTOP) and died before resuming them
  # would leave them hung; resume the cluster's own processes (its postmaster's children).
  local pid_file=$DATA_DIR/postmaster.pid
  [ -f "$pid_file" ] || return 0
  local postmaster
  postmaster=$(head -1 "$pid_file")
  kill -CONT "$postmaster" 2>/dev/null || return 0
  for child in $(ps -o pid= --ppid "$postmaster"); do kill -CONT "$child" 2>/dev/null || true; done
}

allow_replication() {
  # pg_hba's "all" does not cover replication connections: let this machine make them.
  local hba
  hba=$(primary "SHOW hba_file")
  if ! grep -Eq "^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32" "$hba"; then
    echo "host replication all 127.0.0.1/32 trust  # added by msblog tests/replica/setup.sh" >>"$hba"
    primary "SELECT pg_reload_conf()" >/dev/null
  fi
}

create() {
  if exists; then
    resume_if_paused
    online || pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$REPLICA_CLUSTER" start
  else
    allow_replication
    local max_connections
    max_connections=$(primary "SHOW max_connections")
    pg_createcluster --quiet --start-conf=manual -p "$REPLICA_PORT" \
      "$PG_VERSION" "$REPLICA_CLUSTER" >/dev/null
    # A standby needs max_connections at least the primary's.
    cat >"/etc/postgresql/$PG_VERSION/$REPLICA_CLUSTER/conf.d/msblog-replica.conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = $max_connections
hot_standby = on
hot_standby_feedback = on
CONF
    # The same logins as the primary: its users and passwords are replicated too.
    cp "$(primary "SHOW hba_file")" "/etc/postgresql/$PG_VERSION/$REPLICA_CLUSTER/pg_hba.conf"
    rm -rf "${DATA_DIR:?}"/*
    [ -z "$(primary "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'")" ] ||
      primary "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
    as_postgres pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" \
      -D "$DATA_DIR" -R -X stream -c fast -C -S "$SLOT"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$REPLICA_CLUSTER" start
  fi
  wait_for "the replica on port $REPLICA_PORT streaming from the primary" streaming
  echo "replica: PostgreSQL $PG_VERSION cluster $REPLICA_CLUSTER on 127.0.0.1:$REPLICA_PORT, streaming"
}

remove() {
  if exists; then
    resume_if_paused
    pg_dropcluster --stop "$PG_VERSION" "$REPLICA_CLUSTER"
  fi
  if [ -n "$(primary "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$SLOT'")" ]; then
    # Without its replica an inactive slot would keep WAL on the primary for ever.
    wait_for "the slot $SLOT to be released" \
      primary "SELECT 1/(NOT active)::int FROM pg_replication_slots WHERE slot_name = '$SLOT'"
    primary "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
  fi
  echo "replica: removed"
}

status() {
  if ! exists; then
    echo "replica: none (create it with tests/replica/setup.sh)"
    return 1
  fi
  pg_lsclusters "$PG_VERSION" "$REPLICA_CLUSTER"
  online && replica "SELECT 'replayed ' || pg_last_wal_replay_lsn() || ', paused: ' || pg_is_wal_replay_paused()"
}

case "${1:-create}" in
  create) create ;;
  remove) remove ;;
  status) status ;;
  *) echo "usage: $0 [create|remove|status]" >&2; exit 2 ;;
esac
