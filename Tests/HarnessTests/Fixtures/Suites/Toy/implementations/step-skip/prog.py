# Fails: hands over step 4 before step 2
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
environment()
predictions(job, {"step": 4}, one_hot(rule(x)))
predictions(job, "final", one_hot(rule(x)))
