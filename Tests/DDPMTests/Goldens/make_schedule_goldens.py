"""Writes schedules.json: noise schedules as diffusers' DDPMScheduler computes
them (diffusers 0.35.2, torch 2.13.0+cpu, float32), the reference that
NoiseScheduleTests pins NoiseSchedule to.

    .venv-bench/bin/pip install diffusers==0.35.2   # beside torch (scripts/bench.sh)
    .venv-bench/bin/python Tests/DDPMTests/Goldens/make_schedule_goldens.py
"""

import json
import pathlib

import diffusers
import torch
from diffusers import DDPMScheduler

goldens = {"source": f"diffusers {diffusers.__version__} DDPMScheduler, torch {torch.__version__}", "schedules": []}
for schedule in ["linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"]:
    for steps in [1000, 100]:
        # The seed's sigmoid uses 1e-5 .. 0.5e-2; the others DDPM's 1e-4 .. 0.02.
        start, end = (1e-5, 0.5e-2) if schedule == "sigmoid" else (1e-4, 0.02)
        scheduler = DDPMScheduler(num_train_timesteps=steps, beta_schedule=schedule, beta_start=start, beta_end=end)
        variances = [float(scheduler._get_variance(t)) for t in range(steps)]
        goldens["schedules"].append({
            "beta_schedule": schedule, "steps": steps, "beta_start": start, "beta_end": end,
            "betas": [float(f"{b:.9g}") for b in scheduler.betas.tolist()],
            "alphas_cumprod": [float(f"{a:.9g}") for a in scheduler.alphas_cumprod.tolist()],
            # fixed_small: β̃_t, clamped at 1e-20 (so step 0 reads 1e-20, not 0).
            "variance": [float(f"{v:.9g}") for v in variances],
        })
path = pathlib.Path(__file__).with_name("schedules.json")
path.write_text(json.dumps(goldens, separators=(",", ":")) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
