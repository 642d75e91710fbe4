"""Every claim family of the suite; importing this module registers all their claims.

Example:
    >>> from figures.catalogue import claim_ids
    >>> claim_ids()[:2]
    ['B1', 'L1']
"""

from __future__ import annotations

from figures import sinusoid, task_landscape
from figures.claims import REGISTRY

FAMILIES = (sinusoid, task_landscape)


def claim_ids() -> list[str]:
    """Ids of all registered claims, in registration order."""
    return list(REGISTRY)
