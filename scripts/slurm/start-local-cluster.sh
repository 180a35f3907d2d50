#!/usr/bin/env bash
# Installs and starts a single-node Slurm cluster on this machine, for the
# tests in test/slurm (issue #7). Debian 12, run as root, no systemd needed:
# munged, slurmctld and slurmd are started directly. Idempotent: when the
# node already answers as idle it returns at once; otherwise it (re)writes
# slurm.conf, starts whatever daemon is not running, and waits (with a
# deadline) until `sinfo` shows the node ready.
#
#   scripts/slurm/start-local-cluster.sh          # install if needed, start
#   NM_SLURM_NO_INSTALL=1 scripts/slurm/...       # never call apt-get
#
# Exit 0 when the cluster is up; non-zero (with the daemons' log tails) when
# it is not. Takes about 10 s from a bare machine once packages are present.
set -euo pipefail

DEADLINE_S=${NM_SLURM_DEADLINE_S:-60}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
NODE=localhost

log() { printf 'slurm-setup: %s\n' "$*" >&2; }
die() {
  log "$*"
  for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log \
    /var/log/munge/munged.log; do
    [ -f "$f" ] && { log "--- tail of $f"; tail -n 20 "$f" >&2; }
  done
  exit 1
}

if [ "$(id -u)" != 0 ]; then
  die 'must run as root (it starts munged, slurmctld and slurmd)'
fi

# sinfo blocks for a long time when slurmctld is down, so every probe runs
# under `timeout`.
node_state() {
  timeout 5 sinfo -h -n "$NODE" -o '%t' 2>/dev/null | head -n 1 || true
}
ready() {
  case "$(node_state)" in
    idle* | mix* | alloc* | comp*) return 0 ;;
    *) return 1 ;;
  esac
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Probe only when both daemons run: otherwise sinfo would wait out its
# timeout for nothing.
if command -v sinfo >/dev/null && [ -f "$CONF" ] &&
  pid_alive /run/slurm/slurmctld.pid && pid_alive /run/slurm/slurmd.pid &&
  ready; then
  log "node $NODE is already up ($(node_state))"
  exit 0
fi

# --- packages ---------------------------------------------------------------
need=()
for cmd in munged slurmctld slurmd sbatch; do
  command -v "$cmd" >/dev/null || need+=("$cmd")
done
if [ ${#need[@]} -gt 0 ]; then
  [ -z "${NM_SLURM_NO_INSTALL:-}" ] || die "missing: ${need[*]}"
  log "installing slurmctld slurmd slurm-client munge (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

# --- munge ------------------------------------------------------------------
# The package's postinst makes a key; make one if it did not.
if [ ! -s /etc/munge/munge.key ]; then
  log 'creating /etc/munge/munge.key'
  install -d -o munge -g munge -m 0700 /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log 'starting munged'
  rm -f /run/munge/munged.pid
  # runuser is in util-linux (essential), so no sudo is needed.
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  munge -n | unmunge >/dev/null 2>&1 || die 'munged did not start'
fi

# --- slurm.conf ---------------------------------------------------------------
# The node's size comes from slurmd itself; RealMemory must not exceed what
# it reports or the node is drained as "Low RealMemory".
hw=$(slurmd -C | head -n 1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
[ -n "$cpus" ] && [ -n "$mem" ] || die "cannot read CPUs/RealMemory from: $hw"

install -d -m 0755 "$CONF_DIR"
install -d -o slurm -g slurm -m 0755 /run/slurm /var/lib/slurm \
  /var/lib/slurm/slurmctld /var/log/slurm
install -d -m 0755 /var/lib/slurm/slurmd

new_conf=$(
  cat <<CONF
# Written by neuromake scripts/slurm/start-local-cluster.sh: one node, for
# tests. Regenerated on every start; edit the script, not this file.
ClusterName=neuromake
SlurmctldHost=$NODE
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# No systemd or cgroup v1 inside a container: track processes by parentage.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmdSpoolDir=/var/lib/slurm/slurmd
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
# Start a submitted job at once instead of batching submissions.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
# Without a default, a job that names no memory gets the whole node.
DefMemPerCPU=256
# Reject at submission what can never run (a GPU here), and kill jobs whose
# dependency can never be met, instead of letting them pend forever.
EnforcePartLimits=ALL
DependencyParameters=kill_invalid_depend
# Finished jobs stay visible to squeue -t all and scontrol this long (s).
MinJobAge=600
KillWait=2
InactiveLimit=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
)

stop_daemon() {
  if pid_alive "$1"; then
    kill "$(cat "$1")" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$1" || break; sleep 0.1; done
  fi
  rm -f "$1"
}

if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$new_conf" ]; then
  log "writing $CONF (CPUs=$cpus RealMemory=$mem)"
  printf '%s\n' "$new_conf" >"$CONF"
  # Daemons started with another configuration must pick this one up.
  stop_daemon /run/slurm/slurmd.pid
  stop_daemon /run/slurm/slurmctld.pid
fi

# --- daemons ------------------------------------------------------------------
if ! pid_alive /run/slurm/slurmctld.pid; then
  log 'starting slurmctld'
  slurmctld
fi
if ! pid_alive /run/slurm/slurmd.pid; then
  log "starting slurmd -N $NODE"
  slurmd -N "$NODE"
fi

end=$((SECONDS + DEADLINE_S))
resumed=0
until ready; do
  state=$(node_state)
  # A node that went down (a slurmd killed earlier) must be resumed by hand.
  if [ $resumed = 0 ] && [[ "$state" == down* || "$state" == drain* ]]; then
    log "node is $state; resuming it"
    timeout 5 scontrol update nodename="$NODE" state=resume || true
    resumed=1
  fi
  [ $SECONDS -lt $end ] || die "node $NODE not ready after ${DEADLINE_S}s (state: ${state:-no answer})"
  sleep 0.2
done
log "node $NODE is up ($(node_state)): CPUs=$cpus RealMemory=${mem}MB"
