"""The bad-input audit: every kind of bad input, across the CLI and the Python API, in one table.

Each row is a kind of mistake, a function that makes it and returns the message the user
sees (an exception's text, or the CLI's stderr), and what that message must say: what is
wrong, where, and how to fix it. One test per kind. Error paths that live elsewhere are
reused here, not copied.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from sweep_claims import FailConfig, claim_of

from algorithms import (
    MLP,
    DivergenceError,
    load_checkpoint,
    make,
    mse,
    optimizer_step,
    parameters_of,
    train,
)
from algorithms import save_checkpoint as save
from figures.claims.linear_gains import GainGridConfig
from figures.commands.cli import main
from figures.engine.cache import CacheEntry
from figures.engine.claim import Cell, check_scale
from figures.engine.dask_executor import DaskExecutor
from figures.engine.executors import ProcessExecutor
from figures.engine.runner import CellFailuresError, run_claims
from figures.engine.sweep import Sweep
from synthetic import (
    FewShotTasks,
    ImageClasses,
    LinearTaskMixture,
    SinusoidTasks,
    TaskBatch,
    TaskCluster,
    load_omniglot,
)


def raised(error: type[BaseException], make_it: Callable[[], object]) -> str:
    """The message of the ``error`` that ``make_it()`` raises."""
    with pytest.raises(error) as caught:
        make_it()
    return str(caught.value)


def cli_error(tmp_path: Path, capsys: pytest.CaptureFixture, *argv: str) -> str:
    """``mamlscape reproduce ARGV``'s stderr, after checking it exits with status 2."""
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--scale", "smoke", "--out", str(tmp_path / "out"), *argv])
    assert stop.value.code == 2
    return capsys.readouterr().err


def images(classes: int, drawings: int) -> ImageClasses:
    names = tuple(f"alphabet/c{i}" for i in range(classes))
    return ImageClasses(torch.zeros(classes, drawings, 1, 4, 4, dtype=torch.uint8), names, names)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def diverging_training() -> None:
    model = MLP((1, 16, 16, 1))
    train(
        make("maml", model, mse, inner_lr=1e6),
        parameters_of(model),
        SinusoidTasks(),
        40,
        torch.Generator().manual_seed(0),
        check_every=5,
        progress=False,
        meta_batch=10,
    )


def checkpoint_of_another_model(tmp_path: Path) -> None:
    path = tmp_path / "mlp.pt"
    model = MLP((1, 4, 1))
    save(path, model, parameters_of(model))
    load_checkpoint(path, torch.nn.Sequential(torch.nn.Linear(1, 1)))


def corrupt_file(path: Path, text: bytes) -> Path:
    path.write_bytes(text)
    return path


def truncated_cache_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
    claim = claim_of("A0", [Cell(FailConfig(), 0)])
    run_claims([claim], "smoke", tmp_path, progress=False)
    (path,) = tmp_path.rglob("*.json")
    path.write_text(path.read_text()[:20])
    outcomes = run_claims([claim], "smoke", tmp_path, progress=False)
    assert not outcomes["A0"][0].cached and outcomes["A0"][0].result == {"seed": 0}
    return capsys.readouterr().out


def failing_cell(tmp_path: Path) -> None:
    cells = [Cell(FailConfig(), 0), Cell(FailConfig(fail=True), 1)]
    run_claims([claim_of("A1", cells)], "smoke", tmp_path, progress=False)


def unreachable_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
    start = time.monotonic()
    message = cli_error(tmp_path, capsys, "--scheduler", f"tcp://127.0.0.1:{closed_port()}")
    assert time.monotonic() - start < 10
    return message


