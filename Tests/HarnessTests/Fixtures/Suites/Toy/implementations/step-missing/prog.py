# Fails: runs every epoch without the step predictions the protocol asks for
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
environment()
epoch(1, 0.1)
predictions(job, {"epoch": 1}, one_hot(rule(x)))
epoch(2, 0.1)
predictions(job, {"epoch": 2}, one_hot(rule(x)))
predictions(job, "final", one_hot(rule(x)))
