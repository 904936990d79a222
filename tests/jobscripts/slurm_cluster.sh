#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for tests, everything under one folder, no systemd:
#   source slurm_cluster.sh; slurm_start DIR; ...sbatch...; slurm_stop
# Needs Debian's slurm-wlm and munge (cmake/packages.txt, group "test"). slurm_stop kills the
# daemons by their PID files; callers set `trap slurm_stop EXIT` so a failing test stops them too.

slurm_free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

slurm_start() {
  SLURM_DIR="$1"
  mkdir -p "$SLURM_DIR"/{state,spool,munge}
  chmod 755 "$SLURM_DIR" "$SLURM_DIR/munge"   # munge wants every folder on its socket path o+x
  local host; host=$(hostname -s)
  mungekey -c -b 1024 -k "$SLURM_DIR/munge/key" 2>/dev/null
  chmod 600 "$SLURM_DIR/munge/key"
  munged --force --key-file="$SLURM_DIR/munge/key" --socket="$SLURM_DIR/munge/sock" \
    --pid-file="$SLURM_DIR/munge/pid" --log-file="$SLURM_DIR/munge/log" \
    --seed-file="$SLURM_DIR/munge/seed" || { echo "slurm_cluster: munged did not start" >&2; return 1; }
  export SLURM_CONF="$SLURM_DIR/slurm.conf"
  cat >"$SLURM_CONF" <<CONF
ClusterName=pandotest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(slurm_free_port)
SlurmdPort=$(slurm_free_port)
AuthType=auth/munge
AuthInfo=socket=$SLURM_DIR/munge/sock
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=pmix
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MailProg=/bin/true
SlurmUser=root
SlurmdUser=root
ReturnToService=2
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
NodeName=$host NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -f "$SLURM_CONF" || { echo "slurm_cluster: slurmctld did not start" >&2; return 1; }
  slurmd -f "$SLURM_CONF" || { echo "slurm_cluster: slurmd did not start" >&2; return 1; }
  local i
  for i in $(seq 1 100); do
    [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && return 0
    sleep 0.2
  done
  echo "slurm_cluster: the node did not become idle; slurmctld.log:" >&2
  tail -20 "$SLURM_DIR/slurmctld.log" >&2
  return 1
}

# Waits for job $1 to leave the queue (polling squeue), then prints its final state.
slurm_wait() {
  local job="$1" i
  for i in $(seq 1 600); do
    [ -z "$(squeue -h -j "$job" -o %T 2>/dev/null)" ] && break
    sleep 0.5
  done
  scontrol show job "$job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'
}

slurm_stop() {
  [ -n "${SLURM_DIR:-}" ] || return 0
  local f
  for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" "$SLURM_DIR/munge/pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 0.3
  for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid" "$SLURM_DIR/munge/pid"; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
  done
  return 0
}
