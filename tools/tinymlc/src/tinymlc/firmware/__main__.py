"""`python -m tinymlc.firmware budget|size ...`"""

from tinymlc.firmware.cli import run

run()
