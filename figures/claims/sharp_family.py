"""What the Sharp-MAML claims H1–H3 share: the paper, its four variants, the algorithm check,
and the few-shot set-ups of H1 and H2 (quick, and the official code's protocol for paper).

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

from figures.claims.fewshot import SCALED_SETUPS, FewShotSetup

PAPER = "Abbas, Xiao, Chen, Chen, Chen 2022 (Sharp-MAML, ICML, arXiv 2206.03996)"
VARIANTS = ("sharp-maml-low", "sharp-maml-up", "sharp-maml-both", "sharp-maml-efficient")


def require_algorithms(name: str, algorithms: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """Refuse an empty ``algorithms`` or one naming an algorithm outside ``allowed``."""
    if not algorithms or any(a not in allowed for a in algorithms):
        raise ValueError(f"{name} must be a non-empty tuple from {allowed}, got {algorithms!r}")


QUICK_SETUP = FewShotSetup(
    queries=3,
    filters=8,
    meta_batch=4,
    iterations=80,
    test_tasks=100,
    eval_steps=(1,),
    glyph_alphabets=8,
    glyph_characters=8,
    glyph_drawings=10,
    image_size=14,
    blocks=2,
)
"""The few-shot glyph set-up of H1 and H2 at the quick scale: 8 alphabets (5 meta-trained,
2 meta-tested), 14-pixel images and a 2-block conv net, so that every arm of 5 seeds fits."""

OMNIGLOT_SETUP = SCALED_SETUPS["omniglot"]
"""H1 and H2 at the ``omniglot`` scale: the shared base (real Omniglot, 28 pixels, 4 blocks of
16 filters, 5-way 1-shot, 1 inner step, 1000 iterations, 600 test tasks)."""

PAPER_SETUP = FewShotSetup(
    queries=15,
    filters=64,
    meta_batch=4,
    iterations=60000,
    test_tasks=600,
    eval_steps=(5,),
    inner_steps=5,
    image_size=84,
    dataset="mini-imagenet",
)
"""The official Sharp-MAML code's protocol (REFERENCE.md §4): miniImageNet 5-way 1-shot at 84
pixels, 4-conv 64 channels with batch statistics, Adam 1e-3, 5 inner steps, meta-batch 4, 15
queries per class; 60000 iterations (MAML's miniImageNet length, §6: the Sharp-MAML code's is
not stated)."""
PAPER_RHO = 0.0005
PAPER_INNER_LR = 0.1
"""The official code's ρ (Mini-ImageNet 5-way 1-shot) and inner step size."""
