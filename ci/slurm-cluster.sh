#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, for ci/slurm-test.sh.
#
#   bash ci/slurm-cluster.sh start   install (Debian: slurmctld slurmd slurm-client munge) when
#                                    missing, write a config, start munged, slurmctld, slurmd, and
#                                    wait for the node; prints `export SLURM_CONF=…` on stdout
#   bash ci/slurm-cluster.sh stop    stop the daemons this script started (by their PID files)
#
# Exit status of `start`: 0 running · 77 Slurm cannot be started here (not root and no sudo, no
# apt-get, or a daemon did not come up); the reason is on stderr.
#
# What it relies on (Debian 12, Slurm 22.05, munge 0.5; no systemd, no cgroups): the packages'
# scripts do not start the daemons, so they are started by hand; munged runs as the munge user with
# /run/munge owned by it; proctrack/linuxproc and task/none need no cgroups; DefMemPerCPU keeps a
# task from taking the node's whole memory (else the array runs one task at a time);
# SlurmctldHost names `hostname -s` with an explicit 127.0.0.1 (no DNS). Without slurmdbd there
# is no sacct: the test polls squeue. The config lives in $TNBENCH_SLURM_HOME (default
# /var/lib/tnbench-slurm), never in /etc/slurm, and clients find it through SLURM_CONF.
set -euo pipefail

HOME_DIR=${TNBENCH_SLURM_HOME:-/var/lib/tnbench-slurm}
CONF=$HOME_DIR/slurm.conf
SUDO=""

skip() { echo "slurm-cluster: $*" >&2; exit 77; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else skip "not root and no password-less sudo"; fi
  fi
}

install_packages() {
  local missing=()
  for tool in slurmctld slurmd sbatch munged; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get"
  echo "slurm-cluster: installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    $SUDO apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
      || skip "apt-get could not install slurmctld slurmd slurm-client munge"
  fi
}

write_config() {
  local host cpus memory
  host=$(hostname -s)
  cpus=$(nproc)
  memory=$(( $(free -m | awk '/^Mem:/ {print $2}') - 1024 ))
  [ "$memory" -ge 1024 ] || memory=1024
  $SUDO mkdir -p "$HOME_DIR/state" "$HOME_DIR/spool" "$HOME_DIR/log"
  $SUDO tee "$CONF" >/dev/null <<CONF
# Written by tnbench ci/slurm-cluster.sh: a single-node cluster for the integration test.
ClusterName=tnbench
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$HOME_DIR/log/jobcomp.log
MinJobAge=300
StateSaveLocation=$HOME_DIR/state
SlurmdSpoolDir=$HOME_DIR/spool
SlurmctldPidFile=$HOME_DIR/slurmctld.pid
SlurmdPidFile=$HOME_DIR/slurmd.pid
SlurmctldLogFile=$HOME_DIR/log/slurmctld.log
SlurmdLogFile=$HOME_DIR/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=tnbench Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

running() { [ -f "$1" ] && $SUDO kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  need_root
  install_packages
  export SLURM_CONF=$CONF
  if running "$HOME_DIR/slurmctld.pid" && running "$HOME_DIR/slurmd.pid" && sinfo -h >/dev/null 2>&1; then
    echo "slurm-cluster: already running" >&2
  else
    write_config
    if ! pgrep -u munge munged >/dev/null 2>&1; then
      $SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge
      $SUDO chown munge:munge /run/munge /var/log/munge /var/lib/munge
      [ -f /etc/munge/munge.key ] || $SUDO runuser -u munge -- /usr/sbin/mungekey --create 2>/dev/null || $SUDO /usr/sbin/create-munge-key -f 2>/dev/null || true
      $SUDO runuser -u munge -- /usr/sbin/munged || skip "munged did not start"
      $SUDO touch "$HOME_DIR/started-munged"
    fi
    $SUDO env SLURM_CONF="$CONF" /usr/sbin/slurmctld -f "$CONF" || skip "slurmctld did not start (see $HOME_DIR/log/slurmctld.log)"
    $SUDO env SLURM_CONF="$CONF" /usr/sbin/slurmd -f "$CONF" || skip "slurmd did not start (see $HOME_DIR/log/slurmd.log)"
  fi
  local host
  host=$(hostname -s)
  for _ in $(seq 1 60); do
    state=$(sinfo -h -n "$host" -o %t 2>/dev/null | head -1 || true)
    case "$state" in
      idle|mix|alloc) echo "export SLURM_CONF=$CONF"; return 0 ;;
      down*|drain*) $SUDO env SLURM_CONF="$CONF" scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  skip "the node did not become idle within 30 s (state: ${state:-none}; see $HOME_DIR/log/)"
}

stop() {
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  for daemon in slurmd slurmctld; do
    if running "$HOME_DIR/$daemon.pid"; then $SUDO kill "$(cat "$HOME_DIR/$daemon.pid")" 2>/dev/null || true; fi
  done
  if [ -f "$HOME_DIR/started-munged" ]; then
    [ -f /run/munge/munged.pid ] && $SUDO kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    $SUDO rm -f "$HOME_DIR/started-munged"
  fi
  for _ in $(seq 1 20); do
    running "$HOME_DIR/slurmd.pid" || running "$HOME_DIR/slurmctld.pid" || return 0
    sleep 0.5
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
