"""What the extension costs in a real WebUI: generation time, time in its hooks, startup time.

Run by hand against your own WebUI (the same variables as the integration suite, see the README):

    SD_WEBUI_DIR=... SD_WEBUI_PYTHON=... SD_WEBUI_ARGS="..." python benchmarks/bench_clip_skip.py

Prints a table and writes benchmarks/results/<host>-<commit>.json.

1. Paired generations: the host's own `override_settings` at 2, the extension on at 2, the extension with a
   schedule of two values ([2:1:0.5]: each prompt encoded twice) and the extension off, interleaved round by round
   so drift in machine load hits all alike; a small image in few steps, so text encoding is a large share of each
   generation. Medians and ratios.
2. The seconds the extension's hooks take per generation, measured inside the WebUI process by a
   benchmark-only shim extension (benchmarks/hook_timer).
3. Startup: what the host's own startup profile records for the extension's script file and
   callbacks, plus its ui() calls, and the host's total startup time with and without the extension.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.bodies import TXT2IMG, generation
from tests.integration.webui_server import WebUIConfig, WebUIServer, random_checkpoint

HERE = Path(__file__).resolve().parent
SETTINGS = {"CLIP_stop_at_last_layers": 1}  # the host restores its own override only for saved keys
VARIANTS = {
    "host override_settings 2": generation(override_settings={"CLIP_stop_at_last_layers": 2}),
    "extension on at 2": generation([True, 2]),
    "extension schedule [2:1:0.5]": generation([True, 2, False, False, 1, "[2:1:0.5]"]),
    "extension off": generation([False, 2]),
}
SCRIPT_FILE = "clip_skip.py"


def timed_generation(server: WebUIServer, body: dict) -> float:
    began = time.perf_counter()
    response = server.post(TXT2IMG, body)
    elapsed = time.perf_counter() - began
    if response.status != 200:
        raise SystemExit(f"generation failed: {response.status} {response.body}")
    return elapsed


def paired_runs(server: WebUIServer, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds per generation and seconds in the extension's hooks, by variant."""
    for body in VARIANTS.values():  # warm-up: first-use costs are not per-generation costs
        timed_generation(server, body)
    server.request("DELETE", "/clip-skip-bench/times")
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    sequence = []
    names = list(VARIANTS)
    for round_index in range(rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            seconds[name].append(timed_generation(server, VARIANTS[name]))
            sequence.append(name)
    hooks: dict[str, list[float]] = {name: [] for name in VARIANTS}
    # One request at a time, so the shim's list is in request order.
    for name, spent in zip(sequence, server.get("/clip-skip-bench/times").body["generations"], strict=True):
        hooks[name].append(spent)
    return seconds, hooks


STARTUP_PHASES = ("load scripts", "create ui", "total")


def startup_profile(server: WebUIServer) -> dict[str, float]:
    """Seconds the host's own startup timer recorded for this extension's script and callbacks, and phases."""
    profile = server.get("/internal/profile-startup").body or {}
    records = profile.get("records", {})
    found = {key: value for key, value in records.items() if key.endswith("/" + SCRIPT_FILE)}
    found.update({phase: records.get(phase, float("nan")) for phase in STARTUP_PHASES[:-1]})
    found["total"] = profile.get("total", float("nan"))
    return found


def host_identity(config: WebUIConfig) -> dict[str, str]:
    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(config.directory), *args], capture_output=True, text=True)
        return result.stdout.strip() or "unknown"

    return {
        "directory": str(config.directory),
        "describe": git("describe", "--tags", "--always", "--dirty"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "remote": git("remote", "get-url", "origin"),
    }


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the paired variants")
    parser.add_argument("--startup-runs", type=int, default=2, help="starts with and without the extension")
    args = parser.parse_args()
    config = WebUIConfig.from_environment()
    if config is None or config.problem():
        raise SystemExit(config.problem() if config else "set SD_WEBUI_DIR and SD_WEBUI_PYTHON")
    checkpoint = random_checkpoint(config)

    timer = HERE / "hook_timer"
    server = WebUIServer(config, checkpoint, extra_extensions=(timer,), settings=SETTINGS).start()
    try:
        ui_seconds = server.get("/clip-skip-bench/times").body["ui"]
        startup = startup_profile(server)
        seconds, hooks = paired_runs(server, args.rounds)
    finally:
        server.stop()

    phases = {"with extension": [], "without extension": []}
    for _ in range(args.startup_runs):
        for label, with_extension in (("without extension", False), ("with extension", True)):
            probe = WebUIServer(config, checkpoint, with_extension=with_extension, settings=SETTINGS).start()
            try:
                phases[label].append(startup_profile(probe))
            finally:
                probe.stop()

    override = statistics.median(seconds["host override_settings 2"])
    results = {
        "host": host_identity(config),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "request": VARIANTS["extension on at 2"],
        "rounds": args.rounds,
        "generation_seconds": seconds,
        "median_ms": {name: median_ms(values) for name, values in seconds.items()},
        "ratio_on_to_host_override": statistics.median(seconds["extension on at 2"]) / override,
        "ratio_off_to_host_override": statistics.median(seconds["extension off"]) / override,
        "ratio_schedule_to_on": statistics.median(seconds["extension schedule [2:1:0.5]"])
        / statistics.median(seconds["extension on at 2"]),
        "hook_ms_per_generation": {
            name: {"median": median_ms(values), "max": max(values) * 1000} for name, values in hooks.items()
        },
        "startup_ms": {key: value * 1000 for key, value in startup.items() if key.endswith(SCRIPT_FILE)},
        "ui_ms": [value * 1000 for value in ui_seconds],
        "host_startup_phases_seconds": {
            label: {phase: statistics.median(run[phase] for run in runs) for phase in STARTUP_PHASES}
            for label, runs in phases.items()
        },
        "startup_runs": args.startup_runs,
    }
    output = HERE / "results" / f"{Path(config.directory).name}-{results['host']['commit']}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(results, indent=2))
    print(report(results))
    print(f"\nsaved {output}")


def report(results: dict) -> str:
    medians = results["median_ms"]
    phases = results["host_startup_phases_seconds"]
    rows = [
        f"host: {results['host']['describe']} ({results['host']['commit']}), {results['machine']}, {results['date']}",
        "",
        "| measure | value |",
        "| --- | --- |",
        *(f"| median generation, {name} | {value:.0f} ms |" for name, value in medians.items()),
        f"| extension on / host override (median ratio) | {results['ratio_on_to_host_override']:.3f} |",
        f"| extension off / host override (median ratio) | {results['ratio_off_to_host_override']:.3f} |",
        f"| schedule of two values / extension on at 2 (median ratio) | {results['ratio_schedule_to_on']:.3f} |",
        *(
            f"| extension hooks per generation, {name} (median / max) | {hooks['median']:.3f} / {hooks['max']:.3f} ms |"
            for name, hooks in results["hook_ms_per_generation"].items()
        ),
        *(f"| startup record: {key} | {value:.1f} ms |" for key, value in results["startup_ms"].items()),
        f"| startup: ui() calls | {', '.join(f'{value:.1f}' for value in results['ui_ms'])} ms |",
        *(
            f"| host startup, {phase} (median of {results['startup_runs']}): without / with extension "
            f"| {phases['without extension'][phase]:.2f} / {phases['with extension'][phase]:.2f} s |"
            for phase in STARTUP_PHASES
        ),
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
