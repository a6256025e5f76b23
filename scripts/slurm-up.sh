#!/usr/bin/env bash
# A one-node Slurm cluster on loopback for the tests (research/slurm-one-node.md): munged, slurmctld and slurmd as
# plain background processes (no systemd, no cgroups), the node advertising 8 simulated GPUs as `gpu` GRES backed by
# /dev/null clones (22.05 drops file-less GPUs). Idempotent: when the node already answers, it only prints it.
# Needs root and Debian's slurm-wlm + munge (installed here when missing). State, logs and pids: $SLURM_CI_DIR.
# `scripts/slurm-up.sh down` stops the daemons this script started (by pid).
set -euo pipefail
S=${SLURM_CI_DIR:-/tmp/serving-lab-slurm}
NODE=$(hostname -s)

if [ "${1:-}" = down ]; then
  for f in "$S/slurmd.bgpid" "$S/slurmctld.bgpid"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  exit 0
fi

node_state() { sinfo -h -n "$NODE" -o %T 2>/dev/null | head -n1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if alive "$S/slurmctld.bgpid" && alive "$S/slurmd.bgpid"; then
  case "$(node_state)" in idle | mixed | allocated) sinfo -N -o "%N %T %c %G"; exit 0 ;; esac
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

# munge: the Debian postinst writes the key; create it where it did not.
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

# A fresh state dir: a drain saved by an earlier run would survive a restart (gotcha 2).
for f in "$S/slurmd.bgpid" "$S/slurmctld.bgpid"; do alive "$f" && kill "$(cat "$f")" 2>/dev/null || true; done
rm -rf "$S/state" "$S/spool"
mkdir -p "$S/state" "$S/spool" "$S/log" "$S/dev"
for i in 0 1 2 3 4 5 6 7; do [ -e "$S/dev/gpu$i" ] || mknod "$S/dev/gpu$i" c 1 3 2>/dev/null || touch "$S/dev/gpu$i"; done

mkdir -p /etc/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.txt
KillWait=5
MinJobAge=600
SlurmdParameters=config_overrides
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=8 Sockets=1 CoresPerSocket=8 ThreadsPerCore=1 RealMemory=4096 Gres=gpu:8 State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE DefaultTime=01:00:00 State=UP
CONF
echo "NodeName=${NODE} Name=gpu Count=8 File=$S/dev/gpu[0-7]" > /etc/slurm/gres.conf

cd "$S"
setsid nohup /usr/sbin/slurmctld -D -i >"$S/log/slurmctld.out" 2>&1 </dev/null & echo $! >"$S/slurmctld.bgpid"
setsid nohup /usr/sbin/slurmd -D >"$S/log/slurmd.out" 2>&1 </dev/null & echo $! >"$S/slurmd.bgpid"
for _ in $(seq 120); do [ "$(node_state)" = idle ] && break; sleep 0.5; done
if [ "$(node_state)" != idle ]; then
  echo "slurm-up: node $NODE is '$(node_state)', not idle; see $S/log" >&2
  exit 1
fi
# jobcomp/filetxt is root-only; sacct -c reads it for every user of the tests.
chmod 644 "$S/log/jobcomp.txt" 2>/dev/null || true
sinfo -N -o "%N %T %c %G"
