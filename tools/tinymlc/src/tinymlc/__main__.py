"""`python -m tinymlc compile|check ...`"""

from tinymlc.cli import run

run()
