"""Experiments, checks and figures: one module per claim family, plus the ``mamlscape`` command."""
