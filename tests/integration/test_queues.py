"""The extension next to agent-scheduler and next to distributed (master + worker), on a real WebUI.

Opt-in like the rest of the suite (tests/integration/conftest.py); each extension's tests also need its
checkout, named by SD_WEBUI_AGENT_SCHEDULER_REPO or SD_WEBUI_DISTRIBUTED_REPO, and skip without it. Exactly
the pinned commit is copied into the run's temporary extensions/ folder, and its Python packages come from a
cache outside the WebUI's venv (tests/integration/pinned_extensions.py). One group's servers are stopped before
the next group's start.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .bodies import BASE, TXT2IMG, generation
from .pinned_extensions import AGENT_SCHEDULER, DISTRIBUTED, PinnedExtension, dependencies
from .test_browser import _missing as browser_missing
from .test_real_webui import generate, ok, recorded
from .webui_server import REPOSITORY, Response, WebUIConfig, WebUIServer, pixels, png_parameters

SCHEDULER = "/agent-scheduler/v1"
# agent-scheduler a3375332 agent_scheduler/db/task.py:TaskStatus; the API says "running" for the current one.
FINISHED = ("done", "failed", "interrupted")
TASK_TIMEOUT = 900.0
ENQUEUE = Path(__file__).parent / "browser" / "enqueue.mjs"
# The generation parameters of bodies.BASE as the WebUI pastes them, so that a UI-queued task is the API's request.
PASTED = (
    f"{BASE['prompt']}\nSteps: {BASE['steps']}, Sampler: {BASE['sampler_name']}, Schedule type: Automatic, "
    f"CFG scale: {BASE['cfg_scale']}, Seed: {BASE['seed']}, Size: {BASE['width']}x{BASE['height']}"
)
# The extension's own line when args reach its hooks without the API's check (webui/controller.py:before_process).
REFUSED_13 = (
    'Clip skip args refused, nothing was generated: args[1] (clip_skip, "Clip skip value") '
    "must be a number from 1 to 12 with at most one decimal, got 13"
)
SKIP_INSTALLERS = "--skip-prepare-environment"
"""Extension installers run in prepare_environment (A1111 82a973c0 launch.py:main, launch_utils.py:
run_extensions_installers) and would pip-install into the WebUI's venv: their packages come from the cache instead."""


def launch_args(config: WebUIConfig) -> tuple[str, ...]:
    return () if SKIP_INSTALLERS in config.extra_args else (SKIP_INSTALLERS,)


def pinned(extension: PinnedExtension, config: WebUIConfig, staging: Path) -> tuple[Path, tuple[Path, ...]]:
    """The extension's pinned files (to copy into extensions/) and the PYTHONPATH for its packages; skips
    the calling test with the reason when its checkout is not named or lacks the commit."""
    if reason := extension.problem():
        pytest.skip(reason)
    packages = dependencies(extension, config)
    return extension.export(staging), (packages,) if packages else ()


# --- agent-scheduler --------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def scheduler(request, webui_config, checkpoint, tmp_path_factory, untouched_checkout) -> WebUIServer:
    """The WebUI with this extension and agent-scheduler, whose task database lives in its extension folder
    (a3375332 agent_scheduler/db/base.py: db_file), in the temporary data directory."""
    extension, python_path = pinned(AGENT_SCHEDULER, webui_config, tmp_path_factory.mktemp("agent-scheduler"))
    server = WebUIServer(
        webui_config,
        checkpoint,
        extra_extensions=(extension,),
        python_path=python_path,
        args=launch_args(webui_config),
    )
    request.addfinalizer(server.stop)
    return server.start()


@pytest.fixture(scope="class")
def direct_at_3(scheduler) -> Response:
    """What the same server makes for the same request sent straight to /sdapi/v1/txt2img."""
    direct = ok(generate(scheduler, generation([True, 3])))
    assert recorded(direct.infotexts[0]) == 3
    return direct


def finished(server: WebUIServer, task_id: str) -> dict:
    """The task as agent-scheduler reports it once it has run (a3375332 agent_scheduler/api.py:get_task).

    A task queued while the runner is finishing its last one stays pending: the runner's thread sleeps a
    second after "Task queue is empty" before it ends, and meanwhile a new task is told "Runner already
    started" (task_runner.py:TaskRunner.execute_task, execute_pending_tasks_threading). Resuming the queue, as
    its page's Resume button does, starts the runner again when nothing is running.
    """
    deadline = time.monotonic() + TASK_TIMEOUT
    while time.monotonic() < deadline:
        answer = ok(server.get(f"{SCHEDULER}/task/{task_id}")).body
        assert answer["success"], answer
        if answer["data"]["status"] in FINISHED:
            return answer["data"]
        time.sleep(2)
        running = ok(server.get(f"{SCHEDULER}/queue")).body["current_task_id"]
        if answer["data"]["status"] == "pending" and running is None:
            ok(server.post(f"{SCHEDULER}/queue/resume", {}))
    raise AssertionError(f"task {task_id} did not finish within {TASK_TIMEOUT:.0f} s:\n{server.log_tail(40)}")


