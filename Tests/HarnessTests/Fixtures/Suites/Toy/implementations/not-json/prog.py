# Fails: prints a log line on standard output
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
print("training started", flush=True)
predictions(job, "final", one_hot(rule(test_inputs(job))))
