# Fails: sleeps past the time limit (paper tier only, so that no plan runs it)
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

import time
job = problem()
environment()
time.sleep(20)
