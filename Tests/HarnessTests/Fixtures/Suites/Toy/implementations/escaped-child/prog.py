# Fails: leaves a process in a session of its own holding standard output
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
import subprocess
environment()
subprocess.Popen(["sleep", "30"], start_new_session=True)  # inherits standard output
predictions(job, "final", one_hot(rule(x)))
