# Fails: reports epoch 3 after epoch 1
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
epoch(1, 0.1)
epoch(3, 0.1)
predictions(job, "final", one_hot(rule(test_inputs(job))))
