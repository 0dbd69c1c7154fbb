# Behaves: two epochs, epoch and final test scores of a known rule
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
# What the contract promises besides the problem file (a failed check fails the job).
if "labels" in job["data"]["test"]:
    sys.exit("the test labels were handed over")
if os.environ.get("TNBENCH_PROBLEM") != sys.argv[-1]:
    sys.exit("TNBENCH_PROBLEM is not the problem's path")
if os.environ.get("OMP_NUM_THREADS") != str(job["threads"]):
    sys.exit("OMP_NUM_THREADS is not the job's threads")
if os.getcwd() != os.path.dirname(os.path.abspath(__file__)):
    sys.exit("the working directory is not the implementation's folder")
environment()
x = test_inputs(job)
emit({"event": "record", "scalars": {"param_count": 12}})
step_sets = job["predict"].get("step", {}).get("sets", [])  # variant b: every 2 steps, 2 steps an epoch
if step_sets:
    predictions(job, {"step": 2}, one_hot(rule(x)))
epoch(1, 0.5, loss=1.0)
predictions(job, {"epoch": 1}, one_hot(np.zeros(len(x), dtype=np.int64)))  # every sample class 0
emit({"event": "progress", "fraction": 0.5, "detail": "half way"})
if step_sets:
    predictions(job, {"step": 4}, one_hot(rule(x)))
epoch(2, 0.25, loss=0.5)
predictions(job, {"epoch": 2}, one_hot(rule(x)))
predictions(job, "final", one_hot(rule(x), dtype=np.float64))
