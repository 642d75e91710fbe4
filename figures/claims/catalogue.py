"""Every claim of the suite, in the order the report lists them.

The order is stated here, not left to imports: papers in the order the
suite grew (MAML's sinusoids, Collins et al.'s landscape, Ji et al.'s ANIL,
the two-layer and image landscape, Sign-MAML, Sharp-MAML, Agnostic-SAM),
then the implementation checks (identities that only a bug can break), which
the report lists in a section of their own. A new claim is one module in
``figures/claims`` that defines a ``Claim``, added to ``CLAIMS`` below.

Example:
    >>> claim_ids()[:3]
    ['B1', 'L1', 'L2']
    >>> [claim.id for claim in select(["H1", "B1"])]
    ['B1', 'H1']
    >>> [claim.id for claim in CLAIMS if claim.kind == "implementation check"]
    ['L2-closed-form', 'L3-table', 'L5-bound', 'A4', 'S1']
"""

from __future__ import annotations

from collections.abc import Sequence

from figures.claims.a1_convex_convergence import A1
from figures.claims.a2_nonconvex_convergence import A2
from figures.claims.a3_anil_cost import A3
from figures.claims.a4_inner_jacobian import A4
from figures.claims.b1_sinusoid import B1
from figures.claims.g1_label_noise import G1
from figures.claims.g2_agnostic_inner_rule import G2
from figures.claims.h1_sharp_flatness import H1
from figures.claims.h2_sharp_accuracy import H2
from figures.claims.h3_sharp_cost import H3
from figures.claims.l1_minimisers import L1
from figures.claims.l2_equal_hardness import L2, L2_CLOSED_FORM
from figures.claims.l3_gain_growth import L3, L3_TABLE
from figures.claims.l4_finite_samples import L4
from figures.claims.l5_conditioning import L5, L5_BOUND
from figures.claims.l6_two_layer import L6, L6i
from figures.claims.l7_fewshot_landscape import L7
from figures.claims.s1_sign_jacobian import S1
from figures.claims.s2_sign_maml import S2
from figures.engine import registry
from figures.engine.claim import Claim

PAPER_CLAIMS = (B1, L1, L2, L3, L4, L5, A1, A2, A3, L6, L6i, L7, S2, H1, H2, H3, G1, G2)
IMPLEMENTATION_CHECKS = (L2_CLOSED_FORM, L3_TABLE, L5_BOUND, A4, S1)
CLAIMS = PAPER_CLAIMS + IMPLEMENTATION_CHECKS
REGISTRY = registry.registry_of(CLAIMS)
"""``{id: claim}`` in ``CLAIMS`` order; tests may add claims of their own."""


def claim_ids() -> list[str]:
    """Ids of all registered claims, in the report's order."""
    return list(REGISTRY)


def select(ids: Sequence[str] | None = None) -> list[Claim]:
    """The registered claims with these ids (all for ``None``), in the report's order."""
    return registry.select(REGISTRY, ids)
