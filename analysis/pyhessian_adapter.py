"""PyHessian 0.1 on any objective, and a cross-check of its answers against this package's.

PyHessian's ``hessian(model, criterion, data=(inputs, targets))`` evaluates
``criterion(model(inputs), targets)``, differentiates it with
``backward(create_graph=True)`` and takes Hessian-vector products with
respect to ``model.parameters()``. :class:`ObjectiveModule` makes any
objective fit that form: it holds θ as one flat ``nn.Parameter`` and its
forward ignores the inputs and returns ``objective(θ)``; with the criterion
``lambda output, target: output``,

    criterion(module(inputs), targets) = objective(θ),

so both tools differentiate the same function of the same vector.

PyHessian's habits, and what the adapter does about them (REFERENCE.md §7):

- it forces ``model.eval()``: only the wrapper changes mode; the objective's
  own model is not a submodule, so it is evaluated exactly as elsewhere;
- its ``cuda`` flag means "the current CUDA device": the adapter passes
  ``cuda=True`` for parameters on a CUDA device and runs PyHessian with that
  device current; CPU and CUDA parameters are accepted (``ValueError``
  otherwise). The CUDA path has not been run on a GPU yet;
- it draws from torch's global generators: each call runs inside
  ``torch.random.fork_rng`` with the CPU (and the parameters' CUDA) generator
  seeded from ``seed``, so the global state is the same afterwards;
- ``backward(create_graph=True)`` ties θ and its ``.grad`` in a reference
  cycle (torch warns): the adapter silences that warning and clears ``.grad``;
- ``eigenvalues()`` is power iteration with deflation, so its "top"
  eigenvalues are the largest in magnitude, possibly negative;
- ``trace()`` stops when |mean − previous mean| / (previous mean + 1e-6) <
  tol, which holds at once when the running mean is negative;
- ``density()`` calls ``torch.eig``, removed from torch: the error is
  reported in the result's ``error``, never raised.

Products are counted by a gradient hook on θ (every backward pass that
reaches θ, less PyHessian's first gradient).

Example:
    >>> import torch
    >>> objective = lambda p: 0.5 * (torch.tensor([3.0, -5.0, 1.0]) * p["w"] ** 2).sum()
    >>> run = pyhessian_eigenvalues(objective, {"w": torch.zeros(3)}, top_n=1)
    >>> round(run.values[0], 2)        # largest in magnitude, not the largest (3.0)
    -5.0
    >>> pyhessian_density(objective, {"w": torch.zeros(3)}, steps=2).error[:40]
    'PyHessian 0.1 density() failed: it calls'
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from pyhessian import hessian as PyHessian
from torch import nn

from analysis.flat import Objective, ParamLayout, Params
from analysis.hvp import HessianOperator
from analysis.spectrum import ExtremeEigenvalues, extreme_eigenvalues
from analysis.trace import hutch_plus_plus
from synthetic.validation import require_count, require_positive

CYCLE_WARNING = r"Using backward\(\) with create_graph=True"


class ObjectiveModule(nn.Module):
    """θ as one flat parameter; ``forward(anything)`` returns ``objective(θ)``."""

    def __init__(self, objective: Objective, params: Params) -> None:
        super().__init__()
        self.layout = ParamLayout.of(params)
        if self.layout.device.type not in ("cpu", "cuda"):
            raise ValueError(
                f"PyHessian runs on the CPU or a CUDA device, got params on "
                f"{self.layout.device}; move them to 'cpu' or 'cuda'"
            )
        self.objective = objective
        self.theta = nn.Parameter(self.layout.flatten(params).detach().clone())

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.objective(self.layout.unflatten(self.theta))


def objective_criterion(output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The criterion that hands PyHessian the module's output, the objective, unchanged."""
    return output


@dataclass(frozen=True)
class PyHessianRun:
    """One PyHessian method's answer: eigenvalues, trace samples or density nodes (``values``)."""

    method: str
    values: tuple[float, ...]
    hvp_count: int
    seconds: float
    error: str | None = None
    weights: tuple[float, ...] = field(default=())

    @property
    def mean(self) -> float:
        """The mean of ``values``: PyHessian's trace estimate for a ``trace`` run."""
        return float(np.mean(self.values)) if self.values else float("nan")

    def as_dict(self) -> dict:
        return asdict(self)


def pyhessian_eigenvalues(
    objective: Objective,
    params: Params,
    top_n: int = 5,
    max_iterations: int = 100,
    tol: float = 1e-3,
    seed: int = 0,
) -> PyHessianRun:
    """PyHessian's ``eigenvalues(maxIter, tol, top_n)`` (power iteration with deflation)."""
    require_count("top_n", top_n)
    require_count("max_iterations", max_iterations)
    require_positive("tol", tol)
    with _pyhessian(objective, params, seed) as (engine, count, started):
        values, _ = engine.eigenvalues(maxIter=max_iterations, tol=tol, top_n=top_n)
        return PyHessianRun("eigenvalues", _floats(values), count(), time.perf_counter() - started)


def pyhessian_trace(
    objective: Objective,
    params: Params,
    max_iterations: int = 100,
    tol: float = 1e-3,
    seed: int = 0,
) -> PyHessianRun:
    """PyHessian's ``trace(maxIter, tol)``: its Hutchinson samples, with its own stopping rule."""
    require_count("max_iterations", max_iterations)
    require_positive("tol", tol)
    with _pyhessian(objective, params, seed) as (engine, count, started):
        samples = engine.trace(maxIter=max_iterations, tol=tol)
        return PyHessianRun("trace", _floats(samples), count(), time.perf_counter() - started)


