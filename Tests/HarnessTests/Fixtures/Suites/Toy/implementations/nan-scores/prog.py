# Diverges: a NaN in row 4 of the final scores
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
scores = one_hot(rule(test_inputs(job)))
scores[4, 1] = np.nan
predictions(job, "final", scores)
