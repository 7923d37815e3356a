"""Event payload models, one module per producing service (``accounts.py``, ``contracts.py``…;
``platform.py`` for the events every service emits). Importing this package imports every
module in it, which registers each model in :mod:`tread_shared.events.registry`: a new module
needs no line here. Run ``python -m tread_shared.events.catalogue`` after adding or changing a
model, so that ``docs/events/`` describes it."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
