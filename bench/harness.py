"""bench/run as a module (`from harness import bench`), for the scripts beside it that reuse its
server, token and report helpers: bench/run is a script without a `.py` name, so it is loaded
from its path."""
import importlib.machinery
import importlib.util
import os

_loader = importlib.machinery.SourceFileLoader(
    "bench_run", os.path.join(os.path.dirname(os.path.abspath(__file__)), "run"))
_spec = importlib.util.spec_from_loader("bench_run", _loader)
bench = importlib.util.module_from_spec(_spec)
_loader.exec_module(bench)
