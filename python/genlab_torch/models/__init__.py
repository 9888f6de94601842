"""The twins, one file per GenLab model; every module here is imported (and so registered)."""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
