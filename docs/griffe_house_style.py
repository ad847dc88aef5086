"""Griffe extension: read the house docstring style as Google style with Markdown.

Two rewrites, made before mkdocstrings renders a docstring:

* ``Example:`` becomes ``Examples:``. The docstrings of ``theory`` and ``sims`` head their
  doctested example with the singular; Google style spells the section ``Examples:``. Without
  the rename the example would be rendered as prose, and doctest output such as
  ``['mask', 'verify']`` would be read as Markdown link references.
* Sphinx's Python roles (``:func:`solve```, ``:class:`~sims.run.RunResult```, ``:mod:``,
  ``:meth:``, ``:attr:``, ``:data:``, ``:exc:``, ``:obj:``, ``:const:``) become cross-references
  to the API pages, shown as code. The target is resolved the way Python resolves the name in
  the docstring's module (``solve`` there may be ``theory.solve.solve``, imported); a leading
  ``~`` shows only the last part of the name, as in Sphinx. The reference is *optional*
  (mkdocs-autorefs' ``<autoref ... optional>``): a target that has no entry in the site (a
  private helper, a name from another library) is shown as plain code instead of failing the
  build. A few other roles (``:envvar:``, ``:file:``, ...) become plain code spans.
* ``:math:`TeX``` becomes ``\\(TeX\\)``, which pymdownx.arithmatex marks as maths and the build
  typesets with KaTeX (``docs/gen_pages.py``): a docstring's formula reads as typeset maths on
  its API page, and as its TeX in ``help()``.

And one rule of what the API pages show. mkdocstrings shows a module's imported names only
when ``__all__`` lists them; a package without ``__all__`` whose ``__init__`` re-exports a
public name from one of its private modules (``theory.finite_sample.CG_TOL``, defined in
``theory/finite_sample/_solvers.py``) would leave that name on no page at all, since private
modules get none. Such a re-export is marked public, so it is shown in the package's page.
"""

from __future__ import annotations

import html
import re

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)

#: roles of Sphinx's Python domain, written ``:func:`` or ``:py:func:``
PY_ROLES = ("func", "class", "mod", "meth", "attr", "data", "exc", "obj", "const")
#: other roles whose text is shown as code, without a link
CODE_ROLES = ("envvar", "file", "command", "program", "option", "samp", "code")
#: the role whose text is TeX, typeset on the page
MATH_ROLE = "math"
_ROLE = re.compile(
    r"(?<![\w`]):(?:py:)?(?P<role>"
    + "|".join(PY_ROLES + CODE_ROLES + (MATH_ROLE,))
    + r"):`(?P<text>[^`]+)`"
)
# doctest lines are code: a role there is what the code prints, not a reference
_DOCTEST = re.compile(r"^\s*(>>>|\.\.\.)( |$)")


def _reexport_from_private(name: str, target: str) -> bool:
    """Whether ``name``, imported from ``target``, is a public name from a private module."""
    module, _, defined = target.rpartition(".")
    return (
        not name.startswith("_")
        and not defined.startswith("_")
        and any(part.startswith("_") for part in module.split("."))
        and not module.startswith("__")  # from __future__ import annotations
    )


def _target(obj: griffe.Object, name: str) -> str:
    """The full dotted path of ``name`` as written in ``obj``'s docstring (``name`` if unknown)."""
    head, _, rest = name.partition(".")
    try:
        path = obj.resolve(head)
    except Exception:  # noqa: BLE001 - griffe raises NameResolutionError, or others on odd input
        return name
    return f"{path}.{rest}" if rest else path


def role_markdown(role: str, text: str, obj: griffe.Object | None = None) -> str:
    """The Markdown (with inline HTML) that replaces one ``:role:`text``` of ``obj``'s docstring."""
    text = text.strip()
    if role == MATH_ROLE:
        return f"\\({text}\\)"
    explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text)  # :func:`title <target>`
    if explicit:
        title, name = explicit.group(1), explicit.group(2)
    else:
        shown = text.lstrip("~").removesuffix("()")
        title = shown.rsplit(".", 1)[-1] if text.startswith("~") else shown
        if text.endswith("()"):
            title += "()"
        name = shown
    # a code span, not <code>: Markdown would read __init__ between HTML tags as bold
    code = f"`` {title} ``" if "`" in title else f"`{title}`"
    if role in CODE_ROLES:
        return code
    name = name.lstrip("~").removesuffix("()")
    target = name if obj is None or name.startswith(("theory.", "sims.")) else _target(obj, name)
    return f'<autoref identifier="{html.escape(target)}" optional>{code}</autoref>'


def convert_roles(docstring: str, obj: griffe.Object | None = None) -> str:
    """``docstring`` with every Sphinx role replaced (doctest lines are left as they are)."""
    if ":`" not in docstring:
        return docstring
    lines = docstring.splitlines(keepends=True)
    for k, line in enumerate(lines):
        if ":`" in line and not _DOCTEST.match(line):
            lines[k] = _ROLE.sub(lambda m: role_markdown(m["role"], m["text"], obj), line)
    return "".join(lines)


class HouseStyle(griffe.Extension):
    """Rename ``Example:`` sections and convert Sphinx roles before a docstring is parsed."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        # after the whole package is loaded, so that a name defined further down its module,
        # or in a sibling module, resolves
        seen: set[int] = set()

        def visit(obj: griffe.Object) -> None:
            if id(obj) in seen:
                return
            seen.add(id(obj))
            if obj.docstring is not None:
                obj.docstring.value = convert_roles(obj.docstring.value, obj)
            if obj.is_module and str(obj.filepath).endswith("__init__.py") and not obj.exports:
                for name, member in obj.members.items():
                    if member.is_alias and _reexport_from_private(name, member.target_path):
                        member.public = True
            for member in obj.members.values():
                if not member.is_alias:
                    visit(member)

        visit(pkg)
