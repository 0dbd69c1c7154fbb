# Fails: killed by a signal (SIGKILL) after its environment
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

import signal
job = problem()
environment()
print("about to be killed", file=sys.stderr, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
