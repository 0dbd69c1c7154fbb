# Like good, for variant a at the smoke tier only
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
predictions(job, "final", one_hot(rule(test_inputs(job))))
