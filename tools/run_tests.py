"""Every test of the extension in one command: `python tools/run_tests.py` (Python 3.10+, Node 20+).

Makes a virtual environment in `.venv` beside the code (never the WebUI's own), installs
requirements-test.txt into it (gradio 3.41, as A1111, reForge and Forge Classic ship it), then runs
ruff, mypy and pytest; then pytest again in `.venv-gradio4` with gradio 4.40 (Forge, Forge Neo,
ersatzForge; requirements-test-gradio4.txt), and the Node tests of javascript/. Arguments are passed on
to both pytest runs, e.g. `python tools/run_tests.py -k paste`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = {".venv": "requirements-test.txt", ".venv-gradio4": "requirements-test-gradio4.txt"}


def environment(name: str) -> Path:
    """The Python of a virtual environment beside the code, made and brought up to date if need be."""
    folder = ROOT / name
    python = folder / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        venv.create(folder, with_pip=True)
    run(python, "-m", "pip", "--disable-pip-version-check", "install", "--quiet", "-r", ROOT / ENVIRONMENTS[name])
    return python


def run(*command: str | Path) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True)


def main(pytest_args: list[str]) -> int:
    python = environment(".venv")
    run(python, "-m", "ruff", "check", ".")
    run(python, "-m", "ruff", "format", "--check", ".")
    run(python, "-m", "mypy")
    run(python, "-m", "pytest", *pytest_args)
    run(environment(".venv-gradio4"), "-m", "pytest", "-p", "no:cacheprovider", *pytest_args)
    npm = shutil.which("npm")
    if npm is None:
        print("The browser code's tests need Node.js 20+ (npm); install it and run this again.", file=sys.stderr)
        return 1
    run(npm, "ci", "--no-audit", "--no-fund")
    run(npm, "test")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
