"""Start a user's WebUI checkout for one test run without changing it, and talk to its API.

The WebUI runs with a temporary `--data-dir`, which also holds its `extensions/`, `config.json`,
outputs and caches (A1111 1.10 @ 82a973c0 modules/paths_internal.py:data_path and the paths built on it),
so the checkout and the user's own data stay as they were. The server binds 127.0.0.1 on a free port and is stopped by
its process group.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
EXTENSION_NAME = "sd-webui-clip-skip"
CHECKPOINT_SEED = 1234


class WebUIError(RuntimeError):
    pass


class WebUIAskedForInput(WebUIError):
    """The launcher stopped at a prompt: the suite gives it no input, so it exited instead of waiting."""

    def __init__(self, prompt: str, returncode: int | None, log_tail: str) -> None:
        super().__init__(
            f"the WebUI's launcher asked for input before it started ({prompt!r}) and exited with {returncode}, as "
            f"the suite closes its stdin:\n{log_tail}"
        )
        self.prompt = prompt


@dataclass(frozen=True)
class WebUIConfig:
    """Where the user's WebUI is, from SD_WEBUI_DIR, SD_WEBUI_PYTHON and SD_WEBUI_ARGS."""

    directory: Path
    python: Path
    extra_args: tuple[str, ...] = ()
    timeout: float = 900.0

    @classmethod
    def from_environment(cls) -> WebUIConfig | None:
        directory = os.environ.get("SD_WEBUI_DIR")
        if not directory:
            return None
        python = os.environ.get("SD_WEBUI_PYTHON") or str(Path(directory) / "venv" / "bin" / "python")
        return cls(
            directory=Path(directory).resolve(),
            python=Path(python),
            extra_args=tuple(shlex.split(os.environ.get("SD_WEBUI_ARGS", ""))),
            timeout=float(os.environ.get("SD_WEBUI_TIMEOUT", "900")),
        )

    def problem(self) -> str | None:
        if not (self.directory / "launch.py").is_file():
            return f"SD_WEBUI_DIR={self.directory} has no launch.py"
        if not os.access(self.python, os.X_OK):
            return f"SD_WEBUI_PYTHON={self.python} is not an executable"
        return None


def checkpoint_cache() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / EXTENSION_NAME


CHECKPOINT_TOOLS = {
    # family: the tool in tools/ that writes it, and its options
    "sd15": ("make_random_sd15.py", ()),
    "sd2": ("make_random_sd2.py", ("--prediction", "epsilon")),
    "sd2-v": ("make_random_sd2.py", ("--prediction", "v")),
    "sdxl": ("make_random_sdxl.py", ()),
}
"""SD1.5 (2.1 GB), SD2 512 epsilon and SD2 768 v-prediction (2.6 GB each), SDXL base (6.9 GB); all fp16."""
OFFLINE_SDXL_SETTINGS = {"live_previews_enable": False, "show_progress_type": "Approx cheap"}
"""WebUIServer settings for SDXL offline: with the default *Approx NN* preview, a generation first downloads
VAE-approx/vaeapprox-sdxl.pt (modules/sd_vae_approx.py:model) and fails without a network; the SD1 approximation
ships in the checkout. A1111 82a973c0 loads it only with live previews on, ersatzForge fca12a2 whenever the
preview period is not 0 (processing.py:process_images_inner), so the preview method is changed as well."""


def random_checkpoint(config: WebUIConfig, clip_skip: int | None = None, family: str = "sd15") -> Path:
    """A random-weight checkpoint of `family` (see CHECKPOINT_TOOLS), made once with the WebUI's own torch
    and cached outside the repo. Writing one takes about a minute and about 1 GB of memory.

    With `clip_skip`, the same weights with `ss_clip_skip` in the metadata, as kohya sd-scripts writes it.
    A1111 1.10 on a CPU with --no-half cannot load an SD2 file as its first model (make_random_sd2.py says
    why): start the server on the SD1.5 file and switch `sd_model_checkpoint` to it, as --ckpt-dir lists it.
    """
    tool, options = CHECKPOINT_TOOLS[family]
    suffix = f"-ss-clip-skip-{clip_skip}" if clip_skip else ""
    path = checkpoint_cache() / f"random-{family}-seed{CHECKPOINT_SEED}{suffix}.safetensors"
    if not path.exists():
        command = [str(config.python), str(REPOSITORY / "tools" / tool), str(path), "--seed", str(CHECKPOINT_SEED)]
        command += options
        if clip_skip:
            command += ["--metadata", f"ss_clip_skip={clip_skip}"]
        subprocess.run(command, check=True)
    return path


