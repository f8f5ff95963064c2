"""The direction of the arrows (docs/architecture.md), checked by reading the imports.

The reader (``analytics/ml``: the model, its training and evaluation) must run without Django and
without the product's rules, so it can be trained, evaluated and scaled on its own; the product
calls it, never the other way round.
"""

from __future__ import annotations

import ast
from pathlib import Path

from analytics.ml import vocabulary
from analytics.ml.questions import SERVICE_WORDING
from analytics.ml.routing import RoutingInput, route_feedback
from feedback.choices import (
    PRIMARY_CARE_SERVICES,
    SAFETY_ANSWERS_FOR_CQC,
    Kind,
    RiskFlag,
    Route,
    SafetyAnswer,
    ServiceType,
)

ROOT = Path(__file__).resolve().parent.parent
READER = ROOT / "analytics" / "ml"
FORBIDDEN = ("django", "feedback", "patientview", "rest_framework", "celery")


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _module_path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _reaches(start: Path) -> dict[str, str]:
    """Forbidden modules reachable from ``start`` through this project's modules: {module: via}."""
    seen: set[Path] = set()
    bad: dict[str, str] = {}
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imports(path):
            top = module.split(".")[0]
            if top in FORBIDDEN:
                bad.setdefault(module, str(path.relative_to(ROOT)))
            elif top == "analytics":
                target = _module_path(module)
                if target is not None:
                    todo.append(target)
    return bad


def test_the_reader_imports_neither_django_nor_the_product() -> None:
    modules = sorted(READER.glob("*.py"))
    assert len(modules) > 10
    # The routing rules and the words they are written in are part of the reader.
    assert {"routing.py", "routing_phrases.py", "vocabulary.py"} <= {p.name for p in modules}
    problems = {
        str(path.relative_to(ROOT)): reached for path in modules if (reached := _reaches(path))
    }
    assert problems == {}


def test_the_walk_would_see_a_forbidden_import(tmp_path: Path) -> None:
    # The check itself: a module importing Django inside a function is caught.
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from django.conf import settings\n    return settings\n")
    assert "django.conf" in _imports(module)


def test_every_service_a_patient_can_choose_has_a_wording_for_the_reader() -> None:
    # The reader keeps its own wording (part of the model's input); a new service type needs one.
    assert set(SERVICE_WORDING) == set(ServiceType.values)


def test_the_products_choices_are_the_readers_words() -> None:
    # feedback/choices.py builds these from the reader's vocabulary; a member added on one side
    # only, or a value or quoted label written again by hand, fails here.
    pairs = (
        (Kind, vocabulary.Kind),
        (Route, vocabulary.Route),
        (RiskFlag, vocabulary.RiskFlag),
        (ServiceType, vocabulary.ServiceType),
        (SafetyAnswer, vocabulary.SafetyAnswer),
    )
    for product, reader in pairs:
        assert product.names == [member.name for member in reader], product
        assert product.values == [member.value for member in reader], product
    # The labels routing quotes in the evidence stored on an item are the product's labels.
    assert ServiceType.choices == [member.choice for member in vocabulary.ServiceType]
    assert SafetyAnswer.choices == [member.choice for member in vocabulary.SafetyAnswer]
    assert PRIMARY_CARE_SERVICES == vocabulary.PRIMARY_CARE_SERVICES
    assert SAFETY_ANSWERS_FOR_CQC == vocabulary.SAFETY_ANSWERS_FOR_CQC


def test_routing_quotes_the_labels_a_handler_reads_on_the_page() -> None:
    for service in ServiceType:
        decision = route_feedback(
            RoutingInput(text="Fine.", kind=Kind.COMPLAINT, service_type=service, has_provider=True)
        )
        assert f"service type: {service.label}" in decision.evidence
    for answer in SAFETY_ANSWERS_FOR_CQC:
        decision = route_feedback(
            RoutingInput(text="Fine.", kind=Kind.COMPLAINT, safety_answer=answer)
        )
        assert decision.route == Route.CQC
        assert decision.evidence[0] == f"patient answered: {SafetyAnswer(answer).label}"


# What the product (feedback) may use of the analytics app: the reader, the theme framework and
# redaction, all free of Django. Reporting (dashboards, exports, KO41, aggregates, tokens) reads
# the product, never the other way round.
PRODUCT_MAY_USE = ("analytics.ml", "analytics.themes", "analytics.redaction")


def test_the_product_does_not_import_reporting() -> None:
    problems = {}
    for path in sorted((ROOT / "feedback").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        used = {m for m in _imports(path) if m == "analytics" or m.startswith("analytics.")}
        wrong = sorted(m for m in used if not m.startswith(PRODUCT_MAY_USE))
        if wrong:
            problems[str(path.relative_to(ROOT))] = wrong
    assert problems == {}


def test_what_the_product_uses_of_analytics_is_free_of_django() -> None:
    for module in ("analytics.themes", "analytics.redaction"):
        path = _module_path(module)
        assert path is not None
        assert _reaches(path) == {}, module


def test_nothing_imports_the_demo_data_generator() -> None:
    """``demo`` writes synthetic items through the product's models; the product, reporting and
    the settings never depend on it."""
    problems = {}
    for package in ("feedback", "analytics", "patientview"):
        for path in sorted((ROOT / package).rglob("*.py")):
            used = sorted(m for m in _imports(path) if m == "demo" or m.startswith("demo."))
            if used:
                problems[str(path.relative_to(ROOT))] = used
    assert problems == {}


PACKAGES = ("feedback", "analytics", "demo", "patientview", "paper")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    """The project modules ``path`` imports when it is imported: its module-level imports (not
    those inside functions, nor under ``if TYPE_CHECKING``), ``from a import b`` read as the
    submodule ``a.b`` where there is one."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in PACKAGES and _module_path(n))
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycles_between_the_projects_modules() -> None:
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = _module_name(path)
            # A package's own __init__ importing its submodules is not a cycle.
            graph[name] = {m for m in _top_level_imports(path) if not m.startswith(f"{name}.")}
    assert len(graph) > 100
    assert _cycles(graph) == []


def test_the_cycle_check_would_see_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Modules stay under about 500 lines (docs/architecture.md), data tables apart.
MODULE_LINES = 520
LARGER_FOR_NOW = {
    "analytics/ml/routing_phrases.py": 520,  # data: the phrase tables
}


def test_no_module_grows_past_about_500_lines() -> None:
    too_long = {}
    for package in (*PACKAGES, "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = str(path.relative_to(ROOT))
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > LARGER_FOR_NOW.get(name, MODULE_LINES):
                too_long[name] = lines
    assert too_long == {}
