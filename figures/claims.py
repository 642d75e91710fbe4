"""The claim frame: what a checkable claim is, and the registry of all of them.

A :class:`Claim` declares

- ``id``, ``paper`` and ``statement`` (REFERENCE.md's wording),
- ``cells(scale)``: the experiment cells to run, each a frozen config and a seed,
- ``experiment(config, seed) -> dict``: one cell's plain JSON-able numbers,
- ``check(results) -> Verdict``: all cells' numbers → PASS / FAIL / INCONCLUSIVE
  with a sentence saying why,
- ``figure(results) -> matplotlib Figure``.

The runner (``figures.runner``) executes cells and caches each result by the
hash of its config; the report (``figures.report``) is drawn from the cache.
A check must be able to fail: the tests feed every claim a deliberately
wrong variant and expect the verdict to flip.

Example:
    >>> verdict = Verdict.from_condition(2.0 > 1.0, "ratio 2.0 exceeds 1")
    >>> verdict.status, verdict.reason
    ('PASS', 'ratio 2.0 exceeds 1')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.figure import Figure

Status = Literal["PASS", "FAIL", "INCONCLUSIVE"]
SCALES = ("smoke", "quick", "paper")
Results = Sequence[dict[str, Any]]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check and the reason for it, in one sentence."""

    status: Status
    reason: str

    @classmethod
    def from_condition(cls, passed: bool, reason: str) -> Verdict:
        return cls("PASS" if passed else "FAIL", reason)

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class Cell:
    """One experiment run: a frozen, JSON-able config dataclass and a seed."""

    config: Any
    seed: int


@dataclass(frozen=True)
class Claim:
    """A claim of a paper, with the experiment that tests it and the check that judges it."""

    id: str
    paper: str
    statement: str
    cells: Callable[[str], list[Cell]]
    experiment: Callable[[Any, int], dict[str, Any]]
    check: Callable[[Results], Verdict]
    figure: Callable[[Results], Figure]


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add ``claim`` to the registry; ids are unique."""
    if claim.id in REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    REGISTRY[claim.id] = claim
    return claim


def select(ids: Sequence[str] | None = None) -> list[Claim]:
    """The registered claims with these ids (all of them for ``None``), in registry order."""
    if ids is None:
        return list(REGISTRY.values())
    unknown = [claim_id for claim_id in ids if claim_id not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown claim ids {unknown}; known ids are {list(REGISTRY)}")
    return [REGISTRY[claim_id] for claim_id in REGISTRY if claim_id in ids]


def check_scale(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    return scale
