"""Per-call overhead of small repeated computations (the in situ pattern, issue "Pando inside
HPC codes"): sum and max of each rank's 512x256 float64 slab, through Pando (from_local of a
view of the slab, one compute of both) beside the same written by hand (a loop and two
MPI_Allreduce), in the same program and run. Seconds are per call, the median of 5 rounds.
"""
from harness import Pando, Workload


def workloads(ctx):
    runs = []
    for ranks in (1, 2):
        runs.append(Pando(ranks, "pando-bench-insitu", ["--engine", "pando"]))
        by_hand = Pando(ranks, "pando-bench-insitu", ["--engine", "mpi"])
        by_hand.engine = f"by hand (loop + 2 MPI_Allreduce), {ranks} rank{'s' if ranks > 1 else ''}"
        runs.append(by_hand)
    yield Workload("in situ: sum + max of a 512x256 slab per rank", runs,
                   extra=["us_per_call", "build_us", "plan_us", "share_us", "execute_us",
                          "deliver_us"])
