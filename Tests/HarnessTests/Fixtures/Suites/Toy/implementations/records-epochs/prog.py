# Fails: records the epochs, which the harness counts itself
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
environment()
emit({"event": "record", "scalars": {"epochs": 2}})
predictions(job, "final", one_hot(rule(x)))
