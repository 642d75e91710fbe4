"""The claim registry and the claim frame as units: order, unique ids, selection, results."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from figures.claims.catalogue import CLAIMS, REGISTRY, claim_ids
from figures.engine.claim import Cell, Claim, Results
from figures.engine.registry import register, registry_of, select


def claim(claim_id: str) -> Claim:
    return Claim(claim_id, "a paper", "a statement", lambda scale: [], None, None)


def test_the_registry_keeps_the_given_order_and_selects_in_it():
    registry = registry_of([claim("Z9"), claim("A1"), claim("M5")])
    assert list(registry) == ["Z9", "A1", "M5"]
    assert [c.id for c in select(registry, ["M5", "Z9"])] == ["Z9", "M5"]
    assert [c.id for c in select(registry)] == ["Z9", "A1", "M5"]


def test_a_repeated_id_and_an_unknown_id_are_refused_by_name():
    registry = registry_of([claim("A1")])
    with pytest.raises(ValueError, match="claim id 'A1' is registered twice"):
        register(registry, claim("A1"))
    with pytest.raises(ValueError, match=r"unknown claim ids \['B2'\]; known ids are \['A1'\]"):
        select(registry, ["A1", "B2"])


def test_the_catalogue_states_the_report_order():
    assert claim_ids() == [c.id for c in CLAIMS]
    assert claim_ids()[:6] == ["B1", "L1", "L2", "L3", "L4", "L5"]
    assert set(REGISTRY) == {c.id for c in CLAIMS}


@dataclass(frozen=True)
class Square:
    value: float

    def run(self, seed: int) -> dict:
        return {"square": self.value**2, "seed": seed}


@dataclass(frozen=True)
class Negative:
    value: float

    def run(self, seed: int) -> dict:
        return {"negative": -self.value}


def test_results_keep_cell_order_and_tell_experiments_apart():
    results = Results.computed([Cell(Square(2.0), 0), Cell(Negative(1.0), 0), Cell(Square(3.0), 1)])
    assert len(results) == 3 and results[1] == {"negative": -1.0}
    assert results.of(Square) == [{"square": 4.0, "seed": 0}, {"square": 9.0, "seed": 1}]
    assert results.of(Negative) == [{"negative": -1.0}]
    assert results[0:2] == [{"square": 4.0, "seed": 0}, {"negative": -1.0}]


def test_a_cell_names_the_code_that_computes_it():
    assert Cell(Square(1.0), 0).experiment_name == f"{__name__}.Square.run"
