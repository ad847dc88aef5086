"""Independent certificates of the toolkit's proofs and numbers (arXiv 2607.02447).

* :mod:`theory.certify.smt`: a sympy inequality checked a second way, by an SMT solver for
  nonlinear real arithmetic (z3): ``unsat`` on the negation is a proof.
* :mod:`theory.certify.balls`: certified numbers in ball arithmetic (python-flint ``arb``):
  eigenvalues, the consensus rate λ and λ₂ of a mixing matrix, its stationary distribution
  and the representability vector of an Eckart–Young optimum, each with a rigorous radius.

Import the names from their modules (one home per name); this package re-exports nothing.
"""
