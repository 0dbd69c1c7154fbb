# Fails: final predictions as int64
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
predictions(job, "final", rule(test_inputs(job)).reshape(-1, 1))
