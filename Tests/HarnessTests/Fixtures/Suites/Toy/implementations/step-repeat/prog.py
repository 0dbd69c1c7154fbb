# Fails: hands over step 2 twice
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
environment()
predictions(job, {"step": 2}, one_hot(rule(x)))
emit({"event": "predictions", "checkpoint": {"step": 2}, "sets": {"test": "again.npy"}})
