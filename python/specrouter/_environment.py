"""Makes the engine find what it reads at run time, before _core is loaded.

libtorch: the C++ libraries link libtorch_cpu/libc10 by name; importing torch first puts
the installed torch package's copies in the process, so an installed wheel needs no
LD_LIBRARY_PATH and always uses the torch of the environment it runs in.

Configs and data: the engine reads configs/ and experiments/ from $SPECROUTER_DATA_DIR,
else a checkout's root when it is the working directory (engine/include/specrouter/
engine/config_dir.h). An installed package ships both in specrouter/data; outside a
checkout, point the engine there unless the user chose a folder.
"""

import os
from pathlib import Path

import torch  # noqa: F401  (loads libtorch before specrouter._core; see above)

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_DATA_DIR = PACKAGE_DIR / "data"


def point_engine_at_data() -> None:
    """Sets SPECROUTER_DATA_DIR to the packaged data unless it is set or the working
    directory is a checkout (which then wins, as it does for the CLI)."""
    if "SPECROUTER_DATA_DIR" in os.environ:
        return
    if Path("configs/config.yaml").is_file():
        return
    if (PACKAGED_DATA_DIR / "configs" / "config.yaml").is_file():
        os.environ["SPECROUTER_DATA_DIR"] = str(PACKAGED_DATA_DIR)


point_engine_at_data()
