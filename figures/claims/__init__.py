"""The papers' claims, one claim (or a tightly shared pair) per module, in catalogue order."""
