"""pyvider's generated tfplugin6 stubs, loaded without running pyvider's package __init__.

That __init__ imports pyvider's whole framework (provide.foundation, about 0.5 s on a quiet
machine); the stand-ins only need the protocol's messages and service stubs, and core starts
each provider about three times per plan.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any


def _pyvider_package_without_init() -> None:
    if "pyvider" in sys.modules:
        return
    spec = importlib.util.find_spec("pyvider")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("pyvider is not installed (run `make venv`)")
    package = types.ModuleType("pyvider")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["pyvider"] = package


_pyvider_package_without_init()
_STUBS = "pyvider.protocols.tfprotov6.protobuf"
pb: Any = importlib.import_module(f"{_STUBS}.tfplugin6_pb2")
pb_grpc: Any = importlib.import_module(f"{_STUBS}.tfplugin6_pb2_grpc")

__all__ = ["pb", "pb_grpc"]