def pyhessian_density(
    objective: Objective, params: Params, steps: int = 20, probes: int = 1, seed: int = 0
) -> PyHessianRun:
    """PyHessian's ``density(iter, n_v)``; its failure on the removed ``torch.eig`` → ``error``."""
    require_count("steps", steps)
    require_count("probes", probes)
    with _pyhessian(objective, params, seed) as (engine, count, started):
        try:
            nodes, weights = engine.density(iter=steps, n_v=probes)
        except (AttributeError, RuntimeError) as error:
            if "eig" not in str(error):
                raise
            message = (
                "PyHessian 0.1 density() failed: it calls torch.eig, which torch "
                f"{torch.__version__} no longer has ({type(error).__name__}: "
                f"{str(error).splitlines()[0]})"
            )
            return PyHessianRun("density", (), count(), time.perf_counter() - started, message)
        return PyHessianRun(
            "density",
            _floats(np.concatenate(nodes)),
            count(),
            time.perf_counter() - started,
            weights=_floats(np.concatenate(weights)),
        )


@dataclass(frozen=True)
class CrossCheck:
    """Both tools' answers on one objective and every place where they disagree."""

    ours: dict
    pyhessian: dict
    disagreements: tuple[str, ...]
    tolerance: float

    def as_dict(self) -> dict:
        return asdict(self)


def cross_check(
    objective: Objective,
    params: Params,
    k: int = 5,
    tolerance: float = 1e-2,
    trace_budget: int = 60,
    seed: int = 0,
) -> CrossCheck:
    """Run ours (Lanczos both ends, Hutch++) and PyHessian's three methods; list disagreements.

    An eigenvalue disagrees when PyHessian's i-th value differs from the
    i-th largest algebraic eigenvalue by more than ``tolerance`` relative to
    the larger of |λ_1| and |λ_n|; the trace disagrees when PyHessian's lies
    outside our 95% interval; a density failure is listed as is.
    """
    require_positive("tolerance", tolerance)
    generator = torch.Generator().manual_seed(seed)
    operator = HessianOperator(objective, params)
    spectrum = extreme_eigenvalues(operator, k=k, generator=generator)
    trace = hutch_plus_plus(operator, trace_budget, generator)
    operator.release()
    theirs = {
        "eigenvalues": pyhessian_eigenvalues(objective, params, top_n=k, seed=seed),
        "trace": pyhessian_trace(objective, params, seed=seed),
        "density": pyhessian_density(objective, params, seed=seed),
    }
    scale = max(abs(spectrum.largest[0]), abs(spectrum.smallest[0]))
    disagreements = [
        _eigenvalue_disagreement(index, value, spectrum, tolerance)
        for index, value in enumerate(theirs["eigenvalues"].values)
        if abs(value - spectrum.largest[index]) > tolerance * scale
    ]
    if not trace.low <= theirs["trace"].mean <= trace.high:
        disagreements.append(
            f"trace: PyHessian says {theirs['trace'].mean:.6g} after "
            f"{len(theirs['trace'].values)} samples; ours is {trace.trace:.6g}, 95% interval "
            f"[{trace.low:.6g}, {trace.high:.6g}] from {trace.hvp_count} products"
        )
    if theirs["density"].error is not None:
        disagreements.append(f"density: {theirs['density'].error}")
    return CrossCheck(
        ours={"spectrum": spectrum.as_dict(), "trace": trace.as_dict()},
        pyhessian={name: run.as_dict() for name, run in theirs.items()},
        disagreements=tuple(disagreements),
        tolerance=tolerance,
    )


def _eigenvalue_disagreement(
    index: int, value: float, spectrum: ExtremeEigenvalues, tolerance: float
) -> str:
    expected = spectrum.largest[index]
    text = (
        f"eigenvalue {index + 1}: PyHessian says {value:.6g}; the largest algebraic eigenvalues' "
        f"#{index + 1} is {expected:.6g}"
    )
    nearest = min(spectrum.smallest, key=lambda ours: abs(ours - value))
    if abs(nearest - value) <= tolerance * abs(nearest):
        return f"{text}; PyHessian's value is the small end's {nearest:.6g} (ranked by |λ|)"
    return text


@contextlib.contextmanager
def _pyhessian(
    objective: Objective, params: Params, seed: int
) -> Iterator[tuple[PyHessian, Callable[[], int], float]]:
    """PyHessian on ``objective``, its product counter and the start time; restores global RNG."""
    module = ObjectiveModule(objective, params)
    backward_passes = [0]

    def counted(gradient: torch.Tensor) -> None:
        backward_passes[0] += 1

    module.theta.register_hook(counted)
    device = module.layout.device
    cuda = device.type == "cuda"
    started = time.perf_counter()
    with (
        torch.random.fork_rng(devices=[device] if cuda else []),
        torch.cuda.device(device) if cuda else contextlib.nullcontext(),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", message=CYCLE_WARNING)
        torch.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed(seed)
        engine = PyHessian(
            module, objective_criterion, data=(torch.zeros(1), torch.zeros(1)), cuda=cuda
        )
        try:
            yield engine, lambda: backward_passes[0] - 1, started
        finally:
            module.theta.grad = None


def _floats(values: object) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1))
