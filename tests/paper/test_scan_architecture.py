"""The form reader (paper/scan) runs without Django or the product, as the bench and a worker
of its own would run it: it imports no Django, feedback, paper app code or Celery."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCAN = ROOT / "paper" / "scan"
FORBIDDEN = ("django", "feedback", "patientview", "rest_framework", "celery", "analytics")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_form_reader_imports_no_django_and_no_product_code():
    modules = sorted(SCAN.glob("*.py"))
    assert {"layout.py", "printing.py", "reader.py", "synthetic.py"} <= {p.name for p in modules}
    for path in modules:
        for module in _imports(path):
            top = module.split(".")[0]
            assert top not in FORBIDDEN, (path.name, module)
            if top == "paper":
                assert module.startswith("paper.scan"), (path.name, module)
