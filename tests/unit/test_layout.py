"""The layout's rules, checked on the source: which room may import which, and no circle between them.

Run alone with `python -m pytest tests/unit/test_layout.py`; `ROOMS` is the map a newcomer reads.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each room and the rooms it may import. `bot` alone means the use cases directly in bot/.
ROOMS: dict[str, set[str]] = {
    "bot.run": {"bot", "bot.search", "bot.local", "handlers", "store"},  # entry points and the composition root
    "bot.local": set(),  # the local stand-in for Slack and the signed-request driver
    "handlers": {"bot", "bot.search", "store"},  # Slack listeners, Block Kit, outbox renderers (statuses only)
    "bot": {"bot.search", "store"},  # use cases
    "bot.search": {"store"},  # the matching engine and its live index
    "store": set(),  # models, sessions, migrations
}


def room_of(module: str) -> str | None:
    """The most specific room that holds `module` (`bot.search.engine` -> `bot.search`)."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in ROOMS:
            return ".".join(parts[:size])
    return None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Every project module `path` imports, absolute or relative, at any depth of the file."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def room_graph(root: Path) -> dict[str, set[tuple[str, str]]]:
    """room -> {(imported room, "file imports module")} over bot/, handlers/ and store/ under `root`."""
    graph: dict[str, set[tuple[str, str]]] = {room: set() for room in ROOMS}
    for top in ("bot", "handlers", "store"):
        for path in sorted((root / top).rglob("*.py")):
            source = room_of(module_name(path, root))
            assert source is not None, path
            for imported in imports_of(path, root):
                target = room_of(imported)
                if target is not None and target != source:
                    graph[source].add((target, f"{path.relative_to(root)} imports {imported}"))
    return graph


def wrong_imports(graph: dict[str, set[tuple[str, str]]]) -> list[str]:
    return sorted(why for room, edges in graph.items() for target, why in edges if target not in ROOMS[room])


def find_circle(graph: dict[str, set[tuple[str, str]]]) -> list[str] | None:
    """A circle of rooms (first room repeated at the end), or None."""
    edges = {room: sorted({target for target, _ in found}) for room, found in graph.items()}
    done: set[str] = set()

    def visit(room: str, path: list[str]) -> list[str] | None:
        if room in path:
            return path[path.index(room):] + [room]
        if room in done:
            return None
        for target in edges[room]:
            if circle := visit(target, path + [room]):
                return circle
        done.add(room)
        return None

    return next((circle for room in ROOMS if (circle := visit(room, []))), None)


def test_every_import_between_rooms_goes_the_allowed_way() -> None:
    assert wrong_imports(room_graph(ROOT)) == []


def test_handlers_read_statuses_from_the_store_never_rows() -> None:
    from_store = sorted(why for target, why in room_graph(ROOT)["handlers"] if target == "store")
    assert [why for why in from_store if not why.endswith("Status") and not why.endswith("store.models")] == []


def test_the_rooms_import_no_circle() -> None:
    assert find_circle(room_graph(ROOT)) is None


def test_the_checker_reports_a_wrong_direction_and_a_circle(tmp_path: Path) -> None:
    """A use case importing a listener module (and the listener importing it back) is caught."""
    for name, source in {"bot/__init__.py": "", "bot/asking.py": "from handlers import blocks\n",
                         "handlers/__init__.py": "", "handlers/blocks.py": "from ..bot import asking\n",
                         "store/__init__.py": ""}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    graph = room_graph(tmp_path)
    assert wrong_imports(graph) == ["bot/asking.py imports handlers", "bot/asking.py imports handlers.blocks"]
    assert find_circle(graph) == ["handlers", "bot", "handlers"]
