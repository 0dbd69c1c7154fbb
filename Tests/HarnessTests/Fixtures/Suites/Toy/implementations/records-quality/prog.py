# Fails: claims its own test accuracy (quality is computed from predictions, never reported)
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
emit({"event": "record", "scalars": {"test_accuracy": 1.0}})
predictions(job, "final", one_hot(rule(test_inputs(job))))
