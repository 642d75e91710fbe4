"""Second-order MAML meta-gradients: mamlscape against learn2learn, higher and torchopt.

Every contender computes the same meta-gradient ∇F(θ) of the same model on
the same tasks in one process, so their times are comparable round by round:

- ``learn2learn``: ``l2l.algorithms.MAML(model, lr=α)``; per task ``clone()``,
  ``adapt()`` K times, ``(query loss / B).backward()``, as its examples do;
- ``higher``: ``higher.innerloop_ctx(model, SGD(lr=α), copy_initial_weights=False)``
  per task, ``diffopt.step`` K times, ``(query loss / B).backward()``;
- ``torchopt``: ``torchopt.MetaSGD(model, lr=α)`` as its MAML example
  (``examples/few-shot/maml_omniglot.py``): per task K ``step``\\s, then the
  module and optimiser restored with ``recover_state_dict``. The example
  backpropagates once through the mean of all B query losses; here each
  task's ``(query loss / B).backward()`` runs inside the loop, as for the
  other libraries, so no contender keeps more than one task's graph;
- ``loop``: the same per-task loop in plain torch (``functional_call``,
  ``autograd.grad(create_graph=True)``), learn2learn's method without the
  library; it is the reference of the agreement checks and always present;
- ``mamlscape``, and every entry of :data:`MAMLSCAPE_PATHS`:
  ``make("maml", model, loss, α, K, meta_gradient_path=PATH).meta_gradient``,
  the learner built once, outside the timed call.

Workloads (:data:`WORKLOADS`, second-order MAML, float32): ``conv-B32`` and
``conv-B8``, ``algorithms.ConvNet(5, filters=64)`` on 28×28 glyphs, 5-way
1-shot with 15 queries, one inner step, α = 0.4 (as ``benchmarks/convnet.py``);
``sinusoid-B25``, ``sinusoid-B128`` and ``sinusoid-B25-K5`` (5 inner steps), a
user's own ``nn.Sequential`` 1-40-40-1 on ``synthetic.SinusoidTasks``,
α = 0.01; ``mlp-*``, the same settings on the suite's ``algorithms.MLP``,
whose hand-written passes mamlscape's ``"auto"`` path takes.

Measured, per workload:

- agreement: before timing, every contender's meta-gradient is compared with
  the loop's as one flattened vector, ‖g − g_loop‖ / ‖g_loop‖ (conv biases
  before batch norm have ∇ ≈ 0, so per-tensor norms would be noise): in
  float64 on a small version (8 filters, B = 4), at most 1e-10, and in
  float32 on the timed workload itself, at most 1e-4; a contender outside
  either raises :class:`GradientMismatchError`, and nothing is timed;
- time: ``figures.engine.timing.interleaved_rounds`` (each round runs every
  contender in turn), the median seconds per meta-gradient, and the speed-up
  over learn2learn, t_learn2learn / t_contender, as
  ``analysis.statistics.paired_ratio`` of the paired rounds with its 95%
  interval (a ratio of mean times);
- memory: each contender in a child process of the same interpreter (same
  workload and seed, one contender, :data:`MEMORY_CALLS` meta-gradients): the
  peak resident set size of those calls above the RSS just before the first
  one, in MB. The RSS before is ``VmRSS`` of ``/proc/self/status``; the peak
  is ``VmHWM`` after its high-water mark was reset to the current RSS by
  writing ``5`` to ``/proc/self/clear_refs`` just before the first call.
  Before reading ``VmRSS``, memory freed during the set-up is returned to the
  system (``gc.collect()``, glibc's ``malloc_trim(0)``), or the calls would
  reuse it unseen. ``resource.getrusage(...).ru_maxrss`` is not used where
  the reset works: in a child started by fork/vfork + exec it already holds
  the parent's peak (measured: 813 MB in a fresh interpreter started from an
  800 MB parent), and it keeps the child's own set-up peak (rendering the
  glyphs); it is the fallback where ``clear_refs`` cannot be written
  (``memory_method`` in the JSON says which).

A contender whose library is not importable is reported as "not installed"
and the run goes on, so the harness also runs in the project's ``.venv``.

learn2learn: ``import learn2learn`` runs its package ``__init__``, which imports
``learn2learn.data`` (requests), ``learn2learn.vision`` (torchvision) and
``learn2learn.gym`` (gym); none of them is installed in ``.venv-peers`` (no
CPU torchvision fits torch 2.13). :func:`learn2learn_maml` therefore loads
``learn2learn.algorithms.maml`` (with ``base_learner`` and ``learn2learn.utils``,
which import only torch) from the installed package under empty parent
packages ``learn2learn`` and ``learn2learn.algorithms`` whose ``__path__`` is
the installed one: learn2learn's MAML code runs unmodified, and only the
two package ``__init__`` files are skipped, in this process only. No stub
of torchvision or gym is made.

Run in ``.venv-peers`` (``python -m benchmarks.peers_env`` creates it)::

    .venv-peers/bin/python -m benchmarks.peers --out results/bench_peers.json \\
        --table results/bench_peers.md
    .venv-peers/bin/python -m benchmarks.peers --workloads sinusoid-B25 --rounds 5
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache, partial
from importlib import metadata
from pathlib import Path

import torch
from torch import nn

from algorithms import MLP, ConvNet, cross_entropy, make, mse
from algorithms.losses import TaskLoss
from algorithms.meta_gradient import MetaGradient
from algorithms.params import Params
from algorithms.probed_meta_gradient import chunk_plans
from analysis.statistics import paired_ratio
from benchmarks.convnet import relative_difference
from figures.engine.files import write_json
from figures.engine.timing import interleaved_rounds
from synthetic import FewShotTasks, GlyphAlphabets, SinusoidTasks, TaskBatch

FLOAT64_TOLERANCE = 1e-10
FLOAT32_TOLERANCE = 1e-4
BFLOAT16_TOLERANCE = 0.3


@dataclass(frozen=True)
class MamlscapeRun:
    """One of mamlscape's columns: ``make(..., meta_gradient_path=path, precision=precision)``
    on the workloads whose name starts with one of ``workloads`` (all when empty), checked
    against the loop to ``float32_tolerance`` (bfloat16 differs by its rounding)."""

    path: str | MetaGradient
    precision: str = "float32"
    workloads: tuple[str, ...] = ()
    float32_tolerance: float = FLOAT32_TOLERANCE


MAMLSCAPE_PATHS: dict[str, MamlscapeRun] = {
    "mamlscape": MamlscapeRun("auto"),
    "mamlscape compiled": MamlscapeRun("compiled", workloads=("sinusoid", "mlp", "smoke")),
    "mamlscape bf16": MamlscapeRun(
        "auto", "bfloat16", workloads=("conv",), float32_tolerance=BFLOAT16_TOLERANCE
    ),
}
"""mamlscape's contenders by column name. ``compiled`` runs where compiling pays (small
networks; on the conv net a CPU is already compute-bound); ``bf16`` on the conv net, where
its matrix units are the gain."""
REDUCED_PRECISION = {name for name, run in MAMLSCAPE_PATHS.items() if run.precision != "float32"}
"""The columns whose meta-gradient differs from float32's by design (shown in their cells)."""
REFERENCE = "loop"
BASELINE = "learn2learn"
MEMORY_CALLS = 3
CHECK_META_BATCH = 4
ROOT = Path(__file__).resolve().parent.parent

