#!/usr/bin/python3
"""Generate reference test vectors (paired.json) for coalmine's paired statistics (shadow mode).

Run with Debian's interpreter:   /usr/bin/python3 make_paired_vectors.py
Requires (Debian bookworm packages): python3-scipy python3-numpy python3-statsmodels

Deterministic, like make_vectors.py: inputs come from numpy.random.default_rng(<fixed seed>) and
are rounded before any statistic is computed, and no timestamps are written, so re-running with
the same library versions gives a byte-identical file.
"""
import json
import math
import os
import platform

import numpy as np
import scipy
import scipy.special as sp
import scipy.stats as st
import statsmodels
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "paired.json")


def F(x):
    x = float(x)
    if not math.isfinite(x):
        raise ValueError("non-finite value in vectors: %r" % x)
    return x


def mcnemar_cases():
    """b: pairs stable got right and the shadow wrong; c: the other way round."""
    rng = np.random.default_rng(2201)
    pairs = [(0, 0), (0, 1), (1, 0), (3, 3), (5, 0), (0, 7), (12, 4), (4, 12), (25, 25), (40, 22), (150, 120), (600, 540), (1200, 1100)]
    for _ in range(20):
        n = int(rng.integers(1, 400))
        b = int(rng.integers(0, n + 1))
        pairs.append((b, n - b))
    cases = []
    for b, c in pairs:
        n = b + c
        # statsmodels: exact two-sided p = min(1, 2 * binom.cdf(min(b, c), n, 0.5)).
        table = [[50, b], [c, 30]]
        exact = mcnemar(table, exact=True).pvalue
        k = min(b, c)
        mid = min(1.0, 2 * st.binom.cdf(k, n, 0.5) - st.binom.pmf(k, n, 0.5)) if n > 0 else 1.0
        # One-sided, the shadow worse (b > c): P(X >= b), and its mid-p P(X > b) + P(X = b) / 2.
        greater = st.binom.sf(b - 1, n, 0.5) if n > 0 else 1.0
        greater_mid = (st.binom.sf(b, n, 0.5) + 0.5 * st.binom.pmf(b, n, 0.5)) if n > 0 else 1.0
        cases.append({"b": b, "c": c, "exact_two_sided": F(exact), "mid_p_two_sided": F(mid), "exact_greater": F(greater), "mid_p_greater": F(greater_mid)})
    return {
        "description": "McNemar's test on the discordant pairs of a paired accuracy comparison: exact (statsmodels.stats.contingency_tables.mcnemar(exact=True)), mid-p (2*binom.cdf(k)-binom.pmf(k), k=min(b,c)), and one-sided 'greater' = the shadow worse (b > c): binom.sf(b-1) and mid-p binom.sf(b)+pmf(b)/2, all with n=b+c, p=0.5",
        "cases": cases,
    }


def sequential_cases():
    """The always-valid one-sided test: a Beta(a, a) mixture over p = P(shadow worse | discordant), truncated to p > 1/2."""
    cases = []
    for a in (0.5, 1.0, 5.0, 20.0):
        for b, c in [(0, 0), (3, 0), (10, 2), (30, 20), (60, 30), (100, 100), (5, 40), (400, 330)]:
            n = b + c
            log_mix = sp.betaln(a + b, a + c) - sp.betaln(a, a)
            tail = sp.betainc(a + b, a + c, 0.5)  # regularized I_{1/2}
            upper = 1 - tail  # mass of the posterior above 1/2
            log_lambda = log_mix + math.log(upper) - math.log(0.5) - n * math.log(0.5)
            cases.append({"a": a, "b": b, "c": c, "log_lambda": F(log_lambda)})
    return {
        "description": "log of the mixture likelihood ratio Lambda_n = [B(a+b, a+c)/B(a, a)] * [(1 - I_0.5(a+b, a+c)) / (1/2)] / 0.5^(b+c), scipy.special.betaln and betainc; under H0 (p = 1/2) it is a nonnegative martingale, so rejecting once Lambda >= 1/alpha keeps P(ever rejecting) <= alpha",
        "cases": cases,
    }


def paired_t_cases():
    rng = np.random.default_rng(2202)
    cases = []
    for n, shift, sd in [(2, 0.5, 1.0), (5, 0.0, 1.0), (12, 0.3, 0.5), (30, -0.2, 2.0), (100, 1.5, 10.0), (400, 0.05, 1.0), (2000, 0.0, 3.0)]:
        x = [round(float(v), 4) for v in rng.normal(10, sd, n)]
        y = [round(xi + float(d), 4) for xi, d in zip(x, rng.normal(shift, sd / 2, n))]
        d = [yi - xi for xi, yi in zip(x, y)]
        for alt in ("two-sided", "greater", "less"):
            r = st.ttest_rel(y, x, alternative=alt)
            cases.append({"x": x, "y": y, "alternative": alt, "t": F(r.statistic), "p": F(r.pvalue), "df": n - 1, "mean_diff": F(np.mean(d))})
    return {
        "description": "paired t-test, scipy.stats.ttest_rel(y, x, alternative): 'greater' = y (the shadow) larger than x (stable)",
        "cases": cases,
    }


def wilson_cases():
    cases = []
    for count, nobs in [(0, 1), (1, 1), (0, 20), (20, 20), (9, 10), (50, 100), (97, 100), (980, 1000), (9990, 10000), (3, 7)]:
        for alpha in (0.05, 0.01):
            lo, hi = proportion_confint(count, nobs, alpha=alpha, method="wilson")
            cases.append({"count": count, "nobs": nobs, "alpha": alpha, "lower": F(lo), "upper": F(hi)})
    return {"description": "agreement rate interval: statsmodels.stats.proportion.proportion_confint(count, nobs, alpha, method='wilson')", "cases": cases}


def main():
    out = {
        "generated_with": {"python": platform.python_version(), "scipy": scipy.__version__, "numpy": np.__version__, "statsmodels": statsmodels.__version__},
        "mcnemar": mcnemar_cases(),
        "mcnemar_sequential": sequential_cases(),
        "paired_t": paired_t_cases(),
        "wilson": wilson_cases(),
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1, allow_nan=False)
        fh.write("\n")
    print("case counts:", json.dumps({k: len(v["cases"]) for k, v in out.items() if isinstance(v, dict) and "cases" in v}))


if __name__ == "__main__":
    main()
