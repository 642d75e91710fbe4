"""The claim engine, which knows no claim: frame, registry, runner, cache, executors, report."""