MetaGradientFn = Callable[[Params, TaskBatch], list[torch.Tensor]]


class GradientMismatchError(RuntimeError):
    """A contender's meta-gradient differs from the reference's by more than the tolerance."""


@dataclass(frozen=True)
class Workload:
    """One row of the table: a model, its tasks and MAML's settings.

    ``build_model(small, generator)`` makes the timed model (``small=False``)
    or the small one of the float64 check; ``sample(num_tasks, generator,
    dtype)`` draws tasks.
    """

    name: str
    build_model: Callable[[bool, torch.Generator], nn.Module]
    sample: Callable[[int, torch.Generator, torch.dtype], TaskBatch]
    loss: TaskLoss
    inner_lr: float
    inner_steps: int
    meta_batch: int
    check_meta_batch: int = CHECK_META_BATCH


@dataclass(frozen=True)
class Contender:
    """A way to compute the meta-gradient: ``prepare(model, workload)`` builds, once, the call.

    The call ``(params, batch) -> [∇F for each tensor of params, in order]``
    is what is timed; ``params`` are the model's own parameters
    (``dict(model.named_parameters())``), since learn2learn, higher and
    torchopt differentiate the module's parameters in place. ``library`` is
    the module that must be importable (None: always present).
    """

    name: str
    prepare: Callable[[nn.Module, Workload], MetaGradientFn]
    library: str | None = None
    workloads: tuple[str, ...] = ()
    float32_tolerance: float = FLOAT32_TOLERANCE

    def installed(self) -> bool:
        return self.library is None or importlib.util.find_spec(self.library) is not None

    def runs_on(self, workload: Workload) -> bool:
        return not self.workloads or workload.name.startswith(self.workloads)


