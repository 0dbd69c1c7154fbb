# Hands over step predictions the problem did not ask for (predict has no step)
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
scores = one_hot(rule(test_inputs(job)))
predictions(job, {"step": 5}, scores)
predictions(job, "final", scores)