def from_cli(*argv: str) -> Callable[[Path, pytest.CaptureFixture], str]:
    def run(tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
        return cli_error(tmp_path, capsys, *argv)

    return run


def from_api(error: type[BaseException], make_it: Callable[[Path], object]):
    return lambda tmp_path, capsys: raised(error, lambda: make_it(tmp_path))


def blocked_output(tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
    (tmp_path / "a-file").write_text("")
    return cli_error(tmp_path, capsys, "--out", str(tmp_path / "a-file" / "sub"))


def non_pd_cluster() -> TaskCluster:
    return TaskCluster(1.0, torch.tensor([[1.0, 2.0], [2.0, 1.0]]), torch.zeros(2))


KINDS: dict[str, tuple[Callable[[Path, pytest.CaptureFixture], str], str]] = {
    "unknown claim id": (
        from_cli("--claims", "L1,X9"),
        r"unknown claim ids \['X9'\]; known ids are \[",
    ),
    "unknown scale": (
        from_api(ValueError, lambda _: check_scale("huge")),
        r"scale must be one of \('smoke', 'quick', 'omniglot', 'paper'\), got 'huge'",
    ),
    "unknown algorithm": (
        from_api(ValueError, lambda _: make("mamll", MLP((1, 4, 1)), mse, 0.1)),
        r"unknown algorithm 'mamll'; choose one of \['maml'",
    ),
    "unknown meta-gradient path": (
        from_api(
            ValueError,
            lambda _: make("maml", MLP((1, 4, 1)), mse, 0.1, meta_gradient_path="manual"),
        ),
        r"meta_gradient_path must be one of \('auto', 'autograd', 'compiled'\) or a "
        r"meta-gradient method \(applies\(learner\), __call__\(learner, params, batch\)"
        r".*got 'manual'",
    ),
    "an objective that ignores its parameters": (
        from_api(
            ValueError,
            lambda _: optimizer_step(
                lambda p: torch.ones(1, requires_grad=True).sum(),
                {"w": torch.zeros(2, requires_grad=True)},
                torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1),
            ),
        ),
        r"the objective does not depend on the parameters it is called with; compute the loss",
    ),
    "zero inner step size": (
        from_api(ValueError, lambda _: make("maml", MLP((1, 4, 1)), mse, inner_lr=0.0)),
        r"inner_lr must be > 0, got 0.0; pass a finite positive number",
    ),
    "negative outer step size": (
        from_api(
            ValueError,
            lambda _: train(
                make("maml", MLP((1, 4, 1)), mse, 0.1),
                parameters_of(MLP((1, 4, 1))),
                SinusoidTasks(),
                1,
                torch.Generator(),
                outer_lr=-1.0,
                meta_batch=2,
            ),
        ),
        r"outer_lr must be > 0, got -1.0; pass a finite positive number",
    ),
    "zero inner steps": (
        from_api(ValueError, lambda _: make("maml", MLP((1, 4, 1)), mse, 0.1, inner_steps=0)),
        r"inner_steps must be an integer >= 1, got 0",
    ),
    "zero support size": (
        from_api(ValueError, lambda _: SinusoidTasks(support_size=0)),
        r"support_size must be an integer >= 1, got 0",
    ),
    "probabilities not summing to 1": (
        from_api(
            ValueError,
            lambda _: LinearTaskMixture(
                [TaskCluster(0.5, 1.0, torch.zeros(2)), TaskCluster(0.6, 1.0, torch.zeros(2))]
            ),
        ),
        r"sum to 1.1",
    ),
    "non-positive-definite covariance": (
        from_api(ValueError, lambda _: non_pd_cluster()),
        r"positive definite",
    ),
    "N-way larger than the classes": (
        from_api(ValueError, lambda _: FewShotTasks(images(3, 4), ways=5, shots=1, queries=1)),
        r"ways = 5 classes per task .* only 3 classes; lower ways",
    ),
    "K+Q larger than the drawings per class": (
        from_api(ValueError, lambda _: FewShotTasks(images(6, 4), ways=5, shots=2, queries=3)),
        r"shots \+ queries = 2 \+ 3 = 5 distinct drawings .* has 4 per class; lower shots",
    ),
    "missing data path": (
        from_api(ValueError, lambda tmp: load_omniglot(tmp / "nowhere")),
        r"Omniglot source .*nowhere does not exist; expected .* Give the path",
    ),
    "empty data folder": (
        from_api(ValueError, lambda tmp: load_omniglot(tmp)),
        r"expected .* under .*; found no PNG files",
    ),
    "corrupt data file": (
        from_api(
            ValueError, lambda tmp: load_omniglot(corrupt_file(tmp / "background.zip", b"PK?"))
        ),
        r"background.zip is not a readable zip .* Replace the file with a fresh copy",
    ),
    "corrupt data file given to reproduce": (
        lambda tmp, capsys: cli_error(
            tmp, capsys, "--claims", "S2", "--omniglot", str(corrupt_file(tmp / "b.zip", b"PK?"))
        ),
        r"^mamlscape: error: .*b.zip is not a readable zip .* Replace the file with a fresh "
        r"copy or pass the unpacked folder.\n$",
    ),
    "paper protocol without its dataset": (
        lambda tmp, capsys: cli_error(tmp, capsys, "--scale", "paper", "--claims", "H2"),
        r"H2/G2's accuracy cells at this scale runs its paper's protocol on mini-imagenet, not "
        r"on glyphs: give --mini-imagenet PATH",
    ),
    "miniImageNet given as one file": (
        lambda tmp, capsys: cli_error(
            tmp, capsys, "--mini-imagenet", str(corrupt_file(tmp / "train.csv", b"x"))
        ),
        r"--mini-imagenet .*train.csv is a file; give the folder holding train.csv, val.csv, "
        r"test.csv and images/",
    ),
    "batch norm that updates running statistics": (
        from_api(
            ValueError,
            lambda _: make("maml", torch.nn.Sequential(torch.nn.BatchNorm1d(1)), mse, 0.1),
        ),
        r"model layer '0' \(BatchNorm1d\) updates running statistics in training mode, .*"
        r"track_running_stats=False .* or call model.eval\(\)",
    ),
    "checkpoint of another model": (
        from_api(ValueError, checkpoint_of_another_model),
        r"mlp.pt holds parameters of a MLP, not of the Sequential given",
    ),
    "corrupt checkpoint": (
        from_api(
            ValueError, lambda tmp: load_checkpoint(corrupt_file(tmp / "c.pt", b"\0"), MLP((1, 1)))
        ),
        r"c.pt is not a mamlscape checkpoint or is corrupt",
    ),
    "unwritable output folder": (
        blocked_output,
        r"cannot write to the output folder .*a-file/sub: .*; pick another --out",
    ),
    "not a torch device": (
        from_cli("--device", "tpu9"),
        r"--device 'tpu9' is not a torch device",
    ),
    "cuda without CUDA": (
        from_cli("--device", "cuda"),
        r"--device cuda was asked for but this torch sees no CUDA GPU; use --device cpu",
    ),
    "NaN/Inf divergence": (
        from_api(DivergenceError, lambda _: diverging_training()),
        r"meta-loss became NaN/Inf at iteration \d+ with inner_lr=1e\+06 .*lower the step sizes",
    ),
    "unreachable scheduler": (
        unreachable_scheduler,
        r"cannot reach the Dask scheduler at tcp://127.0.0.1:\d+ within 5 s .*dask scheduler",
    ),
    "malformed scheduler address": (
        from_cli("--scheduler", "localhost"),
        r"--scheduler 'localhost' is not a Dask scheduler address; expected tcp://HOST:PORT",
    ),
    "zero local workers": (
        from_cli("--jobs", "0"),
        r"--jobs must be an integer >= 1, got 0",
    ),
    "zero Dask workers": (
        from_cli("--dask-local", "0"),
        r"--dask-local must be an integer >= 1, got 0",
    ),
    "zero cells per Dask task": (
        from_cli("--dask-local", "2", "--cells-per-task", "0"),
        r"--cells-per-task must be an integer >= 1, got 0",
    ),
    "two executors at once": (
        from_cli("--serial", "--dask-local", "2"),
        r"argument --dask-local: not allowed with argument --serial",
    ),
    "fork start method": (
        from_api(ValueError, lambda _: ProcessExecutor(2, start_method="fork")),
        r"start_method must be one of \('spawn', 'forkserver'\) \(fork is unsafe with torch\)",
    ),
    "Dask executor without a place to run": (
        from_api(ValueError, lambda _: DaskExecutor()),
        r"DaskExecutor needs exactly one of address= and local_workers=",
    ),
    "sweep over an unknown field": (
        from_api(ValueError, lambda _: Sweep.over(GainGridConfig(), alpah=(1.0,))),
        r"Sweep axis 'alpah': GainGridConfig has no field 'alpah'; its fields are \['mixture'",
    ),
    "sweep axis without values": (
        from_api(ValueError, lambda _: Sweep.over(GainGridConfig(), alpha=())),
        r"Sweep axis 'alpha' has no values; give at least one",
    ),
    "negative seed": (
        from_api(ValueError, lambda _: Sweep.over(GainGridConfig(), seeds=(0, -1))),
        r"Sweep.seeds must be distinct integers >= 0, got \(0, -1\)",
    ),
    "invalid value inside a swept config": (
        from_api(ValueError, lambda _: Sweep.over(GainGridConfig(), **{"mixture.dim": (0,)})),
        r"dim must be an integer >= 1, got 0",
    ),
    "cell config that is not a dataclass": (
        from_api(ValueError, lambda _: CacheEntry.for_cell("f", {"alpha": 1.0}, 0, code="")),
        r"a cell config must be a dataclass instance, got dict",
    ),
    "truncated cache file": (
        truncated_cache_file,
        r"cache: .*\.json: unreadable \(.*\); recomputed",
    ),
    "a loss returning a vector per task": (
        from_api(ValueError, lambda _: sinusoid_meta_loss(lambda pred, target: pred - target)),
        r"loss_fn '<lambda>' returned shape \(10, 1\) for one task; it must return a scalar",
    ),
    "a loss with the wrong signature": (
        from_api(ValueError, lambda _: sinusoid_meta_loss(lambda pred: pred.sum())),
        r"loss_fn '<lambda>' takes \(pred\); it must take \(pred, target\)",
    ),
    "a float64 batch for a float32 model": (
        from_api(ValueError, lambda _: sinusoid_meta_loss(mse, dtype=torch.float64)),
        r"the tasks' inputs are torch.float64 but the parameters are torch.float32; draw the "
        r"tasks with dtype=torch.float32",
    ),
    "a task batch without its task axis": (
        from_api(ValueError, lambda _: one_task_without_axis(queries=7)),
        r"TaskBatch.support_x has shape \(10, 1\); .*the leading task axis is missing: add "
        r"it with tensor.unsqueeze\(0\)",
    ),
    "a cell that raises mid-sweep": (
        from_api(CellFailuresError, failing_cell),
        r"1 cells failed \(1 cells computed and stored, .*a rerun computes only the missing "
        r"ones\):\n  A1 seed 1 config [0-9a-f]{12} .*FloatingPointError: the loss became NaN",
    ),
}


def sinusoid_batch(dtype: torch.dtype = torch.float32) -> TaskBatch:
    tasks = SinusoidTasks(support_size=10, query_size=10)
    return tasks.sample(3, torch.Generator().manual_seed(0), dtype=dtype)


def sinusoid_meta_loss(loss_fn, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """MAML's meta-loss on sinusoid tasks with ``loss_fn``, the tasks drawn in ``dtype``."""
    model = MLP((1, 8, 1))
    learner = make("maml", model, loss_fn, inner_lr=0.01)
    return learner.meta_loss(parameters_of(model), sinusoid_batch(dtype))


def one_task_without_axis(queries: int) -> TaskBatch:
    """One task's 10 support and ``queries`` query examples, its task axis forgotten."""
    batch = sinusoid_batch()
    query_x, query_y = batch.query_x[0, :queries], batch.query_y[0, :queries]
    return TaskBatch(batch.support_x[0], batch.support_y[0], query_x, query_y)


@pytest.mark.parametrize("kind", list(KINDS))
def test_bad_input_gets_a_clear_message(kind, tmp_path, capsys):
    if kind == "cuda without CUDA" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    make_mistake, message = KINDS[kind]
    text = make_mistake(tmp_path, capsys)
    assert re.search(message, text, flags=re.DOTALL), text


def test_the_audit_covers_at_least_twenty_kinds():
    assert len(KINDS) >= 20
