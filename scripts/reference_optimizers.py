#!/usr/bin/env python3
"""Reference optimizer and learning-rate-schedule trajectories in numpy, and the golden fixture
the Swift optimizers are tested on.

Usage (from anywhere; needs python3 and numpy only, PyTorch is not required):
    python3 scripts/reference_optimizers.py [OUT_FILE]

OUT_FILE defaults to Tests/NetworksTests/Fixtures/optimizers.json. Parameters and the gradient
of every step are seeded float32 draws (gradients are given, not computed, so each case checks
the update rule alone); the references compute in float64 from them, written from the
algorithms PyTorch documents for torch.optim (not from the Swift code):
- SGD: g = grad + wd*p; buf = g on the first step, else buf = momentum*buf + (1-dampening)*g;
  g = g + momentum*buf (nesterov) or g = buf; p -= lr*g.
- Adam: t += 1; g = grad + wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
  p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
  AdamW: p *= 1 - lr*wd before the moments, and no wd in g.
- RMSprop: g = grad + wd*p; s = alpha*s + (1-alpha)*g^2; centered: a = alpha*a + (1-alpha)*g,
  avg = sqrt(s - a^2) + eps, else avg = sqrt(s) + eps; momentum > 0: buf = momentum*buf + g/avg,
  p -= lr*buf (buf starts at zero), else p -= lr*g/avg.
- Schedules, stepped once per epoch with the recursive (chainable) rules of PyTorch's
  schedulers' get_lr, so the Swift closed forms are checked against them: StepLR, CosineAnnealingLR,
  and LinearLR warmup followed by either through SequentialLR(milestones=[W]).
Each case records the learning rate of every step, the parameters after every step and the
final optimizer state under PyTorch's slot names ("<param>.exp_avg", "<param>.step", ...).
Running it again writes the same bytes.
"""
import json
import math
import os
import sys

import numpy as np

rng = np.random.default_rng(20240611)
STEPS = 5
SHAPES = {"layer.weight": (2, 3), "layer.bias": (3,)}


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def draw_params():
    # Magnitudes in [0.5, 1.5] with random signs: no parameter sits near zero, where a relative
    # tolerance would measure float32 rounding of a tiny number rather than the update rule.
    out = {}
    for name, shape in SHAPES.items():
        magnitude = rng.uniform(0.5, 1.5, size=shape)
        sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
        out[name] = (magnitude * sign).astype(np.float32)
    return out


def draw_grads():
    return [{name: rng.standard_normal(shape).astype(np.float32) for name, shape in SHAPES.items()}
            for _ in range(STEPS)]


# ---- optimizers (float64) ---------------------------------------------------------------------