@dataclass
class WorkloadResult:
    """Everything measured on one workload (see the module docstring)."""

    workload: str
    meta_batch: int
    inner_steps: int
    inner_lr: float
    not_installed: list[str]
    float64_relative_difference: dict[str, float]
    float32_relative_difference: dict[str, float]
    seconds_per_round: dict[str, list[float]]
    median_seconds: dict[str, float]
    speedup_over_baseline: dict[str, dict]
    peak_mb: dict[str, float] = field(default_factory=dict)
    memory_method: str | None = None
    chunk_plans: list[dict] = field(default_factory=list)


def take_gradients(params: Params) -> list[torch.Tensor]:
    """The ``.grad`` of each of ``params`` (zeros where none), leaving ``.grad`` cleared."""
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params.values()]
    for p in params.values():
        p.grad = None
    return grads


def learn2learn_maml() -> type:
    """learn2learn's ``MAML`` class, without running learn2learn's package ``__init__`` files.

    They import torchvision, gym and requests (see the module docstring);
    ``learn2learn.algorithms.maml`` needs only torch.
    """
    spec = importlib.util.find_spec("learn2learn")
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError("learn2learn is not installed")
    root = list(spec.submodule_search_locations)
    for name, path in (
        ("learn2learn", root),
        ("learn2learn.algorithms", [str(Path(root[0]) / "algorithms")]),
    ):
        if name not in sys.modules:
            package_spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            package_spec.submodule_search_locations = path
            sys.modules[name] = importlib.util.module_from_spec(package_spec)
    return importlib.import_module("learn2learn.algorithms.maml").MAML


def prepare_learn2learn(model: nn.Module, workload: Workload) -> MetaGradientFn:
    """learn2learn's way: per task ``clone()``, K ``adapt()``, ``(query loss / B).backward()``."""
    maml = learn2learn_maml()(model, lr=workload.inner_lr, first_order=False)

    def meta_gradient(params: Params, batch: TaskBatch) -> list[torch.Tensor]:
        for i in range(batch.num_tasks):
            learner = maml.clone()
            for _ in range(workload.inner_steps):
                learner.adapt(workload.loss(learner(batch.support_x[i]), batch.support_y[i]))
            query_loss = workload.loss(learner(batch.query_x[i]), batch.query_y[i])
            (query_loss / batch.num_tasks).backward()
        return take_gradients(params)

    return meta_gradient


def prepare_higher(model: nn.Module, workload: Workload) -> MetaGradientFn:
    """higher's way: per task an ``innerloop_ctx`` on the model itself, K steps, backward."""
    higher = importlib.import_module("higher")
    inner_optimizer = torch.optim.SGD(model.parameters(), lr=workload.inner_lr)

    def meta_gradient(params: Params, batch: TaskBatch) -> list[torch.Tensor]:
        for i in range(batch.num_tasks):
            with higher.innerloop_ctx(model, inner_optimizer, copy_initial_weights=False) as (
                fmodel,
                diffopt,
            ):
                for _ in range(workload.inner_steps):
                    diffopt.step(workload.loss(fmodel(batch.support_x[i]), batch.support_y[i]))
                query_loss = workload.loss(fmodel(batch.query_x[i]), batch.query_y[i])
                (query_loss / batch.num_tasks).backward()
        return take_gradients(params)

    return meta_gradient


