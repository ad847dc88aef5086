r"""Track A's frameworks and bound methods, one value each (Thms 4.2, 4.3 of arXiv 2607.02447;
docs/theory/track_a.md §1).

A *framework* is how the clients' objectives are combined: ``local`` (each client alone; item 1
of Thms 4.2/4.3 bounds :math:`r_{(i,k)}` for :math:`k \in [N] \setminus \{i\}`), ``decl`` (DecL:
the neighbourhood average over a graph, Eqs. 27–30, whose bound reads :math:`|\bar A|` and whose
objective the graph's π weights) and ``fl`` (FL: the uniform average :math:`1/N`, whose
denominator subtracts :math:`\Theta(d^{7/20})`). A *bound method*
is MIM (Thm 4.2) or CL with similar or dissimilar views (Thm 4.3). Code looks a name up once
(:func:`framework_of`, :func:`bound_method_of`) and reads the properties of the value; it does
not compare names.
"""

from __future__ import annotations

import dataclasses

from theory import _validate as v


@dataclasses.dataclass(frozen=True)
class Framework:
    r"""One framework: what the bounds and the exact optima read of it.

    ``per_client``: each client solves its own objective and the bound covers its
    :math:`r_{(i,k)}`, :math:`k \ne i` (local); otherwise one objective over all clients covers
    :math:`r_k`, :math:`k \in [N]`.
    ``has_graph``: the objective averages over a graph's neighbourhoods, so the bound needs
    :math:`|\bar A|` and the objective the graph's weights π (DecL, Eqs. 27–30).
    ``has_theta_term``: the bound's denominator subtracts :math:`\Theta(d^{7/20})`, which the
    constants :math:`C_F` or :math:`C_N` spell (FL, Thm 4.2 item 2, Thm 4.3 item 3).
    """

    name: str
    per_client: bool
    has_graph: bool
    has_theta_term: bool


FRAMEWORKS = {
    "local": Framework("local", per_client=True, has_graph=False, has_theta_term=False),
    "decl": Framework("decl", per_client=False, has_graph=True, has_theta_term=False),
    "fl": Framework("fl", per_client=False, has_graph=False, has_theta_term=True),
}
#: the framework names, in the order of every Track A table
FRAMEWORK_NAMES = tuple(FRAMEWORKS)


def framework_of(name: str, field: str = "framework") -> Framework:
    """The :class:`Framework` called ``name`` (a one-line ValueError naming ``field`` otherwise).

    >>> framework_of("decl").has_graph, framework_of("local").per_client
    (True, True)
    """
    return FRAMEWORKS[v.choice(name, field, FRAMEWORK_NAMES)]


@dataclasses.dataclass(frozen=True)
class BoundMethod:
    r"""One method of the Track A bounds.

    ``contrastive``: CL (Thm 4.3, errors :math:`O(d^{-1/5})`) rather than MIM (Thm 4.2,
    :math:`O(d^{-2/5})`).
    ``takes_transform``: the second view is the transform H, so :math:`\operatorname{tr}(H)`
    (Assumption A.9) is the signal coefficient (dissimilar CL).
    ``exact_methods``: the exact-model methods (:mod:`theory.objectives`) the bound is read
    against, the default first.
    """

    name: str
    contrastive: bool
    takes_transform: bool
    exact_methods: tuple


BOUND_METHODS = {
    "mim": BoundMethod(
        "mim",
        contrastive=False,
        takes_transform=False,
        exact_methods=("mim", "mim-independent", "mim-recon", "mim-paper"),
    ),
    "cl_similar": BoundMethod(
        "cl_similar", contrastive=True, takes_transform=False, exact_methods=("cl",)
    ),
    "cl_dissimilar": BoundMethod(
        "cl_dissimilar", contrastive=True, takes_transform=True, exact_methods=("cl-dissimilar",)
    ),
}
#: the bound method names, in the order of every Track A table
BOUND_METHOD_NAMES = tuple(BOUND_METHODS)
#: exact-model method -> the Track A bound it is compared with
BOUND_OF_EXACT = {e: m.name for m in BOUND_METHODS.values() for e in m.exact_methods}


def bound_method_of(name: str, field: str = "method") -> BoundMethod:
    """The :class:`BoundMethod` called ``name`` (a one-line ValueError naming ``field``).

    >>> bound_method_of("cl_dissimilar").takes_transform, bound_method_of("mim").contrastive
    (True, False)
    """
    return BOUND_METHODS[v.choice(name, field, BOUND_METHOD_NAMES)]
