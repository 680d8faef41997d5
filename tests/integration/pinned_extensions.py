"""Other extensions installed next to this one for a test run: exactly a pinned commit, and their Python
dependencies outside the WebUI's environment.

The checkout is named by an environment variable (a clone or a bare repository of the extension); the
pinned commit is copied out of it with `git archive` into the run's temporary extensions/ folder. The
packages the extension's install.py would pip-install into the WebUI's venv are instead installed once,
with the WebUI's own Python, into a cache folder outside the repository (`pip install --target`, no
dependencies resolved: every package is pinned here) and put on the server's PYTHONPATH. Packages the
WebUI's venv already has are left to it, so nothing on PYTHONPATH shadows them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .webui_server import WebUIConfig, checkpoint_cache


@dataclass(frozen=True)
class PinnedExtension:
    name: str
    """The folder under extensions/, as `git clone` of the upstream names it."""
    upstream: str
    variable: str
    """The environment variable that points at a clone or bare repository of `upstream`."""
    commit: str
    requirements: tuple[str, ...]
    """`package==version` for what its install.py installs, with that package's own dependencies."""

    @property
    def repository(self) -> Path | None:
        value = os.environ.get(self.variable)
        return Path(value).expanduser() if value else None

    def problem(self) -> str | None:
        """Why this extension cannot be installed for the run, or None."""
        repository = self.repository
        if repository is None:
            return f"set {self.variable} to a clone of {self.upstream} (commit {self.commit[:12]} is used)"
        found = subprocess.run(
            ["git", "-C", str(repository), "cat-file", "-e", f"{self.commit}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode != 0:
            return f"{self.variable}={repository} has no commit {self.commit[:12]} of {self.upstream}"
        return None

    def export(self, destination: Path) -> Path:
        """The pinned commit's files in `destination/<name>`, as a clone checked out there would have them."""
        archive = subprocess.run(
            ["git", "-C", str(self.repository), "archive", "--format=tar", self.commit],
            capture_output=True,
            check=True,
        ).stdout
        target = destination / self.name
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+: no links or paths out of `target`
                tar.extractall(target, filter="data")
            else:
                tar.extractall(target)  # the pinned commit of a repository the user named
        return target


# ArtVentureX/sd-webui-agent-scheduler: install.py installs sqlalchemy. SQLAlchemy 2.0's greenlet is
# only for its asyncio extension, which the scheduler does not use; typing-extensions is in every WebUI venv.
AGENT_SCHEDULER = PinnedExtension(
    name="sd-webui-agent-scheduler",
    upstream="ArtVentureX/sd-webui-agent-scheduler",
    variable="SD_WEBUI_AGENT_SCHEDULER_REPO",
    commit="a33753321b914c6122df96d1dc0b5117d38af680",
    requirements=("SQLAlchemy==2.0.58",),
)

# papuSpartan/stable-diffusion-webui-distributed: install.py installs rich (its logging), which needs
# markdown-it-py (and mdurl) and pygments; requests, urllib3 and pydantic come with every WebUI.
DISTRIBUTED = PinnedExtension(
    name="stable-diffusion-webui-distributed",
    upstream="papuSpartan/stable-diffusion-webui-distributed",
    variable="SD_WEBUI_DISTRIBUTED_REPO",
    commit="8fd65ebdc11d308035f151a90e1f167fd4d74b6d",
    requirements=("rich==13.9.4", "markdown-it-py==3.0.0", "mdurl==0.1.2", "Pygments==2.18.0"),
)

# Bing-su/adetailer v25.3.0: install.py installs ultralytics, mediapipe and rich. At module level it imports only
# rich (with markdown-it-py, mdurl, Pygments) beside what every WebUI has (cv2, pydantic, huggingface_hub,
# torchvision; scripts/!adetailer.py, adetailer/common.py); ultralytics is imported when a YOLO model runs
# (adetailer/ultralytics.py:ultralytics_predict) and mediapipe when a mediapipe model does
# (adetailer/mediapipe.py). Its face models ship inside the mediapipe 0.10.13-0.10.15 wheels, which want
# protobuf 4.25 and numpy<2: a venv's own protobuf and numpy are kept (face detection runs with protobuf 3.20
# too), and tests/integration/test_nested_jobs.py checks that it detects a face in this WebUI's Python before
# relying on it.
ADETAILER = PinnedExtension(
    name="adetailer",
    upstream="Bing-su/adetailer",
    variable="SD_WEBUI_ADETAILER_REPO",
    commit="36189cbea735b85fd01e98ac42002b8ce6f0e41d",
    requirements=(
        "rich==13.9.4",
        "markdown-it-py==3.0.0",
        "mdurl==0.1.2",
        "Pygments==2.18.0",
        "mediapipe==0.10.15",
        "protobuf==4.25.5",
    ),
)

# Coyote-A/ultimate-upscale-for-automatic1111: no install.py, nothing beyond the WebUI.
ULTIMATE_UPSCALE = PinnedExtension(
    name="ultimate-upscale-for-automatic1111",
    upstream="Coyote-A/ultimate-upscale-for-automatic1111",
    variable="SD_WEBUI_ULTIMATE_UPSCALE_REPO",
    commit="2322caa480535b1011a1f9c18126d85ea444f146",
    requirements=(),
)

# pkuliyi2015/multidiffusion-upscaler-for-automatic1111 (Tiled Diffusion): no install.py. Forge-family hosts never
# load a folder of this name (Forge dfdcbab6 modules_forge/config.py:always_disabled_extensions).
TILED_DIFFUSION = PinnedExtension(
    name="multidiffusion-upscaler-for-automatic1111",
    upstream="pkuliyi2015/multidiffusion-upscaler-for-automatic1111",
    variable="SD_WEBUI_TILED_DIFFUSION_REPO",
    commit="22798f6822bc9c8a905b51da8954ee313b973331",
    requirements=(),
)

# hako-mikan/sd-webui-regional-prompter: no install.py; imports imageio, cv2 and einops, which every WebUI has.
REGIONAL_PROMPTER = PinnedExtension(
    name="sd-webui-regional-prompter",
    upstream="hako-mikan/sd-webui-regional-prompter",
    variable="SD_WEBUI_REGIONAL_PROMPTER_REPO",
    commit="be623452203b396ed87b85583a3cfd56e8157214",
    requirements=(),
)

# dtlnor/stable-diffusion-webui-localization-zh_CN at its default branch (Anne): localizations/zh_CN.json only,
# no install.py and no Python; the pack the extension index lists as "zh_CN Localization".
LOCALIZATION_ZH_CN = PinnedExtension(
    name="stable-diffusion-webui-localization-zh_CN",
    upstream="dtlnor/stable-diffusion-webui-localization-zh_CN",
    variable="SD_WEBUI_ZH_CN_REPO",
    commit="6b6934002bdbb28d6d512f51b91e9fc424b51b2a",
    requirements=(),
)

_PROBE = """
import json, sys, sysconfig
from importlib import metadata
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
print(json.dumps({"tag": sys.implementation.cache_tag + "-" + sysconfig.get_platform(), "found": found}))
"""


def dependencies(extension: PinnedExtension, config: WebUIConfig) -> Path | None:
    """The folder to put on the WebUI's PYTHONPATH for `extension`, or None when its venv has everything.

    Installed with the WebUI's own Python (its version and platform pick the wheels) into
    `~/.cache/sd-webui-clip-skip/deps/<name>-<commit>/<python>/`, once: a later run finds the same list
    in the folder's marker and installs nothing.
    """
    names = [requirement.split("==")[0] for requirement in extension.requirements]
    probe = subprocess.run(
        [str(config.python), "-c", _PROBE, *names], capture_output=True, text=True, check=True
    ).stdout
    host = json.loads(probe)
    found = {name.lower() for name in host["found"]}
    missing = [req for req, name in zip(extension.requirements, names, strict=True) if name.lower() not in found]
    if not missing:
        return None
    target = checkpoint_cache() / "deps" / f"{extension.name}-{extension.commit[:12]}" / host["tag"]
    marker = target / ".installed"
    wanted = "\n".join(sorted(missing))
    if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return target
    shutil.rmtree(target, ignore_errors=True)
    pip = [str(config.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, "--target", str(target), *missing], check=True)
    marker.write_text(wanted, encoding="utf-8")
    return target
