# Fails: exits 0 without final predictions
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
epoch(1, 0.1)
predictions(job, {"epoch": 1}, one_hot(rule(test_inputs(job))))
