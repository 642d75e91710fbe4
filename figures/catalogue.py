"""Every claim family of the suite; importing this module registers all their claims.

Example:
    >>> from figures.catalogue import claim_ids
    >>> {"B1", "L1", "S2", "H1"} <= set(claim_ids())
    True
"""

from __future__ import annotations

from figures import sinusoid, task_landscape
from figures.claims import REGISTRY

from figures import anil_convergence, two_layer_landscape  # isort: skip (registers after L1–L5)
from figures import fewshot_landscape, sign_maml  # isort: skip (registers after L6)
from figures import sharp_flatness  # isort: skip (registers H1 after S2, L7)
from figures import sharp_accuracy, sharp_cost  # isort: skip (registers H2, H3 after H1)
from figures import agnostic_sam_claims  # isort: skip (registers G1–G2 after H1–H3)

FAMILIES = (
    sinusoid,
    task_landscape,
    anil_convergence,
    two_layer_landscape,
    sign_maml,
    fewshot_landscape,
    sharp_flatness,
    sharp_accuracy,
    sharp_cost,
    agnostic_sam_claims,
)


def claim_ids() -> list[str]:
    """Ids of all registered claims, in registration order."""
    return list(REGISTRY)
