"""The package's shape: imports point down the layers, no import cycles, no Streamlit below the
interfaces, no module over 350 lines. Read statically with `ast` (imports inside functions count),
so nothing is imported to check it. The checker itself is tested on tiny synthetic trees."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first; a module may import its own layer and the ones below it.
LAYERS = {
    "rag": 0,  # the package __init__: process defaults only
    "rag.core": 0,
    "rag.ingest": 1,
    "rag.store": 1,  # PostgreSQL state (RAG_DATABASE_URL): stores what ingest builds
    "rag.retrieve": 2,
    "rag.analysis": 3,
    "rag.answer": 4,
    "rag.interfaces": 5,
    "app": 5,  # the Streamlit pages
    "views": 5,
    "eval": 6,
}
NAMES = {0: "core", 1: "ingest", 2: "retrieve", 3: "analysis", 4: "answer", 5: "interfaces", 6: "eval"}
INTERFACES = LAYERS["rag.interfaces"]
MAX_LINES = 350


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for rag/, eval/, app.py and views/."""
    files = [*root.glob("rag/**/*.py"), *root.glob("eval/**/*.py"), *root.glob("views/**/*.py")]
    files += [root / "app.py"] if (root / "app.py").exists() else []
    out = {}
    for path in files:
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def layer_of(module: str) -> int | None:
    """The layer of a first-party module (longest listed prefix; `rag` alone only for the package
    itself), None for third-party and unlisted modules."""
    if module == "rag":
        return LAYERS["rag"]
    prefixes = [p for p in LAYERS if p != "rag" and (module == p or module.startswith(p + "."))]
    return LAYERS[max(prefixes, key=len)] if prefixes else None


def imports(module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement in the file, at any depth."""
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:  # `from rag.answer import prompts` imports the module rag.answer.prompts
                sub = f"{base}.{alias.name}"
                out.append((sub if sub in known else base, node.lineno))
    return out


def graph(root: Path) -> tuple[dict[str, Path], dict[str, list[tuple[str, int]]]]:
    files = module_files(root)
    known = set(files)
    return files, {m: imports(m, p, known) for m, p in files.items()}


def unlayered(root: Path) -> list[str]:
    return sorted(m for m in module_files(root) if layer_of(m) is None)


def upward_imports(root: Path) -> list[str]:
    files, edges = graph(root)
    out = []
    for module, targets in sorted(edges.items()):
        here = layer_of(module)
        for target, line in targets:
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                out.append(
                    f"{files[module].relative_to(root)}:{line} ({NAMES[here]}) imports {target} ({NAMES[there]})"
                )
    return out


def streamlit_below_interfaces(root: Path) -> list[str]:
    files, edges = graph(root)
    return [
        f"{files[m].relative_to(root)}:{line} imports {target}"
        for m, targets in sorted(edges.items())
        for target, line in targets
        if target.split(".")[0] == "streamlit" and (layer_of(m) or 0) < INTERFACES
    ]


def cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of rag modules that import each other (Tarjan), plus self-imports."""
    _, edges = graph(root)
    succ = {m: sorted({t for t, _ in ts if t in edges and t.startswith("rag")}) for m, ts in edges.items()}
    succ = {m: ts for m, ts in succ.items() if m.startswith("rag")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in succ[v]:
                found.append(sorted(group))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return found


def long_files(root: Path) -> list[str]:
    out = []
    for path in sorted([*root.glob("rag/**/*.py"), *root.glob("eval/**/*.py")]):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            out.append(f"{path.relative_to(root)}: {n} lines")
    return out


# --- the project --------------------------------------------------------------------------------


def test_the_checker_reads_every_layer_of_the_project():
    modules = module_files(ROOT)
    assert {layer_of(m) for m in modules} == set(NAMES), (
        "a layer has no modules: is the scan looking in the right place?"
    )
    assert "rag.interfaces.cli" in modules and "app" in modules and "eval.command" in modules


def test_every_module_belongs_to_a_layer():
    assert unlayered(ROOT) == [], "add the new folder or module to LAYERS in tests/test_layers.py"


def test_no_module_imports_a_higher_layer():
    assert upward_imports(ROOT) == []


def test_rag_package_has_no_import_cycle():
    assert cycles(ROOT) == []


def test_no_module_below_the_interfaces_imports_streamlit():
    assert streamlit_below_interfaces(ROOT) == []


def test_no_module_in_rag_or_eval_is_over_350_lines():
    assert long_files(ROOT) == []


# --- the checker, on synthetic trees --------------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_reports_an_upward_import_even_inside_a_function(tmp_path):
    root = _tree(
        tmp_path,
        {
            "rag/__init__.py": "",
            "rag/core/__init__.py": "",
            "rag/core/text.py": "def f():\n    from rag.interfaces.cli import main\n",
            "rag/interfaces/__init__.py": "",
            "rag/interfaces/cli.py": "from rag.core import text\n",
        },
    )
    assert upward_imports(root) == ["rag/core/text.py:2 (core) imports rag.interfaces.cli (interfaces)"]


def test_checker_resolves_relative_and_submodule_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "rag/ingest/index.py": "from ..answer import prompts\nfrom . import chunking\n",
            "rag/ingest/chunking.py": "",
            "rag/answer/prompts.py": "",
        },
    )
    assert upward_imports(root) == ["rag/ingest/index.py:1 (ingest) imports rag.answer.prompts (answer)"]


def test_checker_reports_a_cycle_within_one_layer(tmp_path):
    root = _tree(
        tmp_path,
        {
            "rag/answer/a.py": "import rag.answer.b\n",
            "rag/answer/b.py": "from rag.answer import c\n",
            "rag/answer/c.py": "from rag.answer.a import x\n",
            "rag/answer/d.py": "import rag.answer.a\n",
        },
    )
    assert cycles(root) == [["rag.answer.a", "rag.answer.b", "rag.answer.c"]]


def test_checker_reports_streamlit_below_the_interfaces_only(tmp_path):
    root = _tree(
        tmp_path,
        {
            "rag/analysis/status.py": "import streamlit as st\n",
            "rag/interfaces/web/ui.py": "import streamlit as st\n",
            "app.py": "from streamlit import session_state\n",
        },
    )
    assert streamlit_below_interfaces(root) == ["rag/analysis/status.py:1 imports streamlit"]


def test_checker_reports_long_files_and_unlayered_modules(tmp_path):
    root = _tree(tmp_path, {"eval/big.py": "x = 1\n" * (MAX_LINES + 1), "rag/new_stage.py": "", "eval/ok.py": ""})
    assert long_files(root) == [f"eval/big.py: {MAX_LINES + 1} lines"]
    assert unlayered(root) == ["rag.new_stage"]
