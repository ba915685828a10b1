"""The layout's rules, checked on the source (docs/architecture.md): no import cycle (imports
inside functions and under ``TYPE_CHECKING`` included), ``agents`` imported by the library only
where it must be, and no module over 400 lines without a reason in its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("negotiator",)
#: The only library modules that may import the agents: the launcher starts agent processes,
#: the registry's loader checks strategy names, and the in-process transports run agents here.
MAY_IMPORT_AGENTS = {
    "negotiator.runtime.launcher",
    "negotiator.config.strategies",
    "negotiator.replay.inprocess",
    "negotiator.runtime.direct",
}
LINES = 400
REASON = "Longer than 400 lines"


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of ours that ``name`` imports, wherever in the file."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # the longest known module the target names (``a.b.c`` may be a name in ``a.b``)
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    # importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first
    for deps in graph.values():
        for dep in list(deps):
            parts = dep.split(".")
            deps.update(".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycle():
    graph = _graph()
    # a package that only re-exports its submodules is imported by them as a parent: not a cycle
    for name, deps in graph.items():
        for dep in list(deps):
            if name.startswith(dep + "."):
                deps.discard(dep)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_library_imports_the_agents_only_where_it_must():
    graph = _graph()
    offenders = sorted(
        name
        for name, deps in graph.items()
        if name.startswith("negotiator")
        and not name.startswith("negotiator.agents")
        and name not in MAY_IMPORT_AGENTS
        and any(d == "negotiator.agents" or d.startswith("negotiator.agents.") for d in deps)
    )
    assert offenders == []


def test_no_module_over_400_lines_without_a_reason():
    long = []
    for name, path in _modules().items():
        text = path.read_text()
        lines = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if lines > LINES and REASON not in doc:
            long.append(f"{name} ({lines} lines)")
    assert long == []


def test_the_checker_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_mediator_model_and_config_run_without_loading_the_agents():
    """The layers below the runtime load no agent code when imported (the registry's loader is
    imported when a config is validated, not when the config package is)."""
    import subprocess
    import sys

    layers = [
        "negotiator.config",
        "negotiator.model.contract",
        "negotiator.model.game",
        "negotiator.protocols.saop",
        "negotiator.io.messages",
        "negotiator.mediator.coordinator",
    ]
    code = (
        f"import sys\nfor m in {layers!r}: __import__(m)\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m == 'negotiator.agents' or m.startswith('negotiator.agents.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
