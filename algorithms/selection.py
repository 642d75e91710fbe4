"""Which parameters adapt in the inner loop.

- ``"all"``: every parameter (MAML, FO-MAML, Sign-MAML; NAL at test time).
- ``"head"``: the parameters of the model's last submodule that owns
  parameters (ANIL, Raghu et al. 2019: the body φ moves only in the outer loop).
- a tuple of name prefixes, e.g. ``("classifier.",)``: the parameters whose
  names start with one of them.

Example:
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    >>> adapted_names(model, "head")
    ('2.weight', '2.bias')
"""

from __future__ import annotations

from torch import nn

Selection = str | tuple[str, ...]


def adapted_names(model: nn.Module, selection: Selection) -> tuple[str, ...]:
    """The names of the parameters that ``selection`` adapts, in the model's order."""
    names = tuple(name for name, _ in model.named_parameters())
    if selection == "all":
        return names
    if selection == "head":
        return _head_names(model)
    if isinstance(selection, tuple) and selection and all(isinstance(p, str) for p in selection):
        chosen = tuple(name for name in names if name.startswith(selection))
        if not chosen:
            raise ValueError(
                f"no parameter of {type(model).__name__} starts with any of {selection}; "
                f"its parameters are {list(names)}"
            )
        return chosen
    raise ValueError(
        f"adapt must be 'all', 'head' or a non-empty tuple of parameter-name prefixes, "
        f"got {selection!r}"
    )


def _head_names(model: nn.Module) -> tuple[str, ...]:
    owners = [
        (prefix, module)
        for prefix, module in model.named_modules()
        if any(True for _ in module.parameters(recurse=False))
    ]
    if not owners:
        raise ValueError(f"{type(model).__name__} has no parameters to adapt")
    prefix, head = owners[-1]
    return tuple(
        f"{prefix}.{name}" if prefix else name for name, _ in head.named_parameters(recurse=False)
    )
