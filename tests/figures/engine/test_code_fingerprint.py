"""The code fingerprint changes with the module's source and what it imports, nothing else."""

from __future__ import annotations

from figures.engine.code_fingerprint import code_fingerprint, project_sources


def write_package(root):
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "claim.py").write_text("from pkg.maths import double\nimport numpy\n")
    (root / "pkg" / "maths.py").write_text(
        "from pkg import deep\ndef double(x):\n    return 2 * x\n"
    )
    (root / "pkg" / "deep.py").write_text("CONSTANT = 1\n")
    (root / "pkg" / "unrelated.py").write_text("X = 0\n")


def test_fingerprint_follows_transitive_project_imports_only(tmp_path):
    write_package(tmp_path)
    names = {path.name for path in project_sources("pkg.claim", tmp_path)}
    assert names == {"__init__.py", "claim.py", "maths.py", "deep.py"}
    before = code_fingerprint("pkg.claim", tmp_path)
    (tmp_path / "pkg" / "unrelated.py").write_text("X = 1\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint("pkg.claim", tmp_path) == before
    (tmp_path / "pkg" / "deep.py").write_text("CONSTANT = 2\n")
    code_fingerprint.cache_clear()
    assert code_fingerprint("pkg.claim", tmp_path) != before


def test_every_claim_module_reaches_the_algorithms_it_runs():
    sources = {p.as_posix() for p in project_sources("figures.claims.h2_sharp_accuracy")}
    assert any(path.endswith("algorithms/sharpness_aware.py") for path in sources)
    assert any(path.endswith("figures/claims/fewshot.py") for path in sources)
