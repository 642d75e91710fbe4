"""A grid of experiment cells declared as data: a base config × field values × seeds.

A :class:`Sweep` names a frozen base config, the fields to vary with the values
each takes (``"mixture.distance"`` reaches into a nested config), and the
seeds. ``cells()`` expands the full product in a fixed order (axes in the order
given, the last varying fastest, seeds innermost), building every config with
``dataclasses.replace`` so each one runs its own validation.

Example:
    >>> from figures.claims.linear_gains import GainGridConfig
    >>> sweep = Sweep.over(GainGridConfig(), seeds=(0, 1), alpha=(0.5, 1.0))
    >>> [(cell.config.alpha, cell.seed) for cell in sweep.cells()]
    [(0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    >>> len(Sweep.over(GainGridConfig(), **{"mixture.distance": (1.0, 2.0)}).cells())
    2
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from figures.engine.claim import Cell


def replaced(config: Any, path: str, value: Any) -> Any:
    """``config`` with the (possibly dotted, nested) field ``path`` set to ``value``."""
    name, _, rest = path.partition(".")
    if not dataclasses.is_dataclass(config) or name not in {
        field.name for field in dataclasses.fields(config)
    }:
        known = [field.name for field in dataclasses.fields(config)]
        raise ValueError(
            f"Sweep axis {path!r}: {type(config).__name__} has no field {name!r}; "
            f"its fields are {known}"
        )
    if rest:
        inner = getattr(config, name)
        if not dataclasses.is_dataclass(inner):
            raise ValueError(
                f"Sweep axis {path!r}: {type(config).__name__}.{name} is not a config dataclass, "
                "so it has no nested fields"
            )
        value = replaced(inner, rest, value)
    return dataclasses.replace(config, **{name: value})


@dataclass(frozen=True)
class Sweep:
    """The cells ``base`` × every combination of ``axes`` values × ``seeds``.

    Args:
        base: a frozen config dataclass instance.
        axes: ``(field path, values)`` pairs; build them with :meth:`over`.
        seeds: the seeds of every grid point, distinct integers >= 0.
    """

    base: Any
    axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    seeds: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self.base) or isinstance(self.base, type):
            raise ValueError(
                f"Sweep.base must be a config dataclass instance, got {type(self.base).__name__}"
            )
        seeds = tuple(self.seeds)
        if (
            not seeds
            or any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in seeds)
            or len(set(seeds)) != len(seeds)
        ):
            raise ValueError(f"Sweep.seeds must be distinct integers >= 0, got {self.seeds!r}")
        object.__setattr__(self, "seeds", seeds)
        axes = tuple((path, tuple(values)) for path, values in self.axes)
        for path, values in axes:
            if not values:
                raise ValueError(f"Sweep axis {path!r} has no values; give at least one")
            replaced(self.base, path, values[0])
        object.__setattr__(self, "axes", axes)

    @classmethod
    def over(cls, base: Any, seeds: Sequence[int] = (0,), **axes: Sequence[Any]) -> Sweep:
        """A sweep of ``base`` over keyword axes, e.g. ``Sweep.over(config, alpha=(0.5, 1.0))``."""
        return cls(base, tuple(axes.items()), tuple(seeds))

    def configs(self) -> list[Any]:
        """Every grid point's config, in expansion order."""
        configs = []
        for values in itertools.product(*(values for _, values in self.axes)):
            config = self.base
            for (path, _), value in zip(self.axes, values):
                config = replaced(config, path, value)
            configs.append(config)
        return configs

    def cells(self) -> list[Cell]:
        """Every grid point with every seed, seeds varying fastest."""
        return [Cell(config, seed) for config in self.configs() for seed in self.seeds]
