# Third-party dependencies of the core. Every one comes from Debian's archive except
# libtorch, which comes from the PyTorch wheel in the project's virtual environment
# (scripts/setup.sh installs it). Debian's libtorch-dev is the documented fallback.

set(SPECROUTER_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python interpreter whose torch package provides libtorch (and runs the oracle scripts)")

# Under pip (scikit-build-core), the interpreter pip runs is the environment the package
# installs into, whose torch the module must be built against.
set(_torch_python "${SPECROUTER_PYTHON}")
if(SKBUILD AND Python_EXECUTABLE)
  set(_torch_python "${Python_EXECUTABLE}")
endif()
if(NOT Torch_DIR AND EXISTS "${_torch_python}")
  # -E: pip's isolated build environment puts its own site on PYTHONPATH, which hides the
  # environment's torch; ignoring PYTHON* variables finds it (plain `pip install .`).
  execute_process(
    COMMAND "${_torch_python}" -E -c "import torch.utils; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _torch_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _torch_rc ERROR_QUIET)
  if(_torch_rc EQUAL 0)
    list(APPEND CMAKE_PREFIX_PATH "${_torch_prefix}")
  endif()
endif()
# The wheel's CUDA build wants an architecture list even though nothing here runs CUDA.
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(ENV{TORCH_CUDA_ARCH_LIST} "9.0")
endif()
find_package(Torch REQUIRED)
message(STATUS "libtorch ${Torch_VERSION} from ${Torch_DIR}")

find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ONIG REQUIRED IMPORTED_TARGET oniguruma)
find_package(Threads REQUIRED)
# libtorch's at::parallel_for is a header template that opens `#pragma omp parallel` in the
# caller's translation unit (ATen/ParallelOpenMP.h): code compiled without OpenMP runs it
# on one thread. The core passes OpenMP on to everything that links it.
find_package(OpenMP REQUIRED COMPONENTS CXX)
# Results files (engine/src/results): the HDF5 C library, linked privately, so no public
# header includes hdf5.h. Found through pkg-config (Debian's libhdf5-dev ships hdf5.pc,
# the serial build): that links libhdf5 alone, where FindHDF5 needs the C language enabled
# and adds every library h5cc mentions (curl, crypto, static libpthread).
pkg_check_modules(HDF5 REQUIRED IMPORTED_TARGET hdf5>=1.10.2)
