"""The parameters a config's `_target_` class takes, read from its source instead of importing it.

A key that is not in the config (`trainer.num_nodes=2`, `model.lr=3e-4`) is answered before torch and Lightning are
imported (seconds), and the answer depends on whether the class behind the key's node takes that parameter: then
`+key=value` passes it; else there is no fix to offer. The class's module is parsed with `ast`, following
`from x import Name` re-exports (`lightning.Trainer` is defined in lightning/pytorch/trainer/trainer.py).
"""

import ast
import importlib.util
from pathlib import Path

MAX_REEXPORTS = 8  # `from x import Name` hops followed before giving up


def module_source(module: str) -> Path | None:
    """The file of a dotted module, found from its top-level package's folder: `importlib.util.find_spec` of a
    submodule would import its parents (lightning's __init__ imports torch)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent if rest else Path(spec.origin)
    for index, part in enumerate(rest):
        last = index == len(rest) - 1
        if (path / part).is_dir():
            path = path / part / "__init__.py" if last else path / part
        else:
            path = path / f"{part}.py"
            if not last:
                return None
    return path if path.is_file() else None


def init_parameters(target: str) -> set[str] | None:
    """The keyword parameters of `target`'s `__init__` (a dotted class name), or None when its source cannot tell.
    An `__init__` that takes **kwargs, or none of its own, adds (or takes) its first base class's, as `super()` would
    pass them on (GAN's `**base` are AdversarialModule's)."""
    module, _, name = target.rpartition(".")
    return _parameters(module, name, MAX_REEXPORTS)


def _parameters(module: str, name: str, hops: int) -> set[str] | None:
    located = _locate(module, name, hops)
    if located is None:
        return None
    cls, module = located
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    own: set[str] = set()
    if init is not None:
        arguments = init.args
        own = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]} - {"self"}
        if arguments.kwarg is None:
            return own
    base = cls.bases[0] if cls.bases else None
    inherited = _parameters(module, base.id, hops - 1) if isinstance(base, ast.Name) and hops > 0 else None
    return None if inherited is None else own | inherited


def _locate(module: str, name: str, hops: int) -> tuple[ast.ClassDef, str] | None:
    """The class statement of `module.name` and the module that holds it, following re-exports."""
    for _ in range(hops):
        source = module_source(module)
        if source is None:
            return None
        tree = ast.parse(source.read_text(encoding="utf-8"))
        found = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
        if found is not None:
            return found, module
        imported = next(
            (
                (node, alias)
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom)
                for alias in node.names
                if (alias.asname or alias.name) == name
            ),
            None,
        )
        if imported is None:
            return None
        node, alias = imported
        module, name = _absolute(node, module, source.name == "__init__.py"), alias.name  # `import X as name`
    return None


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The dotted module a `from ... import` names, relative imports resolved against `module`."""
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])
