# Fails: final predictions with 7 rows for the 10 test samples
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
predictions(job, "final", one_hot(rule(test_inputs(job)))[:7])
