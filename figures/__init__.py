"""Experiments, checks and figures: ``engine`` runs and reports any claim, ``claims`` holds the
papers' claims, ``commands`` is the ``mamlscape`` command."""