def prepare_torchopt(model: nn.Module, workload: Workload) -> MetaGradientFn:
    """torchopt's MAML example: ``MetaSGD`` steps on the module, restored after each task."""
    torchopt = importlib.import_module("torchopt")
    inner_optimizer = torchopt.MetaSGD(model, lr=workload.inner_lr)

    def meta_gradient(params: Params, batch: TaskBatch) -> list[torch.Tensor]:
        model_state = torchopt.extract_state_dict(model, by="reference", detach_buffers=True)
        optimizer_state = torchopt.extract_state_dict(inner_optimizer, by="reference")
        for i in range(batch.num_tasks):
            for _ in range(workload.inner_steps):
                inner_optimizer.step(workload.loss(model(batch.support_x[i]), batch.support_y[i]))
            query_loss = workload.loss(model(batch.query_x[i]), batch.query_y[i])
            (query_loss / batch.num_tasks).backward()
            torchopt.recover_state_dict(model, model_state)
            torchopt.recover_state_dict(inner_optimizer, optimizer_state)
        return take_gradients(params)

    return meta_gradient


def prepare_loop(model: nn.Module, workload: Workload) -> MetaGradientFn:
    """Plain torch: per task, K differentiable steps, then one backward of its query loss."""

    def meta_gradient(params: Params, batch: TaskBatch) -> list[torch.Tensor]:
        total = [torch.zeros_like(p) for p in params.values()]
        for i in range(batch.num_tasks):
            fast = dict(params)
            for _ in range(workload.inner_steps):
                pred = torch.func.functional_call(model, fast, (batch.support_x[i],))
                loss = workload.loss(pred, batch.support_y[i])
                grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
                fast = {
                    name: p - workload.inner_lr * g for (name, p), g in zip(fast.items(), grads)
                }
            pred = torch.func.functional_call(model, fast, (batch.query_x[i],))
            query_loss = workload.loss(pred, batch.query_y[i]) / batch.num_tasks
            for t, g in zip(total, torch.autograd.grad(query_loss, list(params.values()))):
                t.add_(g)
        return total

    return meta_gradient


def prepare_mamlscape(run: MamlscapeRun, model: nn.Module, workload: Workload) -> MetaGradientFn:
    """mamlscape's ``MetaLearner.meta_gradient`` as ``run`` says, the learner built once."""
    learner = make(
        "maml",
        model,
        workload.loss,
        workload.inner_lr,
        workload.inner_steps,
        meta_gradient_path=run.path,
        precision=run.precision,
    )

    def meta_gradient(params: Params, batch: TaskBatch) -> list[torch.Tensor]:
        gradient = learner.meta_gradient(params, batch)[1]
        return [gradient[name] for name in params]

    return meta_gradient


def contenders() -> dict[str, Contender]:
    """The peers, the loop and one contender per entry of :data:`MAMLSCAPE_PATHS`."""
    peers = [
        Contender("learn2learn", prepare_learn2learn, "learn2learn"),
        Contender("higher", prepare_higher, "higher"),
        Contender("torchopt", prepare_torchopt, "torchopt"),
        Contender("loop", prepare_loop),
    ]
    ours = [
        Contender(
            name,
            partial(prepare_mamlscape, run),
            workloads=run.workloads,
            float32_tolerance=run.float32_tolerance,
        )
        for name, run in MAMLSCAPE_PATHS.items()
    ]
    return {contender.name: contender for contender in peers + ours}


@cache
def glyph_tasks() -> FewShotTasks:
    """5-way 1-shot tasks with 15 queries per class on the rendered glyph alphabets."""
    return FewShotTasks(GlyphAlphabets().render(), 5, 1, 15)


