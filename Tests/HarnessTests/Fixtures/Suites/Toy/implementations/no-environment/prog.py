# Fails: starts training without the environment event
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
epoch(1, 0.1)
predictions(job, "final", one_hot(rule(x)))
