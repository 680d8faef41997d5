"""`modules/prompt_parser.py` (A1111 v1.10.1 @ 82a973c0; the same functions and signatures in Forge, reForge, Classic
and ersatzForge), reduced: the fake's prompts have no prompt editing, so each prompt's schedule is one entry that
lasts to the pass's last step."""

from __future__ import annotations

import types
from collections import namedtuple

ScheduledPromptConditioning = namedtuple("ScheduledPromptConditioning", ["end_at_step", "cond"])


class Layers:
    """A fake conditioning: the text encoder's hidden layers it was made from, with their weights, so that a blend
    (1 − f)·a + f·b is checked as exactly as a tensor's. Equal to the text "layer 11" when it is that layer alone."""

    def __init__(self, weights):
        self.weights = {layer: weight for layer, weight in weights.items() if abs(weight) > 1e-12}

    def __mul__(self, factor):
        return Layers({layer: weight * factor for layer, weight in self.weights.items()})

    __rmul__ = __mul__

    def __add__(self, other):
        total = dict(self.weights)
        for layer, weight in other.weights.items():
            total[layer] = total.get(layer, 0) + weight
        return Layers(total)

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        if not isinstance(other, Layers):
            return NotImplemented
        keys = set(self.weights) | set(other.weights)
        return all(abs(self.weights.get(k, 0) - other.weights.get(k, 0)) < 1e-9 for k in keys)

    def __hash__(self):
        return hash(str(self))

    def __str__(self):
        if len(self.weights) == 1 and abs(next(iter(self.weights.values())) - 1) < 1e-9:
            return f"layer {next(iter(self.weights))}"
        return " + ".join(f"{weight:g}·layer {layer}" for layer, weight in sorted(self.weights.items()))

    __repr__ = __str__


def make_module():
    module = types.ModuleType("modules.prompt_parser")

    def get_learned_conditioning(model, prompts, steps, hires_steps=None, use_old_scheduling=False):
        """prompt_parser.py:get_learned_conditioning: the model's get_learned_conditioning, one call for all the
        prompts of a pass; a pass's last step is its hires steps in the hires pass
        (get_learned_conditioning_prompt_schedules)."""
        last_step = steps if hires_steps is None or use_old_scheduling else hires_steps
        cond = model.get_learned_conditioning(prompts)
        return [[ScheduledPromptConditioning(last_step, cond)] for _ in prompts]

    module.get_learned_conditioning = get_learned_conditioning
    module.ScheduledPromptConditioning = ScheduledPromptConditioning
    return module


def cond_at_step(schedule, step):
    """prompt_parser.py:reconstruct_cond_batch for one prompt: the first entry whose end the step has not passed."""
    return next((entry.cond for entry in schedule if step <= entry.end_at_step), schedule[-1].cond)


def sampled(conds, steps):
    """What the sampler used for the first prompt at each of its steps (0-based, as sd_samplers_cfg_denoiser.py:
    CFGDenoiser counts): one conditioning when it never changed."""
    per_step = tuple(cond_at_step(conds[0], step) for step in range(steps))
    return per_step[0] if len(set(map(str, per_step))) == 1 else per_step