def conv_model(small: bool, generator: torch.Generator) -> nn.Module:
    """The 4-block conv net, 64 filters (8 in the float64 check)."""
    return ConvNet(5, filters=8 if small else 64, generator=generator)


def sequential_model(small: bool, generator: torch.Generator) -> nn.Module:
    """A user's own 1-40-40-1 ReLU network (the same size in the float64 check).

    Initialised as ``nn.Linear`` does, U(−1/√fan_in, 1/√fan_in), but from
    ``generator``, so the memory children build the same weights.
    """
    model = nn.Sequential(
        nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1)
    )
    with torch.no_grad():
        for layer in model[::2]:
            bound = layer.in_features**-0.5
            for tensor in layer.parameters():
                tensor.uniform_(-bound, bound, generator=generator)
    return model


def mlp_model(small: bool, generator: torch.Generator) -> nn.Module:
    """The suite's own ``MLP((1, 40, 40, 1))``, which declares its hand-written passes."""
    return MLP((1, 40, 40, 1), generator=generator)


def sample_glyphs(num_tasks: int, generator: torch.Generator, dtype: torch.dtype) -> TaskBatch:
    return glyph_tasks().sample(num_tasks, generator, dtype=dtype)


def sample_sinusoids(num_tasks: int, generator: torch.Generator, dtype: torch.dtype) -> TaskBatch:
    return SinusoidTasks().sample(num_tasks, generator, dtype=dtype)


def sinusoid_workloads(
    prefix: str, build: Callable[[bool, torch.Generator], nn.Module]
) -> list[Workload]:
    """B = 25, B = 128 and B = 25 with 5 inner steps, α = 0.01, squared loss."""
    settings = ((25, 1, ""), (128, 1, ""), (25, 5, "-K5"))
    return [
        Workload(f"{prefix}-B{b}{suffix}", build, sample_sinusoids, mse, 0.01, k, b)
        for b, k, suffix in settings
    ]


SMOKE = Workload(
    "smoke",
    lambda small, generator: MLP((1, 8, 1), generator=generator),
    sample_sinusoids,
    mse,
    0.01,
    2,
    3,
    check_meta_batch=3,
)
"""A tiny workload for tests and a quick look (``--workloads smoke``); not in the default run."""

WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in [
        Workload("conv-B32", conv_model, sample_glyphs, cross_entropy, 0.4, 1, 32),
        Workload("conv-B8", conv_model, sample_glyphs, cross_entropy, 0.4, 1, 8),
        *sinusoid_workloads("sinusoid", sequential_model),
        *sinusoid_workloads("mlp", mlp_model),
        SMOKE,
    ]
}
DEFAULT_WORKLOADS = tuple(name for name in WORKLOADS if name != SMOKE.name)


def setup(
    workload: Workload, small: bool, dtype: torch.dtype
) -> tuple[nn.Module, Params, TaskBatch]:
    """The workload's model (seed 0), its own parameters and a batch, in ``dtype``."""
    generator = torch.Generator().manual_seed(0)
    model = workload.build_model(small, generator).to(dtype)
    num_tasks = workload.check_meta_batch if small else workload.meta_batch
    return model, dict(model.named_parameters()), workload.sample(num_tasks, generator, dtype)


def agreement(
    workload: Workload,
    present: dict[str, Contender],
    small: bool,
    dtype: torch.dtype,
    tolerance: float,
) -> dict[str, float]:
    """Each contender's meta-gradient's relative difference from the loop's; raises above
    ``tolerance`` (in float32, above the contender's own ``float32_tolerance`` if larger)."""
    model, params, batch = setup(workload, small, dtype)
    reference = prepare_loop(model, workload)(params, batch)
    differences = {
        name: relative_difference(contender.prepare(model, workload)(params, batch), reference)
        for name, contender in present.items()
        if name != REFERENCE
    }

    def allowed(name: str) -> float:
        own = present[name].float32_tolerance if dtype == torch.float32 else tolerance
        return max(tolerance, own)

    wrong = {name: value for name, value in differences.items() if not value <= allowed(name)}
    if wrong:
        raise GradientMismatchError(
            f"{workload.name} ({'small, ' if small else ''}{dtype}): meta-gradients differ "
            f"from the {REFERENCE!r} one by {wrong} (relative, tolerance {tolerance:g})"
        )
    return differences