def results(server: WebUIServer, task_id: str) -> list[tuple[bytes, str]]:
    """Each saved image (PNG with its parameters) and its infotext (a3375332 api.py:get_task_results)."""
    answer = ok(server.get(f"{SCHEDULER}/task/{task_id}/results")).body
    assert answer["success"], answer
    return [(base64.b64decode(item["image"].split(",", 1)[-1]), item["infotext"]) for item in answer["data"]]


def assert_made_at_3(server: WebUIServer, task: dict, direct: Response) -> None:
    assert task["status"] == "done", task.get("result")
    made = results(server, task["id"])
    assert len(made) == 1, [text for _, text in made]
    image, infotext = made[0]
    assert recorded(infotext) == 3
    assert recorded(png_parameters(image)) == 3
    assert pixels(image) == pixels(direct.images[0])
    assert server.global_clip_skip() == server.initial_clip_skip, "the task changed the global Clip skip"


class TestAgentScheduler:
    """agent-scheduler ArtVentureX/sd-webui-agent-scheduler @ a3375332: tasks queued from the page run the
    host's txt2img with the page's args (task_runner.py:TaskRunner.__execute_ui_task), and add "Clip skip:
    <global>" to the Override settings (task_helpers.py:map_ui_task_args_list_to_named_args); tasks queued over
    its API run the host's API handler on an app of its own (TaskRunner.__execute_api_task), past the
    extension's API guard."""

    def test_a_task_enqueued_in_the_page_with_the_accordion_at_3_is_made_at_3(self, scheduler, direct_at_3):
        if reason := browser_missing():
            pytest.skip(f"browser test: {reason}")
        shots = Path(os.environ.get("SD_WEBUI_SCREENSHOTS") or tempfile.mkdtemp(prefix="clip-skip-shots-"))
        shots.mkdir(parents=True, exist_ok=True)
        command = ["node", str(ENQUEUE), scheduler.url, str(shots), PASTED, "3"]
        page = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)
        print(page.stdout)
        assert page.returncode == 0, f"{page.stderr}\n--- WebUI log ---\n{scheduler.log_tail(40)}"
        queued = re.search(r"^task: (\S+)$", page.stdout, re.MULTILINE)
        assert queued, page.stdout
        task = finished(scheduler, queued.group(1))
        # What agent-scheduler adds to a task from the page; it only repeats the global value, so the accordion wins.
        assert "Clip skip: 1" in task["params"]["override_settings_texts"]
        assert_made_at_3(scheduler, task, direct_at_3)

    def test_a_task_queued_over_its_api_at_3_is_made_at_3(self, scheduler, direct_at_3):
        queued = ok(scheduler.post(f"{SCHEDULER}/queue/txt2img", generation([True, 3])))
        assert_made_at_3(scheduler, finished(scheduler, queued.body["task_id"]), direct_at_3)

    def test_a_task_queued_at_13_makes_no_image_and_says_why(self, scheduler):
        """Its queue route is not the host's API, so the extension's 422 never sees the request: the task runs,
        and the extension stops the job before its first image (README, "Queues, copies and other extensions")."""
        log_start = scheduler.log_path.stat().st_size
        outputs = scheduler.data_dir / "outputs"
        saved_before = set(outputs.rglob("*.png")) if outputs.exists() else set()
        queued = ok(scheduler.post(f"{SCHEDULER}/queue/txt2img", generation([True, 13])))
        task = finished(scheduler, queued.body["task_id"])
        # agent-scheduler reports an interrupted job without images as done, with no image saved.
        assert task["status"] in FINISHED
        if task["status"] == "done":
            assert json.loads(task["result"])["images"] == []
            assert results(scheduler, task["id"]) == []
        saved_after = set(outputs.rglob("*.png")) if outputs.exists() else set()
        assert saved_after == saved_before, sorted(map(str, saved_after - saved_before))
        with open(scheduler.log_path, "rb") as log:
            log.seek(log_start)
            assert REFUSED_13 in log.read().decode(errors="replace"), scheduler.log_tail(40)
        assert scheduler.global_clip_skip() == scheduler.initial_clip_skip


# --- distributed ------------------------------------------------------------------------------------------

WORKER_LABEL = "worker"
SPEED = 10.0
"""The same images per minute for both: the master and the worker each take half of a batch of 2."""