def sgd(p, g, state, name, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    d = g + weight_decay * p
    if momentum != 0:
        key = name + ".momentum_buffer"
        if key not in state:
            state[key] = d.copy()
        else:
            state[key] = momentum * state[key] + (1 - dampening) * d
        d = d + momentum * state[key] if nesterov else state[key]
    return p - lr * d


def adam(p, g, state, name, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    b1, b2 = betas
    t = state.get(name + ".step", 0.0) + 1
    state[name + ".step"] = t
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = b1 * state.get(name + ".exp_avg", np.zeros_like(p)) + (1 - b1) * g
    v = b2 * state.get(name + ".exp_avg_sq", np.zeros_like(p)) + (1 - b2) * g * g
    state[name + ".exp_avg"], state[name + ".exp_avg_sq"] = m, v
    denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps
    return p - lr / (1 - b1 ** t) * m / denom


def rmsprop(p, g, state, name, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    g = g + weight_decay * p
    s = alpha * state.get(name + ".square_avg", np.zeros_like(p)) + (1 - alpha) * g * g
    state[name + ".square_avg"] = s
    if centered:
        a = alpha * state.get(name + ".grad_avg", np.zeros_like(p)) + (1 - alpha) * g
        state[name + ".grad_avg"] = a
        avg = np.sqrt(s - a * a) + eps
    else:
        avg = np.sqrt(s) + eps
    if momentum > 0:
        buf = momentum * state.get(name + ".momentum_buffer", np.zeros_like(p)) + g / avg
        state[name + ".momentum_buffer"] = buf
        return p - lr * buf
    return p - lr * g / avg


RULES = {"sgd": sgd, "adam": adam, "adamw": adam, "rmsprop": rmsprop}


def run_case(name, kind, options, lrs):
    params = draw_params()
    grads = draw_grads()
    kwargs = dict(options)
    if kind == "adam" or kind == "adamw":
        kwargs["betas"] = tuple(kwargs["betas"])
        kwargs["decoupled"] = kind == "adamw"
    current = {k: v.astype(np.float64) for k, v in params.items()}
    state, trajectory = {}, []
    for step in range(STEPS):
        for pname in SHAPES:
            current[pname] = RULES[kind](current[pname], grads[step][pname].astype(np.float64), state, pname,
                                         lrs[step], **kwargs)
        trajectory.append({k: tensor(v) for k, v in current.items()})
    return {
        "name": name, "optimizer": kind, "options": options, "lrs": lrs,
        "params": {k: tensor(v) for k, v in params.items()},
        "grads": [{k: tensor(v) for k, v in g.items()} for g in grads],
        "trajectory": trajectory,
        "state": {k: tensor(v) for k, v in sorted(state.items())},
    }


# ---- schedules: PyTorch's recursive get_lr rules, stepped per epoch --------------------------

class StepLR:
    def __init__(self, base, step_size, gamma):
        self.base, self.step_size, self.gamma = base, step_size, gamma

    def start(self, lr):
        return self.base  # step(0) / construction: the base rate

    def next(self, lr, epoch):
        return lr * self.gamma if epoch != 0 and epoch % self.step_size == 0 else lr


class CosineAnnealingLR:
    def __init__(self, base, t_max, eta_min):
        self.base, self.t_max, self.eta_min = base, t_max, eta_min

    def start(self, lr):
        return self.base

    def next(self, lr, epoch):
        t, m, base = self.t_max, self.eta_min, self.base
        if epoch == 0:
            return lr
        if (epoch - 1 - t) % (2 * t) == 0:
            return lr + (base - m) * (1 - math.cos(math.pi / t)) / 2
        return (1 + math.cos(math.pi * epoch / t)) / (1 + math.cos(math.pi * (epoch - 1) / t)) * (lr - m) + m


class Constant:
    def __init__(self, base):
        self.base = base

    def start(self, lr):
        return self.base

    def next(self, lr, epoch):
        return lr


def linear_warmup(base, start_factor, total, epoch, lr):
    """LinearLR(start_factor, end_factor=1, total_iters=total).get_lr at last_epoch = epoch."""
    if epoch == 0:
        return base * start_factor
    if epoch > total:
        return lr
    return lr * (1 + (1 - start_factor) / (total * start_factor + (epoch - 1) * (1 - start_factor)))


def schedule(name, base, decay, epochs, warmup=0, start_factor=0.1):
    if decay["kind"] == "step":
        main = StepLR(base, decay["step_size"], decay["gamma"])
    elif decay["kind"] == "cosine":
        main = CosineAnnealingLR(base, decay["t_max"], decay["eta_min"])
    else:
        main = Constant(base)
    lrs, lr = [], None
    for epoch in range(epochs):
        if epoch < warmup:
            lr = linear_warmup(base, start_factor, warmup, epoch, lr)
        elif epoch == warmup:
            lr = main.start(lr)  # SequentialLR at the milestone: the next scheduler's step(0)
        else:
            lr = main.next(lr, epoch - warmup)
        lrs.append(lr)
    return {"name": name, "base_lr": base, "decay": decay, "warmup_epochs": warmup,
            "warmup_start_factor": start_factor, "lrs": lrs}


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NetworksTests", "Fixtures", "optimizers.json")
    constant = lambda lr: [lr] * STEPS
    cases = [
        run_case("sgd_plain", "sgd", {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}, constant(0.1)),
        run_case("sgd_momentum", "sgd", {"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}, constant(0.05)),
        run_case("sgd_momentum_dampening_wd", "sgd", {"momentum": 0.9, "dampening": 0.1, "weight_decay": 5e-4, "nesterov": False}, constant(0.05)),
        run_case("sgd_nesterov_wd_scheduled", "sgd", {"momentum": 0.8, "dampening": 0.0, "weight_decay": 1e-2, "nesterov": True},
                 [0.1, 0.1, 0.05, 0.05, 0.025]),
        run_case("adam_default", "adam", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, constant(1e-2)),
        run_case("adam_l2", "adam", {"betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 1e-2}, constant(3e-2)),
        run_case("adamw", "adamw", {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-2}, constant(1e-2)),
        run_case("adamw_scheduled", "adamw", {"betas": [0.9, 0.99], "eps": 1e-8, "weight_decay": 0.1},
                 [0.01, 0.02, 0.03, 0.02, 0.01]),
        run_case("rmsprop_default", "rmsprop", {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}, constant(1e-2)),
        run_case("rmsprop_momentum_wd", "rmsprop", {"alpha": 0.9, "eps": 1e-8, "weight_decay": 1e-3, "momentum": 0.9, "centered": False}, constant(1e-3)),
        run_case("rmsprop_centered_momentum", "rmsprop", {"alpha": 0.95, "eps": 1e-6, "weight_decay": 0.0, "momentum": 0.5, "centered": True}, constant(1e-3)),
    ]
    schedules = [
        schedule("step", 0.1, {"kind": "step", "step_size": 3, "gamma": 0.5}, 12),
        schedule("cosine", 0.1, {"kind": "cosine", "t_max": 10, "eta_min": 1e-4}, 11),
        schedule("cosine_zero_min", 0.05, {"kind": "cosine", "t_max": 7, "eta_min": 0.0}, 8),
        schedule("warmup_cosine", 0.1, {"kind": "cosine", "t_max": 8, "eta_min": 1e-3}, 12, warmup=3, start_factor=0.1),
        schedule("warmup_step", 0.2, {"kind": "step", "step_size": 2, "gamma": 0.1}, 9, warmup=2, start_factor=0.25),
        schedule("warmup_constant", 0.01, {"kind": "constant"}, 6, warmup=4, start_factor=0.5),
    ]
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump({"generator": "scripts/reference_optimizers.py", "cases": cases, "schedules": schedules}, f)
        f.write("\n")
    print(f"wrote {out_path}: {len(cases)} optimizer cases, {len(schedules)} schedules")


if __name__ == "__main__":
    main()