def speedups(samples: dict[str, list[float]], baseline: str) -> dict[str, dict]:
    """t_baseline / t_contender over paired rounds, with a 95% interval (empty without baseline)."""
    if baseline not in samples:
        return {}
    reference = torch.tensor(samples[baseline], dtype=torch.float64)
    return {
        name: paired_ratio(reference, torch.tensor(values, dtype=torch.float64))
        for name, values in samples.items()
    }


def run_workload(
    workload: Workload,
    candidates: dict[str, Contender],
    rounds: int,
    memory: bool = True,
    threads: int = 2,
    baseline: str = BASELINE,
) -> WorkloadResult:
    """Check agreement (float64 small, float32 timed), time in interleaved rounds, measure memory.

    Example:
        >>> result = run_workload(SMOKE, {n: contenders()[n] for n in ("loop", "mamlscape")},
        ...                       rounds=2, memory=False, baseline="loop")
        >>> sorted(result.median_seconds), result.float64_relative_difference["mamlscape"] < 1e-10
        (['loop', 'mamlscape'], True)
    """
    present = {name: c for name, c in candidates.items() if c.installed() and c.runs_on(workload)}
    if REFERENCE not in present:
        raise ValueError(f"the {REFERENCE!r} contender is the reference and must be included")
    plans_before = set(chunk_plans())
    float64 = agreement(workload, present, True, torch.float64, FLOAT64_TOLERANCE)
    float32 = agreement(workload, present, False, torch.float32, FLOAT32_TOLERANCE)
    model, params, batch = setup(workload, False, torch.float32)
    calls = {
        name: partial(contender.prepare(model, workload), params, batch)
        for name, contender in present.items()
    }
    samples = interleaved_rounds(calls, rounds)
    result = WorkloadResult(
        workload=workload.name,
        meta_batch=workload.meta_batch,
        inner_steps=workload.inner_steps,
        inner_lr=workload.inner_lr,
        not_installed=[name for name in candidates if not candidates[name].installed()],
        float64_relative_difference=float64,
        float32_relative_difference=float32,
        seconds_per_round=samples,
        median_seconds={name: statistics.median(values) for name, values in samples.items()},
        speedup_over_baseline=speedups(samples, baseline),
        chunk_plans=[
            {"batch_shapes": key[2], "dtype": str(key[3]), "tasks_per_chunk": plan}
            for key, plan in chunk_plans().items()
            if key not in plans_before
        ],
    )
    if memory:
        for name in present:
            measured = measure_memory(workload.name, name, threads)
            result.peak_mb[name] = measured["peak_mb"]
            result.memory_method = measured["method"]
    return result


