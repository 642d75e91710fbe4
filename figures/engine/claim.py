"""The claim frame: what a checkable claim is, made of cells that carry their own experiment.

A :class:`Claim` declares

- ``id``, ``paper`` and ``statement`` (REFERENCE.md's wording),
- ``cells(scale)``: the experiment cells to run, each a frozen config and a seed;
  the config runs its own experiment, ``config.run(seed) -> dict`` of plain
  JSON-able numbers (:class:`Experiment`), so one claim can mix cells of
  several experiments (a closed form beside a simulation),
- ``check(results) -> Verdict``: all cells' numbers → PASS / FAIL / INCONCLUSIVE
  with a sentence saying why and the :class:`Evidence` that decided it (the
  statistic, over how many seeds, and the smallest effect it could resolve);
  ``results.of(ConfigType)`` picks the results of one experiment,
- ``figure(results) -> matplotlib Figure``,
- ``kind``: a *paper claim* (what a paper asserts, checked on its protocol)
  or an *implementation check* (an identity that only a bug can break: a
  closed form, a bound that holds by theorem); the report keeps them apart;
- ``scales``: the scales it runs at: ``GENERAL_SCALES`` (smoke, quick,
  paper), plus ``omniglot`` for the image claims, which then run on the real
  Omniglot the user gives.

The runner (``figures.engine.runner``) executes cells and caches each result
by the hash of its config; the report (``figures.engine.report``) is drawn
from the cache. A check must be able to fail: the tests feed every claim a
deliberately wrong variant and expect the verdict to flip.

Example:
    >>> from dataclasses import dataclass, field
    >>> @dataclass(frozen=True)
    ... class Doubling:
    ...     value: float = 1.5
    ...     def run(self, seed):
    ...         return {"double": 2 * self.value + seed}
    >>> results = Results.computed([Cell(Doubling(), 0), Cell(Doubling(2.0), 1)])
    >>> [result["double"] for result in results.of(Doubling)]
    [3.0, 5.0]
    >>> verdict = Verdict.from_condition(results[1]["double"] > 4, "5.0 exceeds 4")
    >>> verdict.status, verdict.reason
    ('PASS', '5.0 exceeds 4')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, overload

from matplotlib.figure import Figure

from figures.engine.cell_state import cell_state

Status = Literal["PASS", "FAIL", "INCONCLUSIVE"]
Kind = Literal["paper claim", "implementation check"]
SCALES = ("smoke", "quick", "omniglot", "paper")
PIPELINE_SCALES = ("smoke",)
GENERAL_SCALES = ("smoke", "quick", "paper")
"""The scales every claim has; ``omniglot`` (real Omniglot, given by the user) only the
image claims, which declare ``scales=SCALES``."""


class Experiment(Protocol):
    """A frozen, JSON-able config dataclass that runs its own experiment for a seed."""

    def run(self, seed: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Evidence:
    """What decided a verdict.

    ``statistic`` names the deciding number and how it is summarised (e.g.
    "seed-paired difference of meta-test accuracy, mean and 95% t
    interval"), ``seeds`` says over how many seeds (1 for a deterministic
    computation), and ``resolvable`` the smallest effect the check could
    have resolved (e.g. "±0.012 accuracy": the interval half-width).
    """

    statistic: str
    seeds: int
    resolvable: str

    def as_dict(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "seeds": self.seeds, "resolvable": self.resolvable}


@dataclass(frozen=True)
class Verdict:
    """A check's outcome, the deciding numbers in one sentence, and the evidence that decided it.

    ``parts`` are the named sub-verdicts a claim is made of (A2 at each inner
    step size, S2's cost and accuracy): the report lists each with its own
    status, so a sub-verdict FAIL is never buried in a paragraph; build such
    a verdict with :meth:`all_of`. ``details`` holds numbers shown for context
    that did not decide anything (published values, unjudged diagnostics).
    """

    status: Status
    reason: str
    evidence: Evidence | None = None
    parts: tuple[tuple[str, Verdict], ...] = ()
    details: str = ""

    @classmethod
    def from_condition(cls, passed: bool, reason: str, evidence: Evidence | None = None) -> Verdict:
        return cls("PASS" if passed else "FAIL", reason, evidence)

    @classmethod
    def all_of(
        cls, parts: Sequence[tuple[str, Verdict]], evidence: Evidence, details: str = ""
    ) -> Verdict:
        """FAIL if any part FAILS, PASS if every part PASSES, else INCONCLUSIVE; the reason
        names each part's status, the parts keep their own reasons.

        >>> ok, bad = Verdict("PASS", "2 > 1"), Verdict("FAIL", "0 < 1")
        >>> Verdict.all_of([("cost", ok), ("accuracy", bad)], Evidence("x", 5, "±1")).reason
        'cost: PASS; accuracy: FAIL'
        """
        statuses = {verdict.status for _, verdict in parts}
        status: Status = (
            "FAIL" if "FAIL" in statuses else "PASS" if statuses == {"PASS"} else "INCONCLUSIVE"
        )
        reason = "; ".join(f"{label}: {verdict.status}" for label, verdict in parts)
        return cls(status, reason, evidence, tuple(parts), details)

    @property
    def explanation(self) -> str:
        """Everything the verdict says in one string: its reason, each part's explanation,
        then its details."""
        parts = [f"{label}: {part.status}, {part.explanation}" for label, part in self.parts]
        return "; ".join([self.reason, *parts, *([self.details] if self.details else [])])

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"status": self.status, "reason": self.reason}
        if self.evidence is not None:
            entry["evidence"] = self.evidence.as_dict()
        if self.parts:
            entry["parts"] = [{"label": label, **part.as_dict()} for label, part in self.parts]
        if self.details:
            entry["details"] = self.details
        return entry


@dataclass(frozen=True)
class Cell:
    """One experiment run: a config that runs its own experiment, and a seed.

    ``state_dir`` (set by the runner, not part of what the cell is) is where the
    running cell may keep partial state (``figures.engine.cell_state``).
    """

    config: Experiment
    seed: int
    state_dir: str | None = field(default=None, compare=False)

    @property
    def experiment_name(self) -> str:
        """``module.Config.run``: which code computes this cell (part of its cache key)."""
        kind = type(self.config)
        return f"{kind.__module__}.{kind.__qualname__}.run"

    def run(self) -> dict[str, Any]:
        with cell_state(self.state_dir):
            return self.config.run(self.seed)


class Results(Sequence[dict[str, Any]]):
    """A claim's cell results in cell order, each remembering the config type that made it."""

    def __init__(self, made: Iterable[tuple[type, dict[str, Any]]]) -> None:
        self._made = list(made)

    @classmethod
    def computed(cls, cells: Iterable[Cell]) -> Results:
        """Run ``cells`` here and keep their results as the report sees them (JSON round trip)."""
        return cls((type(cell.config), json.loads(json.dumps(cell.run()))) for cell in cells)

    def of(self, config_type: type) -> list[dict[str, Any]]:
        """The results of the cells whose config is a ``config_type``."""
        return [result for kind, result in self._made if issubclass(kind, config_type)]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [result for _, result in self._made[index]]
        return self._made[index][1]

    def __len__(self) -> int:
        return len(self._made)


@dataclass(frozen=True)
class Claim:
    """A claim of a paper, with the cells that test it, the check that judges them and a figure;
    ``published`` holds the papers' own numbers to set beside ours, each with its source and
    protocol (the report shows them labelled as published, never as measured)."""

    id: str
    paper: str
    statement: str
    cells: Callable[[str], list[Cell]]
    check: Callable[[Results], Verdict]
    figure: Callable[[Results], Figure]
    kind: Kind = "paper claim"
    scales: tuple[str, ...] = GENERAL_SCALES
    published: tuple[str, ...] = ()

    def cells_at(self, scale: str) -> list[Cell]:
        """``cells(scale)``, refusing a scale this claim does not have."""
        if check_scale(scale) not in self.scales:
            raise ValueError(
                f"claim {self.id} has no {scale!r} scale (its scales: {list(self.scales)}); "
                f"the {scale!r} scale runs the image claims only: leave {self.id} out of "
                "--claims or pick another --scale"
            )
        return self.cells(scale)


def check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return scale