def distributed_config(master_port: int, worker_port: int) -> dict:
    """distributed-config.json as distributed 8fd65ebd writes it (scripts/spartan/pmodels.py:ConfigModel).

    With a speed on record for both (avg_ipm > 0) it benchmarks neither at 512×512 before the first job
    (world.py:World.benchmark); with equal speeds, a batch of 2 is one image each (World.optimize_jobs), and
    without complementary production a batch of 1 stays on the master, which makes the references below.
    """

    def node(port: int, *, master: bool) -> dict:
        return {
            "avg_ipm": SPEED,
            "master": master,
            "address": "127.0.0.1",
            "port": port,
            "eta_percent_error": [],
            "tls": False,
            "state": 1,  # IDLE (worker.py:State)
            "user": None,
            "password": None,
            "pixel_cap": -1,
        }

    return {
        "workers": [{"master": node(master_port, master=True)}, {WORKER_LABEL: node(worker_port, master=False)}],
        "benchmark_payload": {
            "prompt": "A herd of cows grazing at the bottom of a sunny valley",
            "negative_prompt": "",
            "steps": 20,
            "width": 512,
            "height": 512,
            "batch_size": 1,
        },
        "job_timeout": 3,
        "enabled": True,
        "enabled_i2i": True,
        "complement_production": False,
        "step_scaling": False,
    }


@pytest.fixture(scope="class")
def worker(request, webui_config, checkpoint, untouched_checkout) -> WebUIServer:
    """A plain WebUI with --api and this extension: what distributed's master sends half of the batch to."""
    if reason := DISTRIBUTED.problem():
        pytest.skip(reason)
    server = WebUIServer(webui_config, checkpoint, args=launch_args(webui_config))
    request.addfinalizer(server.stop)
    return server.start()


@pytest.fixture(scope="class")
def master(request, webui_config, checkpoint, worker, tmp_path_factory) -> WebUIServer:
    """The WebUI with this extension and distributed, configured for `worker`; started after it, because
    distributed asks its workers' script-info when its script loads (distributed.py:DistributedScript)."""
    extension, python_path = pinned(DISTRIBUTED, webui_config, tmp_path_factory.mktemp("distributed"))
    server = WebUIServer(
        webui_config,
        checkpoint,
        extra_extensions=(extension,),
        python_path=python_path,
        # Without a grid: distributed puts each worker infotext at index batch + return_grid, but an API
        # response has no grid (do_not_save_grid), so with the default it writes past the end, its postprocess
        # fails with IndexError, and the worker's image keeps the master's infotext (8fd65ebd distributed.py:
        # inject_job, postprocess). Without it the returned infotext is the worker's own.
        settings={"return_grid": False},
        args=launch_args(webui_config),
    )
    # Read from the extension's folder (preload.py: --distributed-config's default), copied in at start.
    config = distributed_config(server.port, worker.port)
    (extension / "distributed-config.json").write_text(json.dumps(config, indent=3), encoding="utf-8")
    request.addfinalizer(server.stop)
    return server.start()


@pytest.fixture(scope="class")
def batch_of_2(master) -> Response:
    """distributed runs on every process_images, the API's too (its before_process); it splits batch_size."""
    return ok(master.post(TXT2IMG, generation([True, 3], batch_size=2)))


class TestDistributed:
    """distributed papuSpartan/stable-diffusion-webui-distributed @ 8fd65ebd: the master sends each worker a
    txt2img request made from a copy of the job, with every always-on script's args (distributed.py:
    DistributedScript.before_process), and the worker's seeds follow the master's."""

    def test_a_batch_of_2_at_3_comes_back_with_both_images_at_3(self, batch_of_2):
        assert len(batch_of_2.images) == 2
        assert [recorded(text) for text in batch_of_2.infotexts] == [3, 3]
        assert [recorded(png_parameters(image)) for image in batch_of_2.images] == [3, 3]
        # The second infotext is the worker's own, labelled by distributed: the worker made that image at 3.
        assert f"Worker Label: {WORKER_LABEL}" in batch_of_2.infotexts[1]
        assert "Worker Label" not in batch_of_2.infotexts[0]

    def test_the_workers_image_is_the_masters_at_3(self, batch_of_2, master, worker):
        for index, image in enumerate(batch_of_2.images):
            # distributed gives the worker the seeds after the master's (before_process: prior_images).
            reference = ok(master.post(TXT2IMG, generation([True, 3], seed=BASE["seed"] + index)))
            assert "Worker Label" not in reference.infotexts[0]  # a batch of 1 is the master's own
            assert pixels(image) == pixels(reference.images[0]), f"image {index + 1}"
        # The value made the difference: the worker's seed without the accordion is another image.
        off = ok(worker.post(TXT2IMG, generation([False, 3], seed=BASE["seed"] + 1)))
        assert pixels(off.images[0]) != pixels(batch_of_2.images[1])

    def test_the_global_setting_is_unchanged_on_master_and_worker(self, batch_of_2, master, worker):
        """The worker gets the value twice: as the accordion's args and as the override the master's extension
        put on the job before distributed copied it. A worker without the extension still makes its image at
        3, but keeps that override as its global value on a fresh config (A1111 82a973c0 processing.py:
        process_images restores only keys already in config.json): this is the check that tells."""
        assert master.global_clip_skip() == master.initial_clip_skip
        assert worker.global_clip_skip() == worker.initial_clip_skip
