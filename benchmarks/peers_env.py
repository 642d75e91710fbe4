"""Create ``.venv-peers``: mamlscape plus learn2learn, higher and torchopt, on the CPU torch.

``benchmarks/peers.py`` times mamlscape against these libraries in one
process. They live in their own virtual environment so that the project's
``.venv`` (and CI) never depend on them. The peers are installed with
``--no-deps`` and only the packages they import are added by hand, because
their declared dependencies cannot sit beside torch 2.13 on a CPU machine:

- higher 0.2.1: pure Python, imports only torch;
- torchopt 0.7.3: its wheel's C++ extension was built for an older torch and
  does not load, which torchopt tolerates (it falls back to its Python ops,
  ``torchopt.accelerated_op_available()`` is False; nothing timed here uses
  them). It imports optree, typing-extensions, numpy and, in
  ``torchopt.visual``, the pure-Python ``graphviz`` package at import time;
- learn2learn 0.2.0: only an sdist whose generated C files predate Python
  3.11, so its three ``.pyx`` files are run through a current Cython and the
  package is built without build isolation. It declares torchvision and gym,
  and its ``__init__`` imports both (through ``learn2learn.vision`` and
  ``learn2learn.gym``); neither is installed (no CPU torchvision fits torch
  2.13), so ``benchmarks/peers.py`` loads ``learn2learn.algorithms.maml``
  without running those package ``__init__`` files (see its docstring).

Every pip call uses the project's ``constraints.txt`` (torch==2.13.0), and the
script checks at the end that torch is a CPU build and that neither
torchvision nor gym crept in. It is idempotent: steps whose packages are
already installed at the pinned versions are skipped, and it prints what it
installed or found.

    python -m benchmarks.peers_env                # creates or completes .venv-peers
    .venv-peers/bin/python -m benchmarks.peers --out results/bench_peers.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-peers"
CONSTRAINTS = ROOT / "constraints.txt"

PURE_PEERS = {
    "higher": "0.2.1",
    "torchopt": "0.7.3",
    "optree": "0.20.0",
    "graphviz": "0.21",
}
LEARN2LEARN = "0.2.0"
CYTHON = "3.3.1"
FORBIDDEN = ("torchvision", "gym", "gymnasium")
PYX_FILES = ("meta_dataset.pyx", "task_dataset.pyx", "transforms.pyx")


def python_of(venv: Path) -> Path:
    """The interpreter of ``venv``."""
    return venv / "bin" / "python"


def installed_versions(python: Path, names: list[str]) -> dict[str, str | None]:
    """Installed version of each distribution in ``python``'s environment (None if absent)."""
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "def version(name):\n"
        "    try:\n"
        "        return metadata.version(name)\n"
        "    except metadata.PackageNotFoundError:\n"
        "        return None\n"
        "print(json.dumps({n: version(n) for n in sys.argv[1:]}))\n"
    )
    output = subprocess.run(
        [str(python), "-c", code, *names], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output)


def pip(python: Path, *args: str) -> None:
    """``pip install`` under the project's constraints (never a CUDA torch)."""
    command = [str(python), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *args]
    print("  $", " ".join(command[2:]), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def ensure_venv(venv: Path) -> str:
    """Create ``venv`` with this interpreter unless it exists."""
    if python_of(venv).exists():
        return "present"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return "created"


def ensure_project(python: Path) -> str:
    """mamlscape itself, editable, with its dependencies (torch from constraints.txt)."""
    versions = installed_versions(python, ["mamlscape", "torch"])
    if versions["mamlscape"] and versions["torch"]:
        return f"present (torch {versions['torch']})"
    pip(python, "-e", ".")
    return f"installed (torch {installed_versions(python, ['torch'])['torch']})"


def ensure_pure_peers(python: Path) -> dict[str, str]:
    """higher, torchopt and torchopt's import-time dependencies, each with ``--no-deps``."""
    versions = installed_versions(python, list(PURE_PEERS))
    missing = [f"{name}=={pin}" for name, pin in PURE_PEERS.items() if versions[name] != pin]
    if missing:
        pip(python, "--no-deps", *missing)
    return {
        name: ("installed " if f"{name}=={pin}" in missing else "present ") + pin
        for name, pin in PURE_PEERS.items()
    }


def regenerate_c(python: Path, source: Path) -> None:
    """Rewrite learn2learn's generated C files from its ``.pyx`` with the installed Cython."""
    data = source / "learn2learn" / "data"
    subprocess.run(
        [str(python), "-m", "cython", "-3", "-X", "embedsignature=True", *PYX_FILES],
        check=True,
        cwd=data,
    )


def ensure_learn2learn(python: Path) -> str:
    """learn2learn 0.2.0 from its sdist, C regenerated by a current Cython, ``--no-deps``."""
    if installed_versions(python, ["learn2learn"])["learn2learn"] == LEARN2LEARN:
        return f"present {LEARN2LEARN}"
    pip(python, f"cython=={CYTHON}", "setuptools")
    with tempfile.TemporaryDirectory() as folder:
        download = [str(python), "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run(
            [*download, "--no-binary", ":all:", f"learn2learn=={LEARN2LEARN}", "-d", folder],
            check=True,
        )
        with tarfile.open(Path(folder) / f"learn2learn-{LEARN2LEARN}.tar.gz") as archive:
            archive.extractall(folder, filter="data")
        source = Path(folder) / f"learn2learn-{LEARN2LEARN}"
        regenerate_c(python, source)
        pip(python, "--no-deps", "--no-build-isolation", str(source))
    return f"installed {LEARN2LEARN} (C regenerated with Cython {CYTHON})"


def check_environment(python: Path) -> str:
    """Fail unless torch is a CPU build and no forbidden package was pulled in."""
    versions = installed_versions(python, list(FORBIDDEN))
    present = [name for name, version in versions.items() if version]
    if present:
        raise SystemExit(f".venv-peers must not contain {present}; remove them")
    cuda = subprocess.run(
        [str(python), "-c", "import torch; print(torch.version.cuda)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if cuda != "None":
        raise SystemExit(f".venv-peers has a CUDA torch (CUDA {cuda}); recreate it")
    return "CPU torch, no torchvision or gym"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=VENV)
    args = parser.parse_args()
    python = python_of(args.venv)
    report = {"venv": ensure_venv(args.venv)}
    report["mamlscape"] = ensure_project(python)
    report.update(ensure_pure_peers(python))
    report["learn2learn"] = ensure_learn2learn(python)
    report["check"] = check_environment(python)
    for name, outcome in report.items():
        print(f"{name:12s} {outcome}")


if __name__ == "__main__":
    main()
