"""Put first on PYTHONPATH by ``lesson_api.run_binary``: Python imports it at start-up.

It only installs an import hook (microseconds): the program's first ``import dspy``
then runs ``tutor.embed.client.configure()`` once dspy has loaded. A program that never
imports dspy starts as fast as without the tutor, and dspy is never imported for it.
A ``sitecustomize`` further along sys.path (a distribution's own) still runs.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


class _ConfigureDspyOnImport:
    def find_spec(self, name, path=None, target=None):
        if name != "dspy":
            return None
        sys.meta_path.remove(self)  # one shot; the lookup below must not find us again
        spec = importlib.util.find_spec("dspy")
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            from tutor.embed.client import configure

            configure()

        spec.loader.exec_module = exec_module  # this spec's own loader instance
        return spec


sys.meta_path.insert(0, _ConfigureDspyOnImport())

_next = importlib.machinery.PathFinder.find_spec(
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
)
if _next is not None and _next.loader is not None:
    _next.loader.exec_module(importlib.util.module_from_spec(_next))
