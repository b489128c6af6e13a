"""The package as a wheel lays it out, in a fresh virtual environment that has torch and
nothing of the project: the `python` install component (the module, the core and engine
libraries with RPATH $ORIGIN/lib, the plugins, the configs) plus the pure-Python package,
copied into the new environment's site-packages; then, from a folder outside the
checkout, with none of the project's variables set, it imports, lists the packaged
plugins, and runs an experiment from the packaged configs.

usage: installed_package_test.py BUILD_DIR SOURCE_DIR WORK_DIR"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

CHECK = """
import json, sys
import specrouter
location = specrouter.__file__
plugins = specrouter.plugins()
kinds = sorted({p["kind"] for p in plugins})
libraries = sorted({p["library"] for p in plugins if p["library"]})
run = specrouter.run_experiment(["pool=tiny_random", "pool.models[0].path=" + sys.argv[1] + "/tiny",
                                 "workload=smoke", "workload.requests=2", "workload.max_new_tokens=4",
                                 "method=target_only", "scheduling.warm_up=false"],
                                output_dir=sys.argv[1] + "/run")
print(json.dumps({"location": location, "kinds": kinds, "libraries": libraries,
                  "requests": int(run.summary["requests"])}))
"""


def main(build_dir: Path, source_dir: Path, work: Path) -> int:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run(["cmake", "--install", str(build_dir), "--component", "python", "--prefix", str(work / "site")],
                   check=True, stdout=subprocess.DEVNULL)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.check_output([str(venv / "bin" / "python"), "-c",
                                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    package = site / "specrouter"
    shutil.copytree(work / "site" / "specrouter", package)
    for source in (source_dir / "python" / "specrouter").iterdir():
        if source.is_file():
            shutil.copy2(source, package / source.name)
    # torch (and pandas for the results) from the project's environment, after the new
    # environment's own site-packages, so this copy of specrouter is the one imported.
    torch_site = Path(sysconfig.get_paths()["purelib"])
    (site / "project_torch.pth").write_text(str(torch_site) + "\n")
    outside = work / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SPECROUTER_") and key not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    result = subprocess.run([str(venv / "bin" / "python"), "-c", CHECK, str(work)], cwd=outside, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout, result.stderr, file=sys.stderr)
        return 1
    import json
    report = json.loads(result.stdout.strip().splitlines()[-1])
    failures = []
    if not report["location"].startswith(str(package)):
        failures.append(f"imported {report['location']}, not the fresh environment's copy under {package}")
    for kind in ("drafter", "verifier", "scheduler"):
        if kind not in report["kinds"]:
            failures.append(f"no packaged {kind} plugin loaded: {report['kinds']}")
    elsewhere = [library for library in report["libraries"] if not library.startswith(str(package))]
    if elsewhere:
        failures.append(f"plugins loaded from outside the package: {elsewhere}")
    if report["requests"] != 2:
        failures.append(f"the run finished {report['requests']} requests, not 2")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    if not failures:
        print("installed package OK:", {key: report[key] for key in ("location", "kinds", "requests")})
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
