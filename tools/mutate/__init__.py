"""Mutation score of ``logic/``: does some fast test fail when a rule is wrong?

``python -m tools.mutate`` enumerates systematic mutants of ``logic/*.lp`` with
clingo's own parser (:mod:`tools.mutate.points`: drop a body literal or a
whole rule, negate a literal, swap a comparison, move or swap an optimisation
priority, change a choice bound or an aggregate, shift a number, swap two
arguments, replace a constant …), runs the fast test layers against each in a
copy of the repository (:mod:`tools.mutate.run`; the working tree is never
written) and reports the killed fraction and every survivor with its file,
line and mutation. Survivors already looked at are listed in
``tools/mutate/known.toml`` (equivalent mutants, or open gaps); an unexplained
survivor makes the exit status 1.

    python -m tools.mutate --list                          # the mutants, no run
    python -m tools.mutate --report /tmp/mutants.json      # all of them (hours on 2 cores)
    python -m tools.mutate --sample 40 --seconds 900       # a seeded, time-bounded sample (CI)
    python -m tools.mutate --rerun /tmp/mutants.json       # the survivors of a report again
    python -m tools.mutate --show ID                       # one mutant's changed statement

See docs/testing.md#mutation-score for the layers, the outcomes and the survivors.
"""