def status_kb(key: str) -> float:
    """A ``/proc/self/status`` entry in kB (``VmRSS``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return float(line.split()[1])
    raise KeyError(key)


def reset_peak() -> bool:
    """Reset this process's peak RSS (``VmHWM``) to its current RSS; False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def release_free_memory() -> None:
    """Hand memory that was freed but kept by the C allocator back to the system (glibc).

    Without it the RSS before the first call would include the heap freed by
    the set-up (rendering the glyphs), which the calls then reuse unseen.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return


def memory_child(workload_name: str, contender_name: str, calls: int = MEMORY_CALLS) -> dict:
    """Peak RSS above the RSS before the first of ``calls`` meta-gradients, in this process."""
    workload = WORKLOADS[workload_name]
    model, params, batch = setup(workload, False, torch.float32)
    meta_gradient = contenders()[contender_name].prepare(model, workload)
    release_free_memory()
    before_kb = status_kb("VmRSS")
    reset = reset_peak()
    for _ in range(calls):
        meta_gradient(params, batch)
    if reset:
        peak_kb, method = status_kb("VmHWM"), "VmHWM after clear_refs"
    else:
        peak_kb, method = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"
    return {
        "peak_mb": (peak_kb - before_kb) / 1024,
        "before_mb": before_kb / 1024,
        "method": method,
    }


def measure_memory(workload_name: str, contender_name: str, threads: int) -> dict:
    """:func:`memory_child` in a child process of this interpreter (one contender alone)."""
    command = [sys.executable, "-m", "benchmarks.peers", "--threads", str(threads)]
    command += ["--memory-child", workload_name, contender_name]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout.splitlines()[-1])


def format_seconds(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds >= 1 else f"{seconds * 1e3:.3g} ms"


def format_cell(result: WorkloadResult, name: str) -> str:
    """ "median s/it (×speed-up [interval]), +MB peak", or "not installed"."""
    if name in result.not_installed:
        return "not installed"
    if name not in result.median_seconds:
        return "—"
    cell = format_seconds(result.median_seconds[name])
    ratio = result.speedup_over_baseline.get(name)
    if ratio is not None:
        low, high = ratio["mean"] - ratio["half_width"], ratio["mean"] + ratio["half_width"]
        cell += f" (×{ratio['mean']:.2f} [{low:.2f}, {high:.2f}])"
    if name in result.peak_mb:
        cell += f", +{result.peak_mb[name]:.0f} MB"
    if name in REDUCED_PRECISION:
        cell += f", rel. diff. {result.float32_relative_difference[name]:.1e}"
    return cell


def render_table(results: list[WorkloadResult], baseline: str = BASELINE) -> str:
    """A Markdown table: rows = workloads, columns = contenders, then the largest disagreement.

    Example:
        >>> result = run_workload(SMOKE, {n: contenders()[n] for n in ("loop", "mamlscape")},
        ...                       rounds=2, memory=False, baseline="loop")
        >>> render_table([result], baseline="loop").splitlines()[0]
        '| workload | loop | mamlscape | max rel. diff. f64 / f32 |'
    """
    names = list(dict.fromkeys(n for r in results for n in [*r.median_seconds, *r.not_installed]))
    lines = [
        "| workload | " + " | ".join(names) + " | max rel. diff. f64 / f32 |",
        "|---" * (len(names) + 2) + "|",
    ]
    for result in results:
        f64 = max(result.float64_relative_difference.values(), default=0.0)
        exact = result.float32_relative_difference
        f32 = max((v for k, v in exact.items() if k not in REDUCED_PRECISION), default=0.0)
        cells = [format_cell(result, name) for name in names]
        lines.append(f"| {result.workload} | " + " | ".join(cells) + f" | {f64:.1e} / {f32:.1e} |")
    lines.append("")
    lines.append(
        f"Median seconds per meta-gradient; ×: speed-up over {baseline} "
        "(t_baseline / t, paired rounds, 95% interval); +MB: peak RSS above the RSS before the "
        "first call, in a child process."
    )
    return "\n".join(lines) + "\n"


def versions() -> dict[str, str | None]:
    """Installed versions of torch and the peers (None where absent)."""

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {name: version(name) for name in ("torch", "learn2learn", "higher", "torchopt")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workloads", nargs="+", choices=list(WORKLOADS), default=DEFAULT_WORKLOADS
    )
    parser.add_argument("--rounds", type=int, default=20, help="interleaved timing rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("results/bench_peers.json"))
    parser.add_argument("--table", type=Path, help="also write the Markdown table here")
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("WORKLOAD", "CONTENDER"), help="internal"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_child:
        print(json.dumps(memory_child(*args.memory_child)))
        return
    results = []
    for name in args.workloads:
        result = run_workload(
            WORKLOADS[name], contenders(), args.rounds, not args.skip_memory, args.threads
        )
        results.append(result)
        print(render_table([result]).splitlines()[2], flush=True)
    table = render_table(results)
    print(table)
    write_json(
        args.out,
        {
            "versions": versions(),
            "machine": platform.machine(),
            "threads": args.threads,
            "rounds": args.rounds,
            "workloads": [asdict(result) for result in results],
            "table": table,
        },
    )
    if args.table:
        args.table.parent.mkdir(parents=True, exist_ok=True)
        args.table.write_text(table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
