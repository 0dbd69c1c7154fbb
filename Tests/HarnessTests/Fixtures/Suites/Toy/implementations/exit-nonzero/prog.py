# Fails: exits with status 3 after a line on standard error
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
print("boom: the toy model exploded", file=sys.stderr, flush=True)
sys.exit(3)
