# Fails: the final predictions reuse the file of epoch 2
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
environment()
epoch(1, 0.1)
predictions(job, {"epoch": 1}, one_hot(rule(x)))
epoch(2, 0.1)
predictions(job, {"epoch": 2}, one_hot(rule(x)))
emit({"event": "predictions", "checkpoint": "final", "sets": {"test": "epoch-2-test.npy"}})
