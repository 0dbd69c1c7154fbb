# Diverges: a NaN training loss in epoch 2
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
epoch(1, 0.1, loss=2.0)
predictions(job, {"epoch": 1}, one_hot(rule(test_inputs(job))))
epoch(2, 0.1, loss=float("nan"))
predictions(job, "final", one_hot(rule(test_inputs(job))))
