"""Claims by id, in an order someone chose: the registry the commands select from.

A registry is a plain ``dict[str, Claim]`` (insertion order is the report's
order); :func:`registry_of` builds one and refuses a repeated id, and
:func:`select` picks claims by id with an error that lists the known ones.
The catalogue of the suite's claims (``figures.claims.catalogue``) is one.

Example:
    >>> from figures.engine.claim import Claim
    >>> claims = [Claim(i, "a paper", "a statement", list, None, None) for i in ("X1", "X2")]
    >>> [claim.id for claim in select(registry_of(claims), ["X2"])]
    ['X2']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from figures.engine.claim import Claim


def registry_of(claims: Iterable[Claim]) -> dict[str, Claim]:
    """``{id: claim}`` in the given order; ids are unique."""
    registry: dict[str, Claim] = {}
    for claim in claims:
        register(registry, claim)
    return registry


def register(registry: dict[str, Claim], claim: Claim) -> Claim:
    """Add ``claim`` at the end of ``registry``; its id must be new."""
    if claim.id in registry:
        raise ValueError(f"claim id {claim.id!r} is registered twice")
    registry[claim.id] = claim
    return claim


def select(registry: dict[str, Claim], ids: Sequence[str] | None = None) -> list[Claim]:
    """The claims with these ids (all of them for ``None``), in the registry's order."""
    if ids is None:
        return list(registry.values())
    if not ids:
        raise ValueError(
            f"no claim ids given; name at least one of {list(registry)}, or leave out the "
            "selection to run them all"
        )
    unknown = [claim_id for claim_id in ids if claim_id not in registry]
    if unknown:
        raise ValueError(f"unknown claim ids {unknown}; known ids are {list(registry)}")
    return [claim for claim_id, claim in registry.items() if claim_id in ids]
