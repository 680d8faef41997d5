import ast
import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sd_webui_clip_skip"


def test_metadata_sections_are_spelled_as_the_host_reads_them():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "metadata.ini")
    assert parser.sections() == ["Extension", "scripts"]
    assert parser["Extension"]["Name"] == "sd-webui-clip-skip"


def test_install_py_prints_nothing_and_installs_nothing():
    for _ in range(2):  # idempotent: every WebUI start runs it
        result = subprocess.run([sys.executable, str(ROOT / "install.py")], capture_output=True, text=True, check=True)
        assert (result.stdout, result.stderr) == ("", "")


def test_the_package_imports_nothing_from_the_webui_at_module_level():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: hosts/ imports lazily inside functions
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] in {"modules", "modules_forge", "launch"} for name in names), path


def test_there_is_exactly_one_entry_script():
    assert sorted(p.name for p in (ROOT / "scripts").glob("*.py")) == ["clip_skip.py"]
