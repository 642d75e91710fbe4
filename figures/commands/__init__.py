"""The ``mamlscape`` commands (reproduce, train, spectrum), their arguments and task families."""
