"""The papers' own few-shot numbers, to set beside the suite's measurements (REFERENCE.md §3, §4,
§6). Each entry names its source and protocol; the report shows them labelled as published
(``figures.engine.claim.Claim.published``), never as measured. They differ from the suite's
runs in protocol (filters, iterations, data), so they are context, not a target of any check.

Example:
    >>> "98.7%" in MAML_OMNIGLOT and "Finn et al. 2017" in MAML_OMNIGLOT
    True
"""

MAML_OMNIGLOT = (
    "MAML, Omniglot: 5-way 1-shot 98.7%, 20-way 1-shot 95.8% (Finn et al. 2017: 4-conv 64 "
    "filters, 60k iterations, classes augmented by rotations)"
)
FO_MAML_OMNIGLOT = (
    "FO-MAML, Omniglot: 5-way 1-shot 98.3%, 20-way 1-shot 89.4% (Finn et al. 2017, as "
    "tabulated by Rajeswaran et al. 2019)"
)
MAML_MINI_IMAGENET = (
    "miniImageNet 5-way 1-shot: MAML 48.70%, FO-MAML 48.07% (Finn et al. 2017: 4-conv 32 filters)"
)
LEARN2LEARN = (
    "learn2learn's reproductions of MAML: Omniglot 5-way 1-shot 99.1%, miniImageNet 5-way "
    "1-shot 48.3% (its examples/vision/README.md)"
)
SIGN_MAML = (
    "Sign-MAML's official run (miniImageNet 5-way 1-shot, 1 query per class, 5 inner steps, "
    "meta-batch 8, 60k iterations, 1000 test tasks): MAML 51.6%, FO-MAML 46.3%, Sign-MAML "
    "46.5%; 0.326 / 0.116 / 0.123 s per iteration in the paper, 0.319 / 0.109 / 0.120 in its "
    "logs"
)
SHARP_MAML = (
    "Sharp-MAML (revised arXiv version, after a testing-script error that had evaluated on "
    "meta-training data): about +3% over MAML on miniImageNet 5-way 1-shot (the first version "
    "and the conference listing quote +12%)"
)
