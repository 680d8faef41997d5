"""A job's life in the host, and the runs in it: one value from the job's first hook until its real end, however often
other extensions call its hooks again.

The host runs a job through `process_images(p)` (A1111 82a973c0 processing.py; Forge dfdcbab6 alike):
`before_process(p)`, the job's overrides applied, `process(p)` (process_images_inner), the images, each with
`postprocess_image(p, …)`, then `postprocess(p)` and the overrides restored; the job is closed when all is done
(`with closing(p)` in txt2img.py, img2img.py and api/api.py). One such pass is a *run*. A job has one run, or one
per X/Y/Z cell (each on a copy of the job, xyz_grid.py:Script.run.cell), or one per tile when a script runs
`process_images(p)` on the same job again (Ultimate SD upscale 2322caa
scripts/ultimate-upscale.py:USDURedraw.linear_process).

The host calls every hook of a run with the object `process_images` was given, the run's *owner*. Other extensions
call the running job's hooks again on copies of it: ADetailer calls `postprocess(copy(p))` before its passes and
`before_process(copy(p))`, `process(copy(p))` after them (36189cb scripts/!adetailer.py:postprocess_image), so that
scripts can undo and redo their changes around its nested job. A copy made during a run carries the run's mark, and
hooks called on it change nothing: the run ends at the host's own `postprocess` of its owner, or when the job is
closed. A job created inside a run (ADetailer's inpainting pass) runs within it: `innermost_run` is what it sees
unless it carries a Clip skip of its own.

Only plain-text marks are put on the job (JOB_ATTRIBUTE, RUN_ATTRIBUTE), so code that copies, pickles or
JSON-encodes the job (the distributed extension's worker requests, 8fd65ebd scripts/distributed.py:
`copy.copy(p.__dict__)` then `json.dumps`) carries nothing else.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING

from ..host import Settings
from ..rules.values import SETTING_KEY
from .guard import Hold, SettingSnapshot, end_hold, start_hold

if TYPE_CHECKING:
    from .conditioning import ConditioningPlan

JOB_ATTRIBUTE = "clip_skip_job"
RUN_ATTRIBUTE = "clip_skip_run"


class Run:
    """One run's bookkeeping: what was decided, and what is to be put back when it ends."""

    def __init__(self, mark: str, owner: object) -> None:
        self.mark = mark
        self.owner = owner
        """The object the host runs `process_images` on; held only while the run lasts."""
        self.thread = threading.get_ident()
        self.decision: object = None
        """What the controller decided for the run."""
        self.plan: ConditioningPlan | None = None
        """The blend or schedule its prompts are encoded at; None: the host's whole value."""
        self.processed = False
        """Whether its `process` hook ran (it records the infotext once)."""
        self.said: set[str] = set()
        """What was said under its images already."""
        self._hold: Hold | None = None
        self._written: tuple[dict[str, object], object, SettingSnapshot] | None = None

    def arm(self, settings: Settings) -> None:
        """Remember the global value before the host applies this run's override."""
        if self._hold is None:
            self._hold = start_hold(settings)

    def write_override(self, overrides: dict[str, object], value: object) -> None:
        self._written = (overrides, value, SettingSnapshot.take(overrides))
        overrides[SETTING_KEY] = value

    def release(self) -> None:
        """Restore the global value and the job's override entry as they were; safe to call twice."""
        if self._written is not None:
            overrides, value, before = self._written
            # X/Y/Z cells share one override dict: leave it as the next cell expects it.
            if overrides.get(SETTING_KEY) == value:
                before.put_back(overrides)
            self._written = None
        if self._hold is not None:
            end_hold(self._hold)
            self._hold = None
        self.decision = None
        self.owner = None


_runs: dict[str, Run] = {}
"""The running run of each job, by the job's mark."""
_running: list[Run] = []
"""Every running run, oldest first, for `innermost_run`."""
_lock = threading.Lock()
_numbers = itertools.count(1)


def _mark(p: object, attribute: str) -> str | None:
    mark = getattr(p, attribute, None)
    return mark if isinstance(mark, str) else None


def join_job(p: object) -> str:
    """The job's mark, put on it at its first hook (`setup`), so every copy of it belongs to the same job."""
    with _lock:
        mark = _mark(p, JOB_ATTRIBUTE)
        if mark is None:
            mark = f"job-{next(_numbers)}"
            setattr(p, JOB_ATTRIBUTE, mark)
        return mark


def begin_run(p: object) -> Run | None:
    """`before_process(p)`: a new run of p's job, owned by p; None when p belongs to the job's running run (a copy
    made during it, or its owner called again), which the call leaves as it is. A run that never reached its end
    (an X/Y/Z cell that raised) is ended first."""
    job = join_job(p)
    with _lock:
        running = _runs.get(job)
        if running is not None and _mark(p, RUN_ATTRIBUTE) == running.mark:
            return None
    if running is not None:
        _end(job, running)
    run = Run(f"run-{next(_numbers)}", p)
    setattr(p, RUN_ATTRIBUTE, run.mark)
    with _lock:
        _runs[job] = run
        _running.append(run)
    return run


def run_of(p: object) -> Run | None:
    """The running run p belongs to: p is its owner, or a copy of the job made during it."""
    job = _mark(p, JOB_ATTRIBUTE)
    with _lock:
        run = _runs.get(job) if job is not None else None
    return run if run is not None and _mark(p, RUN_ATTRIBUTE) == run.mark else None


def own_run(p: object) -> Run | None:
    """The running run whose owner p is: the object the host itself calls the run's hooks with."""
    run = run_of(p)
    return run if run is not None and run.owner is p else None


def end_run(p: object) -> bool:
    """`postprocess(p)`: the run ends when p is its owner; the same hook on a copy changes nothing."""
    run = own_run(p)
    if run is None:
        return False
    _end(_mark(p, JOB_ATTRIBUTE), run)
    return True


def close_job(p: object) -> Run | None:
    """The host closes p: the job's running run ends, unless p is a copy made during it. Returns the ended run."""
    job = _mark(p, JOB_ATTRIBUTE)
    with _lock:
        run = _runs.get(job) if job is not None else None
    if run is None or (_mark(p, RUN_ATTRIBUTE) == run.mark and run.owner is not p):
        return None
    _end(job, run)
    return run


def innermost_run() -> Run | None:
    """The newest run going on in this thread: the one a job created inside it runs within."""
    thread = threading.get_ident()
    with _lock:
        return next((run for run in reversed(_running) if run.thread == thread), None)


def _end(job: str | None, run: Run) -> None:
    with _lock:
        if job is not None and _runs.get(job) is run:
            del _runs[job]
        if run in _running:
            _running.remove(run)
    run.release()
