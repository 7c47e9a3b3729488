"""The pack's modules are top-level (the CLI runs policy/ as the program): put policy/ on the path."""

import sys
from pathlib import Path

POLICY_DIR = Path(__file__).resolve().parent.parent
if str(POLICY_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_DIR))