@dataclass(frozen=True)
class LaunchFlags:
    """The checkpoint flags the WebUI's own argument parser takes."""

    checkpoint_file: str | None
    """`--ckpt FILE` (A1111, Forge, reForge, Classic); None where there is none (ersatzForge fca12a2, Forge Neo
    3df257ae): argparse would take `--ckpt` for the folder flag, so the checkpoint is named in config.json."""
    checkpoint_folder: str
    """`--ckpt-dir` (A1111 and most forks) or Forge Neo's `--ckpt-dirs` (3df257ae modules/cmd_args.py)."""


OPTION = re.compile(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", re.IGNORECASE)
FALLBACK_FLAGS = LaunchFlags("--ckpt", "--ckpt-dir")
"""What the suite passed before it asked the host: every host it was run on took these."""


def parse_launch_flags(help_text: str) -> LaunchFlags | None:
    """The flags from `launch.py --help`, or None when the text lists no checkpoint folder flag."""
    options = set(OPTION.findall(help_text))
    folder = next((flag for flag in ("--ckpt-dir", "--ckpt-dirs") if flag in options), None)
    if folder is None:
        return None
    return LaunchFlags("--ckpt" if "--ckpt" in options else None, folder)


PARSER_OPTIONS = "from modules import cmd_args; print(*cmd_args.parser._option_string_actions)"
"""Every option string of the host's own parser (modules/cmd_args.py on every host). ersatzForge fca12a2's
`launch.py --help` answers with its backend's parser only (backend/args.py, which cmd_args extends), so the help
text alone misses its --ckpt-dir."""


@functools.cache
def launch_flags(config: WebUIConfig) -> LaunchFlags:
    """Asked of the host's own argument parser, else of `launch.py --help` (answered by its argparse before it does
    anything else)."""
    answers: list[object] = []
    for command in (["-c", PARSER_OPTIONS], ["launch.py", "--help"]):
        try:
            result = subprocess.run(
                [str(config.python), *command],
                cwd=config.directory,
                env=_launch_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            answers.append(error)
            continue
        if (found := parse_launch_flags(result.stdout)) is not None:
            return found
        answers.append(result)
    print(f"the WebUI's parser named no checkpoint folder flag ({answers!r:.300}); using {FALLBACK_FLAGS}")
    return FALLBACK_FLAGS


def _launch_environment() -> dict[str, str]:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    environment.pop("COMMANDLINE_ARGS", None)  # launch.py would append the user's usual flags
    return environment


def asked_for_input(log: str) -> str | None:
    """The prompt when the log ends in the EOFError of Python's input() (the suite closes the WebUI's stdin, so a
    prompt ends the start at once instead of waiting), else None. input() writes its prompt without a newline,
    so the traceback may follow it on the same line."""
    tail = [line for line in log.splitlines() if line.strip()][-3:]
    if not any(line.startswith("EOFError") for line in tail):
        return None
    before, _, _ = log.rpartition("Traceback (most recent call last):")
    prompts = [line.strip() for line in before.splitlines() if line.strip()]
    return prompts[-1] if prompts else "(no prompt text)"


def checkout_status(directory: Path) -> str | None:
    """`git status` of the WebUI checkout, or None when it is not a git checkout."""
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _install_extension(extensions: Path) -> None:
    """A copy, as `git clone` would leave it: gradio 4 (Forge) refuses to serve an extension's
    javascript/ and style.css through a symlink that resolves outside the WebUI's allowed paths."""
    ignore = shutil.ignore_patterns(".git", ".venv", ".venv-gradio4", "node_modules", "__pycache__", "results")
    shutil.copytree(REPOSITORY, extensions / EXTENSION_NAME, ignore=ignore)


@dataclass
class Response:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)

    @property
    def images(self) -> list[bytes]:
        return [base64.b64decode(image.split(",", 1)[-1]) for image in self.body.get("images") or []]

    @property
    def infotexts(self) -> list[str]:
        return json.loads(self.body["info"])["infotexts"]


@dataclass
class WebUIServer:
    config: WebUIConfig
    checkpoint: Path
    with_extension: bool = True
    extra_extensions: tuple[Path, ...] = ()
    settings: dict | None = None
    """Written into config.json, beside the checkpoint's name, before the first start; None: nothing else in it."""
    args: tuple[str, ...] = ()
    """More launch flags for this server, after the configured ones (e.g. --api-auth)."""
    python_path: tuple[Path, ...] = ()
    """Folders put in front of the server's PYTHONPATH: other extensions' packages, kept out of the WebUI's venv."""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    data_dir: Path | None = None
    started_in: float | None = None
    initial_clip_skip: object = None
    """The global Clip skip at the first start: the host's default unless `settings` name one (Forge Neo's is 2)."""
    log_start: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "webui.log"

    def start(self) -> WebUIServer:
        first = self.data_dir is None
        if first:
            self._make_data_dir()
        began = time.monotonic()
        try:
            try:
                self._launch()
                self._wait_until_ready()
            except WebUIAskedForInput as refusal:
                if not first:
                    raise
                # Forge Neo 3df257ae (modules/launch_utils.py:verify_version) asks before it starts when a
                # config.json it did not write lacks its "VERSION_UID", and writes that key itself on a fresh data
                # directory: let the launcher write its own config.json, then add the run's settings to it.
                self._adopt_launchers_config(refusal)
                self._launch()
                self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        if first:
            self.initial_clip_skip = self.global_clip_skip()
        return self

    def _make_data_dir(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="clip-skip-webui-"))
        extensions = self.data_dir / "extensions"
        if self.with_extension:
            _install_extension(extensions)
        for extra in self.extra_extensions:
            shutil.copytree(extra, extensions / extra.name)
        self._config_path.write_text(json.dumps(self._first_settings()), encoding="utf-8")

    def _first_settings(self) -> dict:
        """The checkpoint is named in config.json too: ersatzForge and Forge Neo have no --ckpt and would load
        the first file of the folder. No Clip skip key: a fresh install."""
        return {"sd_model_checkpoint": self.checkpoint.name, **(self.settings or {})}

    @property
    def _config_path(self) -> Path:
        return self.data_dir / "config.json"

    def _adopt_launchers_config(self, refusal: WebUIAskedForInput) -> None:
        """Start the launcher on a data directory without config.json, stop it once it has written one, and add
        the run's settings to what it wrote. If it writes none, the refusal stands."""
        self._config_path.unlink()
        self._launch()
        deadline = time.monotonic() + min(self.config.timeout, 120.0)
        written = None
        while written is None and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            written = _read_settings(self._config_path)
        self._stop_process()
        written = written or _read_settings(self._config_path)
        if written is None:
            raise WebUIError(f"{refusal}\n(started without a config.json, the launcher wrote none either)")
        self._config_path.write_text(json.dumps({**written, **self._first_settings()}), encoding="utf-8")
        print(f"the WebUI's launcher refused a config.json it had not written ({refusal.prompt!r}); started on its own")

    def _launch(self) -> None:
        flags = launch_flags(self.config)
        checkpoint = (flags.checkpoint_file, str(self.checkpoint)) if flags.checkpoint_file else ()
        command = [
            str(self.config.python),
            "launch.py",
            "--api",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *checkpoint,
            flags.checkpoint_folder,  # also lists the cached checkpoints beside it, such as the one with metadata
            str(self.checkpoint.parent),
            # Forge's gradio 4 serves files only from allowed paths, by default just the data
            # directory (Forge dfdcbab6 modules/cmd_args.py:parser, --gradio-allowed-path's default): without this
            # its own script.js answers 403.
            "--gradio-allowed-path",
            str(self.config.directory),
            *self.config.extra_args,
            *self.args,
        ]
        environment = _launch_environment()
        if self.python_path:
            inherited = [environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else []
            environment["PYTHONPATH"] = os.pathsep.join([*map(str, self.python_path), *inherited])
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.config.directory,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,  # a prompt gets EOF at once (asked_for_input) instead of waiting
                start_new_session=True,  # its own process group, so stop() reaches every child
            )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.config.timeout
        log_start = self.log_start
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self._log_since(log_start)
                if (prompt := asked_for_input(log)) is not None:
                    raise WebUIAskedForInput(prompt, self.process.returncode, self.log_tail())
                raise WebUIError(f"the WebUI exited with {self.process.returncode}:\n{self.log_tail()}")
            # No request before the host prints its startup time: one that arrives while it is
            # still adding middleware makes Starlette raise and the WebUI exit (A1111 82a973c0
            # webui.py:webui, initialize_util.py:setup_middleware). Forge also answers the API before its UI exists.
            if self._started(log_start) and self._answers("/") and self._api_answers():
                return
            time.sleep(1)
        raise WebUIError(f"the WebUI was not ready after {self.config.timeout:.0f} s:\n{self.log_tail()}")

    def _started(self, log_start: int) -> bool:
        return "Startup time:" in self._log_since(log_start)

    def _log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _api_answers(self) -> bool:
        """The model list, or where a host's own list route fails (ersatzForge fca12a2 api/api.py:
        Api.get_sd_models answers 500), its options: either shows the API is up."""
        return self._answers("/sdapi/v1/sd-models") or self._answers("/sdapi/v1/options")

    def _answers(self, path: str) -> bool:
        """200, or the 401 of an API behind --api-auth: either way the route is up."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status == 200
        except urllib.error.HTTPError as error:
            return error.code == 401
        except (OSError, urllib.error.URLError):
            return False

    def log_tail(self, lines: int = 120) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def restart(self) -> WebUIServer:
        """A new WebUI process on the same data directory, as after the user restarts it."""
        self._stop_process()
        return self.start()

    def stop(self) -> None:
        self._stop_process()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def _stop_process(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
            except ProcessLookupError:
                pass

    def request(
        self, method: str, path: str, body: dict | None = None, timeout: float = 600, headers: dict | None = None
    ) -> Response:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, json.loads(response.read() or b"null"), _lower_keys(response.headers))
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"raw": raw.decode(errors="replace")}
            return Response(error.code, payload, _lower_keys(error.headers))

    def saved_settings(self) -> dict:
        """config.json in the data directory, as the next start reads it."""
        return json.loads((self.data_dir / "config.json").read_text(encoding="utf-8"))

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body: dict) -> Response:
        return self.request("POST", path, body)

    def global_clip_skip(self) -> object:
        return self.get("/sdapi/v1/options").body.get("CLIP_stop_at_last_layers")


def _read_settings(path: Path) -> dict | None:
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not yet written, or half written
        return None
    return settings if isinstance(settings, dict) else None


def _lower_keys(headers: object) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in getattr(headers, "items", dict)()}


def pixels(png: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").tobytes()


def png_parameters(png: bytes) -> str | None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.info.get("parameters")


def main() -> None:
    """Start the configured WebUI with the extension and keep it up until Ctrl-C (for trying things by hand)."""
    config = WebUIConfig.from_environment()
    if config is None or config.problem():
        sys.exit(config.problem() if config else "set SD_WEBUI_DIR (and SD_WEBUI_PYTHON)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill PID` also stops the WebUI
    server = WebUIServer(config, random_checkpoint(config)).start()
    print(f"{server.url} (pid {server.process.pid}, log {server.log_path}); Ctrl-C stops it")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
