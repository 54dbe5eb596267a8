#!/usr/bin/env bash
# A one-node SLURM cluster on this machine for the SLURM tests (tests/slurm/): the real slurmctld, slurmd and sbatch,
# with munge authentication. `tests/slurm/cluster.sh start|stop|status`; state, logs and slurm.conf live in
# $SLURM_STATE (default /tmp/gansuite-slurm). Tools run by hand need `export SLURM_CONF=$SLURM_STATE/slurm.conf`.
# Needs root (slurmd runs jobs as their users) and Debian's packages: `apt-get install slurm-wlm munge slurmdbd
# mariadb-server`. Accounting (slurmdbd on a MariaDB of its own in $SLURM_STATE) is not optional: submitit learns that a
# job ended without a result (failed, killed) only from `sacct`, and waits for it forever without.
set -euo pipefail

STATE="${SLURM_STATE:-/tmp/gansuite-slurm}"
export SLURM_CONF="$STATE/slurm.conf"
WAIT_S="${SLURM_START_TIMEOUT_S:-60}"
DB_PORT="${SLURM_DB_PORT:-3307}"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

write_conf() {
  local host cpus memory_mb
  host="$(hostname -s)"
  cpus="$(nproc)"
  memory_mb="$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)"
  mkdir -p "$STATE/ctld" "$STATE/spool"
  # No cgroups (a container may have none): linuxproc tracks processes, no task plugin, no accounting daemon.
  cat >"$SLURM_CONF" <<CONF
ClusterName=gansuite
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/jobcomp.txt
MpiDefault=none
ReturnToService=2
KillWait=10
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  cat >"$STATE/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=root
StorageLoc=slurm_acct_db
CONF
  chmod 600 "$STATE/slurmdbd.conf"
}

wait_for() { # wait_for WHAT COMMAND...: run COMMAND until it succeeds, at most $WAIT_S seconds
  local what="$1" deadline=$((SECONDS + WAIT_S))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready after ${WAIT_S}s; logs in $STATE"
    sleep 0.5
  done
}

start_accounting() {
  if [ ! -d "$STATE/mysql/mysql" ]; then
    mariadb-install-db --user=root --datadir="$STATE/mysql" --auth-root-authentication-method=normal \
      >"$STATE/mariadb-install.log" 2>&1 || die "mariadb-install-db failed: see $STATE/mariadb-install.log"
  fi
  mariadbd --user=root --datadir="$STATE/mysql" --socket="$STATE/mysql.sock" --pid-file="$STATE/mariadb.pid" \
    --bind-address=127.0.0.1 --port="$DB_PORT" --log-error="$STATE/mariadb.log" </dev/null >/dev/null 2>&1 &
  wait_for MariaDB mariadb --protocol=tcp -h 127.0.0.1 -P "$DB_PORT" -u root -e 'select 1'
  slurmdbd # reads slurmdbd.conf beside $SLURM_CONF
  wait_for slurmdbd sacctmgr -i list cluster
  if ! sacctmgr -n -P list cluster format=cluster | grep -qx gansuite; then
    sacctmgr -i add cluster gansuite >/dev/null
  fi
}

munge_works() {
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1
}

start() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null ||
    die "slurm-wlm and munge are not installed: apt-get install slurm-wlm munge"
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd starts jobs as their users)"
  if [ -f "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null; then
    stop
  fi
  write_conf
  if ! munge_works; then
    [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key && chown munge: /etc/munge/munge.key; }
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge: /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- /usr/sbin/munged
    echo started >"$STATE/munged.started"
    timeout 10 bash -c 'until munge -n | unmunge >/dev/null 2>&1; do sleep 0.2; done' || die "munged did not start"
  fi
  start_accounting
  slurmctld -c -f "$SLURM_CONF" # -c: a fresh controller state, no jobs of an earlier start
  slurmd -f "$SLURM_CONF"
  local deadline=$((SECONDS + WAIT_S))
  until [ "$(sinfo -h -p test -o %t 2>/dev/null)" = idle ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
      die "node not idle after ${WAIT_S}s (sinfo: $(sinfo -h -o '%P %t' 2>&1 || true)); logs in $STATE"
    fi
    sleep 0.5
  done
  echo "SLURM cluster up: partition test on $(hostname -s), $(nproc) CPUs; export SLURM_CONF=$SLURM_CONF"
}

stop_daemon() {
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill "$pid" 2>/dev/null; then
    timeout 20 bash -c "while kill -0 $pid 2>/dev/null; do sleep 0.2; done" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop() {
  [ -f "$SLURM_CONF" ] && scancel --quiet --user="$(id -un)" 2>/dev/null || true
  stop_daemon "$STATE/slurmd.pid"
  stop_daemon "$STATE/slurmctld.pid"
  stop_daemon "$STATE/slurmdbd.pid"
  stop_daemon "$STATE/mariadb.pid"
  if [ -f "$STATE/munged.started" ]; then # only a munged this script started
    stop_daemon /run/munge/munged.pid
    rm -f "$STATE/munged.started"
  fi
  echo "SLURM cluster stopped"
}

status() {
  [ -f "$SLURM_CONF" ] || die "no cluster configured in $STATE: tests/slurm/cluster.sh start"
  sinfo -p test && squeue
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 start|stop|status" ;;
esac
