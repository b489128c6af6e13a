"""The engine's errors as Python exceptions (all derive from SpecRouterError, a RuntimeError).

Each carries the C++ message unchanged: the config key and file, the plugin name and the
registered ones, the folder that is missing.
"""

from ._core import (  # noqa: F401  (re-exported)
    CapacityError,
    CheckpointError,
    ConfigError,
    NumericalError,
    PluginError,
    SpecRouterError,
    UnknownComponentError,
    UsageError,
)

__all__ = [
    "SpecRouterError",
    "ConfigError",
    "PluginError",
    "UnknownComponentError",
    "CheckpointError",
    "CapacityError",
    "UsageError",
    "NumericalError",
]
