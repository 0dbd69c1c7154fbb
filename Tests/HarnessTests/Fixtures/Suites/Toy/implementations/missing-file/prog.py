# Fails: reports final predictions in a file it never wrote
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
emit({"event": "predictions", "checkpoint": "final", "sets": {"test": "nowhere.npy"}})
