"""What the Sharp-MAML claims H1–H3 share: the paper, its four variants, the algorithm check.

Sharp-MAML (Abbas et al. 2022) puts sharpness-aware (SAM) steps of radius ρ
into MAML: the gradient of a loss L is taken at θ + ρ ∇L(θ)/‖∇L(θ)‖ instead
of at θ. ``sharp-maml-low`` does so in the inner (adaptation) step,
``sharp-maml-up`` in the outer step on the meta-loss, ``sharp-maml-both`` in
both, and ``sharp-maml-efficient`` in both with a cheaper first-order outer
ascent (``algorithms.registry``).

Example:
    >>> require_algorithms("algorithm", ("sharp-maml-up",), VARIANTS)
    >>> require_algorithms("algorithm", ("maml",), ("sharp-maml-up",))
    Traceback (most recent call last):
    ...
    ValueError: algorithm must be a non-empty tuple from ('sharp-maml-up',), got ('maml',)
"""

from __future__ import annotations

PAPER = "Abbas, Xiao, Chen, Chen, Chen 2022 (Sharp-MAML, ICML, arXiv 2206.03996)"
VARIANTS = ("sharp-maml-low", "sharp-maml-up", "sharp-maml-both", "sharp-maml-efficient")


def require_algorithms(name: str, algorithms: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """Refuse an empty ``algorithms`` or one naming an algorithm outside ``allowed``."""
    if not algorithms or any(a not in allowed for a in algorithms):
        raise ValueError(f"{name} must be a non-empty tuple from {allowed}, got {algorithms!r}")
