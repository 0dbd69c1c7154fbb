# Fails: records a parameter count that is not a number
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
x = test_inputs(job)
environment()
print('{"event": "record", "scalars": {"param_count": NaN}}', flush=True)
predictions(job, "final", one_hot(rule(x)))
