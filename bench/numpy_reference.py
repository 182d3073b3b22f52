#!/usr/bin/env python3
"""An independent, vectorised numpy implementation of Dealcast's models, for the benchmark of issue #8.

What it implements
    The five built-in modules of Dealcast on a scenario file (by default the embedded default scenario,
    datasets/amazon-openai-2026.yaml), written from the equations of docs/models/*.md:
    regulatory_risk, capex_return, cloud_revenue_growth, supplier_dependence and partnership_outcome,
    with every metric each doc lists (series are not kept). The scenario's YAML is parsed here, with
    the amounts and units of docs/scenario-format.md section 5 and the distribution forms of section 7
    that the bundled scenarios use (fixed amounts, `a to b`, uniform, normal, lognormal in its three
    forms, triangular, pert, beta, gamma, bernoulli, discrete, empirical lists and CSV columns, and
    truncated). Anything else stops with a clear error. The cloud_revenue_growth baseline is the AR(1)
    on year-over-year log growth, fitted with np.linalg.lstsq on the history CSV, with parameter
    uncertainty drawn from the normal–inverse-χ² posterior as the doc describes.

    All arithmetic is on whole arrays of trials; Python loops run only over years, quarters,
    jurisdictions, cohorts, contracts and vendors.

Deliberate differences from Dealcast
    * Random numbers: numpy.random.Generator(PCG64), one generator per chunk of trials seeded by its own
      SeedSequence child (chunk i always gets child i of SeedSequence(seed), so the numbers depend on
      the seed and --chunk-size but not on --workers). Dealcast uses GSL's taus2 streams keyed by name
      per block of 4096 trials. The two therefore agree in distribution, not draw for draw: compare
      them with the standard errors (`compare`). Inputs are drawn independently with numpy's samplers
      (the equivalent of Dealcast's `--sampling random`, not its default Latin hypercube). Chunks are
      2^14 trials by default: measured as fast as 2^16 per trial, and they balance two workers better.
    * Correlations (`correlations:` in the scenario) are imposed with a Gaussian copula: the written
      Spearman ranks ρ_s become Pearson correlations 2 sin(π ρ_s / 6) of normal scores, which are
      drawn with a Cholesky factor and mapped through Φ and each input's inverse CDF (scipy.special).
      Dealcast's default is Iman–Conover (`--correlation copula` is the closest match). A matrix that
      is not positive definite stops the run. Neither bundled scenario has correlations.
    * Statistics: per chunk, each metric's count of defined (finite) values, sum and sum of squared
      deviations from the chunk mean, combined across chunks with Chan et al.'s parallel formula, so
      memory stays bounded at any trial count. Percentiles are not computed.
    * The scenario is not validated beyond what the computation needs (Dealcast's `validate` does that).

How to run
    python3 bench/numpy_reference.py --self-test          # the worked examples of docs/models
    python3 bench/numpy_reference.py --trials 1000000 [--seed 42] [--workers 2]
        [--scenario datasets/amazon-openai-2026.yaml] [--chunk-size 16384] [--json OUT.json]

    It prints each headline metric's mean, standard error and count of defined values, the trials,
    workers, the parse time (YAML, CSV, AR fit) and the wall time of sampling plus the models
    (process pool included). `compare(dealcast_results_json, numpy_json)` returns, per headline
    metric, z = (mean_a − mean_b) / √(se_a² + se_b²); `--compare RESULTS.json` prints it after a run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import multiprocessing as mp
import os
import re
import resource
import sys
import time
from dataclasses import dataclass

import numpy as np
import yaml
from scipy import special

# The headline metrics of the built-in modules (MetricSpec(..., headline: true) in Sources/DealcastModules).
HEADLINE = [
    "regulatory_risk.blocked",
    "regulatory_risk.cost_usd",
    "capex_return.npv_usd",
    "cloud_revenue_growth.incremental_revenue_usd",
    "supplier_dependence.hhi",
    "partnership_outcome.tranche2_funded",
    "partnership_outcome.investor_value_usd",
]

Z90 = 1.6448536269514722  # standard normal 95th percentile: `a to b` is a 90% interval


class ScenarioError(Exception):
    """A scenario this implementation cannot read (unsupported form, unit or missing field)."""


# MARK: - Amounts and units (docs/scenario-format.md section 5)

# unit text -> (dimension, factor to the canonical unit)
_UNITS = {
    "USD": ("money", 1.0),
    "GW": ("power", 1.0), "MW": ("power", 1e-3), "kW": ("power", 1e-6),
    "USD/MWh": ("energy_price", 1.0), "$/MWh": ("energy_price", 1.0), "/MWh": ("energy_price", 1.0),
    "USD/kWh": ("energy_price", 1e3), "$/kWh": ("energy_price", 1e3), "/kWh": ("energy_price", 1e3),
    "c/kWh": ("energy_price", 10.0), "cents/kWh": ("energy_price", 10.0),
    "USD/GW": ("money_per_power", 1.0), "$/GW": ("money_per_power", 1.0), "/GW": ("money_per_power", 1.0),
    "USD/MW": ("money_per_power", 1e3), "$/MW": ("money_per_power", 1e3), "/MW": ("money_per_power", 1e3),
    "years": ("duration", 1.0), "year": ("duration", 1.0), "yrs": ("duration", 1.0), "yr": ("duration", 1.0),
    "y": ("duration", 1.0), "months": ("duration", 1 / 12), "month": ("duration", 1 / 12), "mo": ("duration", 1 / 12),
    "quarters": ("duration", 0.25), "quarter": ("duration", 0.25),
    "weeks": ("duration", 7 / 365.25), "days": ("duration", 1 / 365.25),
    "": ("number", 1.0), "%": ("number", 0.01), "pp": ("number", 0.01), "bp": ("number", 1e-4),
    "bps": ("number", 1e-4), "x": ("number", 1.0),
}
_SCALES = {"k": 1e3, "K": 1e3, "thousand": 1e3, "M": 1e6, "mn": 1e6, "mm": 1e6, "million": 1e6, "m": 1e6,
           "B": 1e9, "b": 1e9, "bn": 1e9, "billion": 1e9, "T": 1e12, "tn": 1e12, "trillion": 1e12}
_AMOUNT = re.compile(
    r"^\s*(?P<sign>[-+\u2212]?)\s*(?P<dollar>\$?)\s*"
    r"(?P<num>(?:\d[\d_]*(?:,\d[\d_]*)*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?P<space>\s*)(?:(?P<scale>thousand|million|billion|trillion|mn|mm|bn|tn|[kKMmBbT])(?=$|[\s/]))?"
    r"\s*(?P<unit>\S*)\s*$")


def parse_amount(text: str) -> tuple[float, str]:
    """Parses an amount such as '15B USD', '$40B/GW', '8%', '750 MW', '8.06 c/kWh' or '18 months'.

    Returns (value in the canonical unit, dimension), dimension one of money, power, energy_price,
    money_per_power, duration, number. Raises ScenarioError for anything else.
    """
    m = _AMOUNT.match(text)
    if not m:
        raise ScenarioError(f"could not read a number with its unit at '{text}'")
    value = float(m["num"].replace("_", "").replace(",", ""))
    scale = m["scale"]
    if scale == "m" and m["space"]:
        raise ScenarioError(f"'{text}': 'm' is a scale only when written against the number (e.g. '650m')")
    if scale:
        value *= _SCALES[scale]
    unit = m["unit"]
    if unit not in _UNITS:
        raise ScenarioError(f"unknown unit '{unit}' in '{text}'")
    dim, factor = _UNITS[unit]
    if m["dollar"]:
        if unit == "":
            dim = "money"
        elif dim not in ("money", "energy_price", "money_per_power") or unit == "USD":
            raise ScenarioError(f"'{text}': '$' goes only with a money, energy-price or money-per-power amount")
    value *= factor
    return (-value if m["sign"] in ("-", "\u2212") else value), dim


# MARK: - Distributions (docs/scenario-format.md section 7)

@dataclass
class Dist:
    """One input's distribution, in canonical units.

    `kind` is one of fixed, uniform, normal, lognormal, triangular, pert, beta, gamma, bernoulli,
    discrete, empirical, truncated; `p` holds its parameters (see `_build`).
    """
    kind: str
    p: tuple
    dim: str
    base: "Dist | None" = None

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed"

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n independent draws with numpy's samplers (inverse CDF for the forms numpy lacks)."""
        k, p = self.kind, self.p
        if k == "fixed":
            return np.full(n, p[0])
        if k == "uniform":
            return rng.uniform(p[0], p[1], n)
        if k == "normal":
            return rng.normal(p[0], p[1], n)
        if k == "lognormal":
            return np.exp(rng.normal(p[0], p[1], n))
        if k == "triangular":
            return rng.triangular(p[0], p[1], p[2], n)
        if k == "pert":
            lo, mode, hi = p
            a = 1 + 4 * (mode - lo) / (hi - lo)
            b = 1 + 4 * (hi - mode) / (hi - lo)
            return lo + (hi - lo) * rng.beta(a, b, n)
        if k == "beta":
            return rng.beta(p[0], p[1], n)
        if k == "gamma":
            return rng.gamma(p[0], p[1], n)
        if k == "bernoulli":
            return (rng.random(n) < p[0]).astype(float)
        if k == "empirical":
            values = p[0]
            return values[rng.integers(0, len(values), n)]
        # discrete, truncated: the inverse CDF of a uniform on (0, 1)
        return self.ppf(rng.random(n))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """The cumulative distribution function (used by truncated)."""
        from scipy import stats          # imported here: only truncated() needs it, and it is slow to import
        k, p = self.kind, self.p
        if k == "uniform":
            return stats.uniform.cdf(x, p[0], p[1] - p[0])
        if k == "normal":
            return stats.norm.cdf(x, p[0], p[1])
        if k == "lognormal":
            return stats.lognorm.cdf(x, p[1], scale=math.exp(p[0]))
        if k == "triangular":
            return stats.triang.cdf(x, (p[1] - p[0]) / (p[2] - p[0]), p[0], p[2] - p[0])
        if k == "pert":
            a, b = self._pert_shape()
            return stats.beta.cdf(x, a, b, p[0], p[2] - p[0])
        if k == "beta":
            return stats.beta.cdf(x, p[0], p[1])
        if k == "gamma":
            return stats.gamma.cdf(x, p[0], scale=p[1])
        raise ScenarioError(f"truncated({k}(...)) is not supported by this implementation")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The inverse CDF at u in (0, 1), as docs/scenario-format.md section 8 defines it."""
        k, p = self.kind, self.p
        if k == "fixed":
            return np.full(np.shape(u), p[0])
        if k == "uniform":
            return p[0] + (p[1] - p[0]) * u
        if k == "normal":
            return p[0] + p[1] * special.ndtri(u)
        if k == "lognormal":
            return np.exp(p[0] + p[1] * special.ndtri(u))
        if k == "triangular":
            lo, mode, hi = p
            fc = (mode - lo) / (hi - lo)
            return np.where(u < fc, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                            hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))
        if k == "pert":
            a, b = self._pert_shape()
            return p[0] + (p[2] - p[0]) * special.betaincinv(a, b, u)
        if k == "beta":
            return special.betaincinv(p[0], p[1], u)
        if k == "gamma":
            return p[1] * special.gammaincinv(p[0], u)
        if k == "bernoulli":
            return (u >= 1 - p[0]).astype(float)
        if k == "discrete":
            values, cum = p
            return values[np.minimum(np.searchsorted(cum, u, side="right"), len(values) - 1)]
        if k == "empirical":
            values = p[0]
            return values[np.minimum((u * len(values)).astype(np.int64), len(values) - 1)]
        if k == "truncated":
            lo, hi, flo, fhi = p
            return np.clip(self.base.ppf(flo + u * (fhi - flo)), lo, hi)
        raise ScenarioError(f"no inverse CDF for {k}")

    def _pert_shape(self) -> tuple[float, float]:
        lo, mode, hi = self.p
        return 1 + 4 * (mode - lo) / (hi - lo), 1 + 4 * (hi - mode) / (hi - lo)


def _split_args(text: str) -> list[str]:
    """Splits a distribution's argument list at top-level commas (a comma followed by a digit is a
    thousands separator, docs/scenario-format.md section 5)."""
    out, depth, cur, quote = [], 0, "", None
    for i, ch in enumerate(text):
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0 and not (i + 1 < len(text) and text[i + 1].isdigit()):
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


_PARAMS = {
    "fixed": ["value"], "uniform": ["min", "max"], "normal": ["mean", "sd"], "triangular": ["min", "mode", "max"],
    "pert": ["min", "mode", "max"], "beta": ["alpha", "beta"], "gamma": ["shape", "scale"], "bernoulli": ["p"],
    "truncated": ["dist", "min", "max"],
}


def parse_distribution(text, base_dir: str) -> Dist:
    """Parses a value written in the scenario (a string, or a YAML list = empirical) into a Dist."""
    if isinstance(text, list):
        return _empirical([parse_amount(t) for t in text], text)
    if not isinstance(text, str):
        raise ScenarioError(f"expected an amount or a distribution, got {text!r}")
    s = text.strip()
    m = re.match(r"^([a-z_]+)\s*\((.*)\)\s*$", s, re.S)
    if not m:
        if " to " in s:
            lo_text, hi_text = s.split(" to ", 1)
            (lo, d1), (hi, d2) = parse_amount(lo_text), parse_amount(hi_text)
            if d1 != d2 or not lo < hi:
                raise ScenarioError(f"'{s}': expected 'a to b' with a < b in one unit")
            if lo > 0:
                return Dist("lognormal", ((math.log(lo) + math.log(hi)) / 2, (math.log(hi) - math.log(lo)) / (2 * Z90)), d1)
            return Dist("normal", ((lo + hi) / 2, (hi - lo) / (2 * Z90)), d1)
        v, d = parse_amount(s)
        return Dist("fixed", (v,), d)
    name, body = m.group(1), m.group(2)
    args = _split_args(body)
    if name == "discrete":
        pairs = [a.rsplit(":", 1) for a in args]
        vals = [parse_amount(v) for v, _ in pairs]
        w = np.array([parse_amount(x)[0] for _, x in pairs])
        if (w < 0).any() or w.sum() <= 0:
            raise ScenarioError(f"'{s}': discrete() weights must be non-negative and not all zero")
        cum = np.cumsum(w / w.sum())
        return Dist("discrete", (np.array([v for v, _ in vals]), cum), vals[0][1])
    if name == "empirical":
        if args and args[0][:1] in "\"'":
            return _empirical_csv(args, base_dir, s)
        return _empirical([parse_amount(a) for a in args], s)
    if name == "lognormal":
        named = dict(a.split("=", 1) for a in args if "=" in a)
        named = {k.strip(): v for k, v in named.items()}
        if "mu" in named or "sigma" in named:
            return Dist("lognormal", (parse_amount(named["mu"])[0], parse_amount(named["sigma"])[0]), "number")
        if "p5" in named:
            return parse_distribution(f"{named['p5']} to {named['p95']}", base_dir)
        positional = [a for a in args if "=" not in a]
        (mean, d), (sd, _) = parse_amount(named.get("mean", positional[0] if positional else "")), \
            parse_amount(named.get("sd", positional[1] if len(positional) > 1 else ""))
        s2 = math.log(1 + sd * sd / (mean * mean))
        return Dist("lognormal", (math.log(mean) - s2 / 2, math.sqrt(s2)), d)
    if name not in _PARAMS:
        raise ScenarioError(f"'{s}': the distribution '{name}' is not supported by this implementation")
    names = _PARAMS[name]
    given: dict[str, str] = {}
    for i, a in enumerate(args):
        if "=" in a and not a.startswith(("\"", "'")) and re.match(r"^[a-z_]+\s*=", a):
            k, v = a.split("=", 1)
            given[k.strip()] = v.strip()
        else:
            given[names[i]] = a
    if name == "truncated":
        base = parse_distribution(given["dist"], base_dir)
        lo = parse_amount(given["min"])[0] if "min" in given else -math.inf
        hi = parse_amount(given["max"])[0] if "max" in given else math.inf
        flo = float(base.cdf(np.array(lo))) if math.isfinite(lo) else 0.0
        fhi = float(base.cdf(np.array(hi))) if math.isfinite(hi) else 1.0
        return Dist("truncated", (lo, hi, flo, fhi), base.dim, base)
    vals = [parse_amount(given[k]) for k in names]
    if name == "beta":
        return Dist("beta", (vals[0][0], vals[1][0]), "number")
    if name == "bernoulli":
        return Dist("bernoulli", (vals[0][0],), "number")
    if name == "gamma":
        return Dist("gamma", (vals[0][0], vals[1][0]), vals[1][1])
    return Dist(name, tuple(v for v, _ in vals), vals[0][1])


def _empirical(items, text) -> Dist:
    if not items:
        raise ScenarioError(f"'{text}': empirical() needs at least one value")
    return Dist("empirical", (np.sort(np.array([v for v, _ in items])),), items[0][1])


def _empirical_csv(args, base_dir, text) -> Dist:
    path = os.path.join(base_dir, args[0].strip("\"'"))
    column = args[1].strip("\"'")
    scale, dim = 1.0, "number"
    for a in args[2:]:
        if a.startswith("unit="):
            scale, dim = parse_amount(a[5:])
    with open(path, newline="", encoding="utf-8") as f:
        values = [float(row[column]) * scale for row in csv.DictReader(f)]
    return _empirical([(v, dim) for v in values], text)


# MARK: - Scenario file

def _quarter(text: str) -> int:
    """A quarter ('2026Q3', '2026-Q3', '2026 Q3') as an ordinal year·4 + q − 1."""
    m = re.match(r"^\s*(\d{4})[-\s]?[Qq]([1-4])\s*$", str(text))
    if not m:
        raise ScenarioError(f"expected a quarter such as 2026Q1, got '{text}'")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def _year_fraction(text: str) -> float:
    """year + (day of the year − 1 + 0.5) / days in the year: the middle of the day."""
    d = _dt.date.fromisoformat(str(text).strip())
    days = 366 if (d.year % 4 == 0 and d.year % 100 != 0) or d.year % 400 == 0 else 365
    return d.year + (d.timetuple().tm_yday - 1 + 0.5) / days


class Scenario:
    """A scenario file read with every scalar kept as text (PyYAML's BaseLoader), as Dealcast reads it.

    `input(path, dim)` registers a sampled input (shared by every module that asks for the same path);
    `fixed(path, dim)` reads a number that shapes the model.
    """

    def __init__(self, path: str):
        self.path = path
        self.dir = os.path.dirname(os.path.abspath(path))
        with open(path, encoding="utf-8") as f:
            self.root = yaml.load(f, Loader=yaml.BaseLoader)
        self.start = _quarter(self.root["horizon"]["start"])
        self.end = _quarter(self.root["horizon"]["end"])
        self.y0 = self.start // 4
        self.years = list(range(self.start // 4, self.end // 4 + 1))
        self.inputs: dict[str, Dist] = {}
        self.correlations = self.root.get("correlations") or []

    def node(self, path: str):
        cur = self.root
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if part.startswith("["):
                cur = cur[int(part[1:-1])]
            else:
                if not isinstance(cur, dict) or part not in cur:
                    raise KeyError(path)
                cur = cur[part]
        return cur

    def has(self, path: str) -> bool:
        try:
            self.node(path)
            return True
        except (KeyError, IndexError):
            return False

    def value(self, path: str):
        try:
            v = self.node(path)
        except (KeyError, IndexError):
            raise ScenarioError(f"{path}: missing") from None
        if isinstance(v, dict) and "value" in v:
            v = v["value"]
        return v

    def text(self, path: str) -> str:
        return str(self.value(path)).strip()

    def count(self, path: str) -> int:
        v = self.node(path)
        if not isinstance(v, list):
            raise ScenarioError(f"{path}: expected a list")
        return len(v)

    def _check_dim(self, path, d: Dist, dim):
        if d.dim != dim:
            raise ScenarioError(f"{path}: expected a {dim} value, got a {d.dim} ('{self.value(path)}')")

    def input(self, path: str, dim: str) -> str:
        """Registers the input at `path` (a fixed amount or a distribution) and returns its key."""
        if path not in self.inputs:
            d = parse_distribution(self.value(path), self.dir)
            self._check_dim(path, d, dim)
            self.inputs[path] = d
        return path

    def fixed(self, path: str, dim: str) -> float:
        d = parse_distribution(self.value(path), self.dir)
        if not d.is_fixed:
            raise ScenarioError(f"{path}: expected a fixed value, not a distribution")
        self._check_dim(path, d, dim)
        return d.p[0]


# MARK: - regulatory_risk (docs/models/regulatory_risk.md)

class RegulatoryRisk:
    """Reviews per jurisdiction: opening, Dirichlet outcome probabilities, categorical outcome, costs."""

    def __init__(self, sc: Scenario):
        self.a = _year_fraction(sc.text("deal.announced")) - sc.y0
        self.r = sc.input("deal.discount_rate", "number")
        self.k = sc.input("regulatory_risk.delay_cost_per_month", "money")
        self.jur = []
        for j in range(sc.count("regulatory_risk.jurisdictions")):
            p = f"regulatory_risk.jurisdictions[{j}]"
            alpha = [sc.fixed(f"{p}.outcome_concentration.{o}", "number") for o in ("cleared", "remedies", "blocked")]
            self.jur.append(dict(
                alpha=alpha,
                q=sc.input(f"{p}.review_probability", "number"), o=sc.input(f"{p}.time_to_open", "duration"),
                d=sc.input(f"{p}.duration", "duration"), K=sc.input(f"{p}.remedy_cost", "money")))

    def evaluate(self, x: dict, m: dict, rng: np.random.Generator, n: int):
        lg = np.log1p(x[self.r])
        opened_count = np.zeros(n)
        blocked = np.zeros(n, bool)
        remedied = np.zeros(n, bool)
        first_open = np.full(n, np.inf)
        last_close = np.zeros(n)
        remedy_pv = np.zeros(n)
        no_block = np.ones(n)
        for j in self.jur:
            u_open = rng.random(n)
            alpha = np.array(j["alpha"])
            pos = alpha > 0
            theta = np.zeros((n, 3))
            theta[:, pos] = rng.dirichlet(alpha[pos], n) if pos.sum() > 1 else 1.0
            w = rng.random(n)
            p_rem, p_blk = theta[:, 1], theta[:, 2]
            q, o, close = x[j["q"]], x[j["o"]], x[j["o"]] + x[j["d"]]
            no_block *= 1 - q * p_blk
            op = u_open < q
            opened_count += op
            first_open = np.where(op, np.minimum(first_open, o), first_open)
            last_close = np.where(op, np.maximum(last_close, close), last_close)
            blocked |= op & (w < p_blk)
            rem = op & (w >= p_blk) & (w < p_blk + p_rem)
            remedied |= rem
            remedy_pv = np.where(rem, np.maximum(remedy_pv, x[j["K"]] * np.exp(-lg * (self.a + close))), remedy_pv)
        anyr = opened_count > 0
        under = np.where(anyr, last_close - first_open, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            annuity = np.where(lg == 0, under, -np.expm1(-lg * under) / lg)
        delay_pv = np.where(anyr, 12 * x[self.k] * np.exp(-lg * (self.a + np.where(anyr, first_open, 0))) * annuity, 0.0)
        remedies = remedied & ~blocked
        remedy_cost = np.where(remedies, remedy_pv, 0.0)
        out = {
            "any_review": anyr * 1.0, "blocked": blocked * 1.0, "remedies": remedies * 1.0,
            "cleared": (~blocked & ~remedies) * 1.0, "reviews_opened": opened_count,
            "delay_months": 12 * last_close, "months_under_review": 12 * under,
            "remedy_cost_usd": remedy_cost, "delay_cost_usd": delay_pv, "cost_usd": remedy_cost + delay_pv,
            "block_probability": 1 - no_block,
        }
        m.update({f"regulatory_risk.{k}": v for k, v in out.items()})


# MARK: - capex_return (docs/models/capex_return.md)

class CapexReturn:
    """Annual free cash flows of the dedicated capacity, their NPV, IRR and payback."""

    HOURS_PER_YEAR = 8766.0

    def __init__(self, sc: Scenario):
        self.T = len(sc.years)
        sched = [parse_amount(v)[0] for v in sc.value("capex_return.build_schedule")]
        if abs(sum(sched) - 1) > 1e-6 or len(sched) > self.T:
            raise ScenarioError("capex_return.build_schedule: must sum to 100% within the horizon's years")
        self.s = np.array(sched + [0.0] * (self.T - len(sched)))
        self.L = sc.fixed("deal.compute_commitment.term", "duration")
        names = dict(K=("deal.capacity", "power"), M=("deal.compute_commitment.amount", "money"),
                     rho=("deal.commitment_realisation", "number"), kappa=("deal.commitment_retained_if_blocked", "number"),
                     r=("deal.discount_rate", "number"), k=("capex_return.capex_per_gw", "money_per_power"),
                     phi=("capex_return.it_share", "number"), ell=("capex_return.it_life", "duration"),
                     F=("capex_return.facility_life", "duration"), h=("capex_return.hardware_cost_decline", "number"),
                     e=("capex_return.price_erosion", "number"), u=("capex_return.spare_utilisation", "number"),
                     P=("capex_return.pue", "number"), lam=("capex_return.load_factor", "number"),
                     p=("capex_return.power_price", "energy_price"), o=("capex_return.other_opex_share", "number"),
                     tau=("capex_return.tax_rate", "number"))
        self.key = {sym: sc.input(path, dim) for sym, (path, dim) in names.items()}

    def evaluate(self, x: dict, m: dict, rng, n: int):
        v = {sym: x[key] for sym, key in self.key.items()}
        T, s = self.T, self.s
        t_idx = np.arange(T)
        online = np.cumsum(s)                                   # o_t
        w = online * np.clip(self.L - t_idx, 0, 1)              # w_t
        W = w.sum()
        realised = v["rho"] * np.where(m["regulatory_risk.blocked"] > 0.5, v["kappa"], 1.0)
        build = v["K"] * v["k"]
        life = np.maximum(1, np.floor(v["ell"] + 0.5)).astype(np.int64)   # rounded half away from zero (ℓ > 0)

        # Capex and IT depreciation: cohort c's IT part bought at c, c + ℓ, c + 2ℓ, … while inside the horizon.
        capex = np.zeros((T, n))
        dep_it = np.zeros((T, n))
        net_book_it = np.zeros(n)
        rows = np.arange(n)
        for c in np.nonzero(s > 0)[0]:
            cohort = build * s[c]
            capex[c] += cohort
            for j in range(T):
                t_buy = c + j * life
                inside = t_buy < T
                if not inside.any():
                    break
                cost = cohort * v["phi"] * (1 - v["h"]) ** (j * life)
                if j > 0:
                    capex[t_buy[inside], rows[inside]] += cost[inside]
                d = np.where(inside, cost / life, 0.0)
                dep_it += d * ((t_idx[:, None] >= t_buy) & (t_idx[:, None] < t_buy + life))
                net_book_it += d * np.maximum(0, t_buy + life - T)
        facility = build * (1 - v["phi"])

        price = v["M"] / (W * v["K"]) if W > 0 else np.zeros(n)
        fcf = np.empty((T, n))
        contract_total = np.zeros(n)
        cum_fac_dep = np.zeros(n)
        for t in range(T):
            gw = v["K"] * online[t]
            contract = v["M"] * realised * w[t] / W if W > 0 else np.zeros(n)
            contracted_gw = gw * (w[t] / online[t] if online[t] > 0 else 0.0) * realised
            market = np.maximum(0, gw - contracted_gw) * price * (1 - v["e"]) ** t * v["u"]
            revenue = contract + market
            power = gw * 1000 * v["P"] * self.HOURS_PER_YEAR * v["lam"] * v["p"]
            fac_dep = facility * online[t] / v["F"]
            cum_fac_dep += fac_dep
            ebit = revenue - power - v["o"] * revenue - dep_it[t] - fac_dep
            fcf[t] = revenue - power - v["o"] * revenue - v["tau"] * ebit - capex[t]
            contract_total += contract
        fcf[T - 1] += net_book_it + np.maximum(0, facility - cum_fac_dep)

        out = {
            "npv_usd": _npv(fcf, v["r"]), "irr": _irr(fcf), "payback_years": _payback(fcf),
            "capex_usd": capex.sum(axis=0), "contract_revenue_usd": contract_total, "realisation": realised,
        }
        m.update({f"capex_return.{k}": val for k, val in out.items()})


def _npv(flows: np.ndarray, rate) -> np.ndarray:
    """Σ_t flows[t] / (1 + rate)^(t+1), per trial (flows: years × trials), by Horner's rule in 1/(1 + rate)."""
    k = 1 / (1 + np.asarray(rate, float))
    v = np.zeros(flows.shape[1])
    for c in flows[::-1]:
        v = (v + c) * k
    return v


def _irr(flows: np.ndarray, lo=-0.99, hi=10.0, iterations=40) -> np.ndarray:
    """The rate in [lo, hi] zeroing the NPV, by vectorised bisection (40 halvings of the 10.99-wide
    bracket leave 1e-11, below Dealcast's 1e-9 tolerance); NaN when the flows never change sign or the
    NPV does not change sign over the bracket."""
    n = flows.shape[1]
    f_lo, f_hi = _npv(flows, np.full(n, lo)), _npv(flows, np.full(n, hi))
    ok = ((flows > 0).any(0) & (flows < 0).any(0) & np.isfinite(f_lo) & np.isfinite(f_hi)
          & ((f_lo == 0) | (f_hi == 0) | ((f_lo < 0) != (f_hi < 0))))
    a, b = np.full(n, lo), np.full(n, hi)
    neg_at_a = f_lo < 0
    for _ in range(iterations):
        mid = (a + b) / 2
        below = (_npv(flows, mid) < 0) == neg_at_a      # the root lies above mid
        a = np.where(below, mid, a)
        b = np.where(below, b, mid)
    root = np.where(f_lo == 0, lo, np.where(f_hi == 0, hi, (a + b) / 2))
    return np.where(ok, root, np.nan)


def _payback(flows: np.ndarray) -> np.ndarray:
    """First t where cumulative flows cross from negative to ≥ 0, plus −cum_{t−1} / flow_t; 0 if never
    negative; NaN if they stay negative."""
    cum = np.cumsum(flows, axis=0)
    before = np.vstack([np.zeros((1, flows.shape[1])), cum[:-1]])
    cross = (cum >= 0) & (before < 0)
    first = np.argmax(cross, axis=0)
    cols = np.arange(flows.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        value = first + (-before[first, cols]) / flows[first, cols]
    return np.where(cross.any(0), value, np.where((cum < 0).any(0), np.nan, 0.0))


# MARK: - cloud_revenue_growth (docs/models/cloud_revenue_growth.md)

class CloudRevenueGrowth:
    """AR(1) baseline on year-over-year log growth, fitted by least squares; commitment and platform uplift."""

    def __init__(self, sc: Scenario):
        p = "cloud_revenue_growth"
        exclude = (sc.text(f"{p}.recalled_quarters") if sc.has(f"{p}.recalled_quarters") else "exclude") == "exclude"
        self.mode = sc.text(f"{p}.uncertainty") if sc.has(f"{p}.uncertainty") else "parameters_and_shocks"
        if self.mode not in ("parameters_and_shocks", "shocks_only", "none"):
            raise ScenarioError(f"{p}.uncertainty: unknown mode '{self.mode}'")
        first, sales, recalled = self._history(os.path.join(sc.dir, sc.text(f"{p}.history")))
        lo = _quarter(sc.text(f"{p}.fit_from")) - first if sc.has(f"{p}.fit_from") else 0
        lo = max(lo, 0)
        hi = len(sales) - 1
        self.origin = first + hi
        if sc.start <= self.origin:
            raise ScenarioError(f"{p}.history: the horizon must start after the history's last quarter")
        self._fit(sales, recalled, lo, hi, exclude)

        term = max(1, int(math.floor(sc.fixed("deal.compute_commitment.term", "duration") * 4 + 0.5)))
        ramp = max(1, int(math.floor(sc.fixed(f"{p}.commitment_ramp", "duration") * 4 + 0.5)))
        p_ramp = max(1, int(math.floor(sc.fixed(f"{p}.platform_ramp", "duration") * 4 + 0.5)))
        q_c, q_p = _quarter(sc.text(f"{p}.commitment_start")), _quarter(sc.text(f"{p}.platform_launch"))
        quarters = np.arange(sc.start, sc.end + 1)
        k_c = quarters - q_c
        weights = np.minimum(1.0, (np.arange(term) + 1) / ramp)
        self.commit_w = np.where((k_c >= 0) & (k_c < term), np.minimum(1.0, (k_c + 1) / ramp), 0.0) / weights.sum()
        k_p = quarters - q_p
        self.platform_w = np.where(k_p >= 0, np.minimum(1.0, (k_p + 1) / p_ramp), 0.0) / 4
        self.simulated = sc.end - self.origin
        self.offset = sc.start - self.origin - 1
        y = q_c // 4 if q_c % 4 == 0 else q_c // 4 + 1          # first full calendar year of the commitment
        yq = np.arange((y - 1) * 4, y * 4 + 4)
        self.year_level = 4 + yq - self.origin - 1               # index into the levels array
        self.year_horizon = np.where((yq >= sc.start) & (yq <= sc.end), yq - sc.start, -1)
        if self.year_level.min() < 0:
            raise ScenarioError(f"{p}: the growth-uplift year needs levels before the forecast origin's last year")
        self.key = dict(C=sc.input("deal.compute_commitment.amount", "money"), r=sc.input("deal.discount_rate", "number"),
                        s=sc.input(f"{p}.counterfactual_share", "number"), P=sc.input(f"{p}.platform_run_rate", "money"),
                        mg=sc.input(f"{p}.operating_margin", "number"))

    @staticmethod
    def _history(path):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        quarters = [_quarter(r["quarter"]) for r in rows]
        if quarters != list(range(quarters[0], quarters[0] + len(quarters))):
            raise ScenarioError(f"{path}: quarters must be consecutive")
        sales = np.array([float(r["net_sales_usd_m"]) for r in rows]) * 1e6
        recalled = np.array([r.get("sales_basis", "").strip().lower().startswith("recalled") for r in rows])
        return quarters[0], sales, recalled

    def _fit(self, sales, recalled, lo, hi, exclude):
        """OLS of g_t on (1, g_{t−1}) over the rows whose growth rates use no recalled figure."""
        g = np.full(len(sales), np.nan)
        g[4:] = np.log(sales[4:] / sales[:-4])
        usable = np.zeros(len(sales), bool)
        usable[4:] = ~(recalled[4:] | recalled[:-4]) if exclude else True
        i = np.arange(lo + 5, hi + 1)
        i = i[usable[i] & usable[i - 1]]
        if len(i) < 6:
            raise ScenarioError("cloud_revenue_growth: fewer than 6 growth pairs to fit the growth model")
        X = np.column_stack([np.ones(len(i)), g[i - 1]])
        coef, rss, _, _ = np.linalg.lstsq(X, g[i], rcond=None)
        self.a, self.b = coef
        self.nu = len(i) - 2
        resid = g[i] - X @ coef
        self.sigma = math.sqrt(resid @ resid / self.nu)
        cov = self.sigma ** 2 * np.linalg.inv(X.T @ X)
        try:
            self.chol = np.linalg.cholesky(cov) if self.sigma > 0 else None
        except np.linalg.LinAlgError:          # an exact fit: no positive-definite covariance
            self.chol = None
        if not abs(self.b) < 1:
            raise ScenarioError(f"cloud_revenue_growth: fitted persistence b = {self.b:.3f} is not below 1")
        if self.mode == "parameters_and_shocks" and self.chol is None:
            raise ScenarioError("cloud_revenue_growth.uncertainty: the history fits exactly; use shocks_only or none")
        self.origin_levels = sales[hi - 3: hi + 1]
        self.origin_growth = g[hi]

    def draw(self, rng, n):
        """Per-trial (a, b, σ): posterior draws σ = κ σ̂, (a, b) = (â, b̂) + κ L z, κ = √(ν/χ²_ν),
        redrawn while |b| ≥ 1 (at most 1000 rounds, then the point estimate)."""
        if self.mode == "none":
            return np.full(n, self.a), np.full(n, self.b), np.zeros(n)
        if self.mode == "shocks_only":
            return np.full(n, self.a), np.full(n, self.b), np.full(n, self.sigma)
        a, b, sg = np.full(n, self.a), np.full(n, self.b), np.full(n, self.sigma)
        todo = np.arange(n)
        L = self.chol
        for _ in range(1000):
            if todo.size == 0:
                break
            kappa = np.sqrt(self.nu / rng.gamma(self.nu / 2, 2.0, todo.size))
            z1, z2 = rng.standard_normal(todo.size), rng.standard_normal(todo.size)
            bb = self.b + kappa * (L[1, 0] * z1 + L[1, 1] * z2)
            ok = np.abs(bb) < 1
            idx = todo[ok]
            a[idx] = self.a + kappa[ok] * L[0, 0] * z1[ok]
            b[idx] = bb[ok]
            sg[idx] = self.sigma * kappa[ok]
            todo = todo[~ok]
        return a, b, sg

    def evaluate(self, x: dict, m: dict, rng, n: int):
        a, b, sg = self.draw(rng, n)
        levels = np.empty((4 + self.simulated, n))
        levels[:4] = self.origin_levels[:, None]
        g = np.full(n, self.origin_growth)
        for k in range(4, 4 + self.simulated):
            g = a + b * g + sg * rng.standard_normal(n)
            levels[k] = levels[k - 4] * np.exp(g)
        base = levels[4 + self.offset:]                                    # horizon quarters × trials
        committed = (1 - x[self.key["s"]]) * x[self.key["C"]] * m["capex_return.realisation"]
        commit = committed[None, :] * self.commit_w[:, None]
        platform = x[self.key["P"]][None, :] * self.platform_w[:, None]
        j = np.arange(base.shape[0])[:, None]
        disc = (1 + x[self.key["r"]])[None, :] ** (-(j + 1) / 4)
        delta_year = np.where(self.year_horizon[:, None] >= 0,
                              commit[self.year_horizon] + platform[self.year_horizon], 0.0)
        yl = levels[self.year_level]
        before, after = yl[:4].sum(0), yl[4:].sum(0)
        before_w, after_w = before + delta_year[:4].sum(0), after + delta_year[4:].sum(0)
        growth = after / before - 1
        out = {
            "incremental_revenue_usd": commit.sum(0) + platform.sum(0),
            "growth_uplift_pp": (after_w / before_w - 1) - growth,
            "platform_profit_pv_usd": x[self.key["mg"]] * (platform * disc).sum(0),
            "commitment_incremental_usd": commit.sum(0), "platform_revenue_usd": platform.sum(0),
            "baseline_revenue_usd": base.sum(0), "baseline_growth": growth,
        }
        m.update({f"cloud_revenue_growth.{k}": v for k, v in out.items()})


# MARK: - supplier_dependence (docs/models/supplier_dependence.md)

def _online(q: int, start: int, full: int) -> float:
    """Share of a contract online at the end of quarter q: linear ramp from start to full."""
    if q < start:
        return 0.0
    if q >= full:
        return 1.0
    return (q - start + 1) / (full - start + 1)


class SupplierDependence:
    """Delivered compute by vendor, provider and foundry; HHI, cost index, disruptions."""

    def __init__(self, sc: Scenario):
        p = "supplier_dependence"
        self.as_of = _quarter(sc.text(f"{p}.as_of"))
        fnames = [sc.text(f"{p}.foundries[{i}].name") for i in range(sc.count(f"{p}.foundries"))]
        self.foundries = [(sc.input(f"{p}.foundries[{i}].disruption_probability", "number"),
                           sc.input(f"{p}.foundries[{i}].disruption_loss", "number")) for i in range(len(fnames))]
        vnames = [sc.text(f"{p}.vendors[{v}].name") for v in range(sc.count(f"{p}.vendors"))]
        self.vendors = []
        for v in range(len(vnames)):
            vp = f"{p}.vendors[{v}]"
            self.vendors.append(dict(foundry=fnames.index(sc.text(f"{vp}.foundry")),
                                     cost=sc.input(f"{vp}.relative_cost", "number"),
                                     prob=sc.input(f"{vp}.disruption_probability", "number"),
                                     loss=sc.input(f"{vp}.disruption_loss", "number")))
        self.contracts, providers = [], []
        self.per_gw = None
        for c in range(sc.count(f"{p}.contracts")):
            cp = f"{p}.contracts[{c}]"
            from_deal = sc.has(f"{cp}.from_deal") and sc.text(f"{cp}.from_deal") == "true"
            vendor = vnames.index(sc.text(f"{cp}.chip_vendor"))
            foundry = fnames.index(sc.text(f"{cp}.foundry")) if sc.has(f"{cp}.foundry") else self.vendors[vendor]["foundry"]
            in_usd = False
            if sc.has(f"{cp}.gw") and sc.has(f"{cp}.amount"):
                raise ScenarioError(f"{cp}: give the contract's size once")
            if sc.has(f"{cp}.gw"):
                size = sc.input(f"{cp}.gw", "power")
            elif sc.has(f"{cp}.amount"):
                size, in_usd = sc.input(f"{cp}.amount", "money"), True
                self.per_gw = self.per_gw or sc.input(f"{p}.usd_per_gw", "money_per_power")
            elif from_deal:
                size = sc.input("deal.capacity", "power")
            else:
                raise ScenarioError(f"{cp}: missing the contract's size")
            delivered = (sc.input(f"{cp}.delivered_fraction", "number") if sc.has(f"{cp}.delivered_fraction") or not from_deal
                         else sc.input("deal.commitment_realisation", "number"))
            start = self._period(sc.text(f"{cp}.start"), end=False)
            full = self._period(sc.text(f"{cp}.full"), end=True) if sc.has(f"{cp}.full") else start
            prov = sc.text(f"{cp}.provider")
            if prov not in providers:
                providers.append(prov)
            self.contracts.append(dict(vendor=vendor, foundry=foundry, provider=providers.index(prov), deal=from_deal,
                                       size=size, usd=in_usd, delivered=delivered,
                                       now=_online(self.as_of, start, full)))
        self.n_prov, self.n_found = len(providers), len(fnames)
        self.vendor_used = [any(c["vendor"] == v for c in self.contracts) for v in range(len(vnames))]
        self.foundry_used = [any(c["foundry"] == f for c in self.contracts) for f in range(len(fnames))]

    @staticmethod
    def _period(text: str, end: bool) -> int:
        if re.fullmatch(r"\d{4}", text):
            return int(text) * 4 + (3 if end else 0)
        return _quarter(text)

    @staticmethod
    def _hhi_top(parts, total):
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.array(parts) / total
            ok = total > 0
            return (np.where(ok, 10_000 * (shares ** 2).sum(0), np.nan), np.where(ok, shares.max(0), np.nan), shares)

    def evaluate(self, x: dict, m: dict, rng, n: int):
        nv = len(self.vendors)
        v_hit = [(rng.random(n) < x[v["prob"]]) * 1.0 for v in self.vendors]
        f_hit = [(rng.random(n) < x[f[0]]) * 1.0 for f in self.foundries]
        any_event = np.zeros(n, bool)
        for v in range(nv):
            if self.vendor_used[v]:
                any_event |= v_hit[v] > 0
        f_event = np.zeros(n, bool)
        for f in range(self.n_found):
            if self.foundry_used[f]:
                f_event |= f_hit[f] > 0
        by_v, by_v_wo = np.zeros((nv, n)), np.zeros((nv, n))
        by_p, by_p_wo = np.zeros((self.n_prov, n)), np.zeros((self.n_prov, n))
        by_f = np.zeros((self.n_found, n))
        lost, lost_wo = np.zeros(n), np.zeros(n)
        for c in self.contracts:
            gw = x[c["size"]] / x[self.per_gw] if c["usd"] else x[c["size"]]
            d = gw * x[c["delivered"]] * c["now"]
            vend, fd = self.vendors[c["vendor"]], self.foundries[c["foundry"]]
            loss = 1 - (1 - v_hit[c["vendor"]] * x[vend["loss"]]) * (1 - f_hit[c["foundry"]] * x[fd[1]])
            by_v[c["vendor"]] += d
            by_p[c["provider"]] += d
            by_f[c["foundry"]] += d
            lost += d * loss
            if not c["deal"]:
                by_v_wo[c["vendor"]] += d
                by_p_wo[c["provider"]] += d
                lost_wo += d * loss
        total, total_wo = by_v.sum(0), by_v_wo.sum(0)
        cost = np.array([x[v["cost"]] for v in self.vendors])
        hhi, top, sh = self._hhi_top(by_v, total)
        hhi_wo, top_wo, sh_wo = self._hhi_top(by_v_wo, total_wo)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = {
                "hhi": hhi, "hhi_without_deal": hhi_wo, "hhi_change": hhi - hhi_wo,
                "top_vendor_share": top, "top_vendor_share_without_deal": top_wo,
                "effective_vendors": 10_000 / hhi, "effective_vendors_without_deal": 10_000 / hhi_wo,
                "blended_cost_index": np.where(total > 0, (sh * cost).sum(0), np.nan),
                "blended_cost_index_without_deal": np.where(total_wo > 0, (sh_wo * cost).sum(0), np.nan),
                "delivered_gw": total, "delivered_gw_without_deal": total_wo,
                "deal_share": np.where(total > 0, (total - total_wo) / total, np.nan),
                "compute_at_risk_gw": lost, "compute_at_risk_gw_without_deal": lost_wo,
                "at_risk_share": np.where(total > 0, lost / total, np.nan),
                "top_foundry_share": self._hhi_top(by_f, total)[1],
                "provider_hhi": self._hhi_top(by_p, total)[0], "provider_hhi_without_deal": self._hhi_top(by_p_wo, total_wo)[0],
                "any_disruption": (any_event | f_event) * 1.0, "foundry_disruption": f_event * 1.0,
            }
        m.update({f"supplier_dependence.{k}": v for k, v in out.items()})


# MARK: - partnership_outcome (docs/models/partnership_outcome.md)

class PartnershipOutcome:
    """Tranche funding, lognormal value path with distress, dilution, and the investor-value bridge."""

    def __init__(self, sc: Scenario):
        if sc.count("deal.tranches") != 2:
            raise ScenarioError("deal.tranches: expected exactly two tranches")
        y0 = sc.y0
        self.T = sc.end // 4 + (sc.end % 4 + 1) / 4 - y0
        self.a = _year_fraction(sc.text("deal.announced")) - y0
        self.t1 = _year_fraction(sc.text("deal.tranches[0].date")) - y0
        self.t_dl = _year_fraction(sc.text("deal.tranches[1].deadline")) - y0
        self.pricing = sc.text("partnership_outcome.tranche2_pricing")
        if self.pricing not in ("market", "round"):
            raise ScenarioError(f"partnership_outcome.tranche2_pricing: expected market or round, got '{self.pricing}'")
        p = "partnership_outcome"
        self.key = dict(A1=sc.input("deal.tranches[0].amount", "money"), A2=sc.input("deal.tranches[1].amount", "money"),
                        V0=sc.input("deal.post_money_valuation", "money"), r=sc.input("deal.discount_rate", "number"),
                        ipo=sc.input(f"{p}.time_to_ipo", "duration"), ms=sc.input(f"{p}.time_to_milestone", "duration"),
                        g=sc.input(f"{p}.value_growth", "number"), sigma=sc.input(f"{p}.value_volatility", "number"),
                        delta=sc.input(f"{p}.dilution_rate", "number"), pd=sc.input(f"{p}.distress_probability", "number"),
                        h=sc.input(f"{p}.distress_haircut", "number"))

    def evaluate(self, x: dict, m: dict, rng, n: int):
        v = {k: x[key] for k, key in self.key.items()}
        t1, T, a = self.t1, self.T, self.a
        u_d, u_t = rng.random(n), rng.random(n)
        z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
        distress = u_d < v["pd"]
        tau = t1 + u_t * (T - t1)
        t_f = np.maximum(a + np.minimum(v["ipo"], v["ms"]), t1)
        trigger = (t_f <= self.t_dl) & (t_f <= T) & (~distress | (tau >= t_f))
        funded = trigger & (m["regulatory_risk.blocked"] < 0.5)
        mid = np.minimum(t_f, T)
        mu = np.log1p(v["g"]) - v["sigma"] ** 2 / 2
        w1 = np.sqrt(mid - t1) * z1
        w_T = w1 + np.sqrt(T - mid) * z2
        v_f = v["V0"] * np.exp(mu * (mid - t1) + v["sigma"] * w1)
        v_T = v["V0"] * np.exp(mu * (T - t1) + v["sigma"] * w_T) * np.where(distress, 1 - v["h"], 1.0)
        keep = 1 - v["delta"]
        stake = v["A1"] / v["V0"] * keep ** (T - t1)
        second = (v["A2"] / v_f * keep ** (T - t_f) if self.pricing == "market" else v["A2"] / v["V0"] * keep ** (T - t1))
        stake = stake + np.where(funded, second, 0.0)
        lg = np.log1p(v["r"])
        paid = v["A1"] + np.where(funded, v["A2"], 0.0)
        paid_pv = v["A1"] * np.exp(-lg * t1) + np.where(funded, v["A2"] * np.exp(-lg * t_f), 0.0)
        equity = stake * v_T
        equity_pv = equity * np.exp(-lg * T)
        with np.errstate(divide="ignore", invalid="ignore"):
            moic = np.where(paid > 0, equity / paid, np.nan)
        out = {
            "tranche2_funded": funded * 1.0, "trigger_by_deadline": trigger * 1.0, "distress": distress * 1.0,
            "tranche2_funding_years": np.where(funded, t_f - a, np.nan), "stake_at_horizon": stake,
            "paid_usd": paid, "paid_pv_usd": paid_pv, "equity_value_usd": equity, "equity_value_pv_usd": equity_pv,
            "investor_value_usd": equity_pv - paid_pv + m["capex_return.npv_usd"]
            + m["cloud_revenue_growth.platform_profit_pv_usd"] - m["regulatory_risk.cost_usd"],
            "equity_moic": moic,
        }
        m.update({f"partnership_outcome.{k}": val for k, val in out.items()})


# MARK: - The model: all modules in dependency order

class Model:
    """The scenario bound to the five modules, its correlation factor, and the per-chunk evaluation."""

    def __init__(self, scenario_path: str):
        sc = Scenario(scenario_path)
        wanted = sc.root.get("modules")
        if wanted and set(wanted) != {"regulatory_risk", "capex_return", "cloud_revenue_growth",
                                      "supplier_dependence", "partnership_outcome"}:
            raise ScenarioError("this implementation runs all five built-in modules; the scenario selects a subset")
        self.modules = [RegulatoryRisk(sc), CapexReturn(sc), CloudRevenueGrowth(sc), SupplierDependence(sc),
                        PartnershipOutcome(sc)]
        self.inputs = sc.inputs
        self.scenario_id = sc.root.get("id", "")
        self._bind_correlations(sc.correlations)

    def _bind_correlations(self, items):
        """Gaussian copula: Pearson 2 sin(π ρ_s / 6) between normal scores, Cholesky-factored."""
        self.corr_paths, self.corr_chol = [], None
        if not items:
            return
        pairs = []
        for it in items:
            a, b = it["between"]
            rho = parse_amount(it["rank"] if not isinstance(it["rank"], dict) else it["rank"]["value"])[0]
            for path in (a, b):
                if path not in self.inputs or self.inputs[path].is_fixed:
                    raise ScenarioError(f"correlations: '{path}' is not an uncertain input")
                if path not in self.corr_paths:
                    self.corr_paths.append(path)
            pairs.append((a, b, rho))
        k = len(self.corr_paths)
        C = np.eye(k)
        for a, b, rho in pairs:
            i, j = self.corr_paths.index(a), self.corr_paths.index(b)
            C[i, j] = C[j, i] = 2 * math.sin(math.pi * rho / 6)
        try:
            self.corr_chol = np.linalg.cholesky(C)
        except np.linalg.LinAlgError:
            raise ScenarioError("correlations: the matrix is not positive definite") from None

    def sample_inputs(self, rng: np.random.Generator, n: int) -> dict:
        x = {}
        for path, d in self.inputs.items():
            if path not in self.corr_paths:
                x[path] = d.sample(rng, n)
        if self.corr_paths:
            z = self.corr_chol @ rng.standard_normal((len(self.corr_paths), n))
            u = special.ndtr(z)
            for i, path in enumerate(self.corr_paths):
                x[path] = self.inputs[path].ppf(np.clip(u[i], 1e-300, 1 - 2 ** -53))
        return x

    def evaluate(self, rng: np.random.Generator, n: int) -> dict:
        """One chunk of n trials: draws, then every module in order. Returns metric → array."""
        x = self.sample_inputs(rng, n)
        m: dict = {}
        for module in self.modules:
            module.evaluate(x, m, rng, n)
        return m


# MARK: - Chunks, workers and statistics

_MODEL: Model | None = None


def _run_chunk(task) -> dict:
    """Evaluates one chunk with its own generator; returns metric → (n defined, mean, M2)."""
    seed_seq, n = task
    metrics = _MODEL.evaluate(np.random.Generator(np.random.PCG64(seed_seq)), n)
    out = {}
    for key, v in metrics.items():
        ok = np.isfinite(v)
        k = int(ok.sum())
        vals = v[ok] if k < v.size else v
        mean = float(vals.mean()) if k else 0.0
        out[key] = (k, mean, float(((vals - mean) ** 2).sum()) if k else 0.0)
    return out


def _combine(acc: dict, part: dict):
    """Chan, Golub and LeVeque's pairwise update of (count, mean, M2)."""
    for key, (nb, mb, m2b) in part.items():
        na, ma, m2a = acc.get(key, (0, 0.0, 0.0))
        n = na + nb
        if n == 0:
            acc[key] = (0, 0.0, 0.0)
            continue
        d = mb - ma
        acc[key] = (n, ma + d * nb / n, m2a + m2b + d * d * na * nb / n)


def run(scenario: str, trials: int, seed: int = 42, workers: int | None = None, chunk_size: int = 1 << 14) -> dict:
    """Runs `trials` trials of the scenario on `workers` processes and returns the summary dict
    (the --json document). Memory is O(chunk_size × metrics) per worker, whatever `trials` is."""
    global _MODEL
    workers = workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    _MODEL = Model(scenario)
    parse_seconds = time.perf_counter() - t0

    counts = [chunk_size] * (trials // chunk_size) + ([trials % chunk_size] if trials % chunk_size else [])
    children = np.random.SeedSequence(seed).spawn(len(counts))
    tasks = list(zip(children, counts))
    acc: dict = {}
    t1 = time.perf_counter()
    if workers == 1:
        for part in map(_run_chunk, tasks):
            _combine(acc, part)
    else:
        # fork: the workers inherit the bound model, so parsing is not repeated or timed.
        with mp.get_context("fork").Pool(workers) as pool:
            for part in pool.imap(_run_chunk, tasks):
                _combine(acc, part)
    wall = time.perf_counter() - t1
    # ru_maxrss is in KiB on Linux: the parent's peak, and the largest (reaped) worker's.
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    metrics = {}
    for key in sorted(acc):
        n, mean, m2 = acc[key]
        sd = math.sqrt(m2 / (n - 1)) if n > 1 else float("nan")
        metrics[key] = {"mean": mean, "sd": sd, "stderr": sd / math.sqrt(n) if n > 0 else float("nan"),
                        "n": n, "undefined": trials - n}
    return {
        "implementation": "numpy reference (bench/numpy_reference.py)",
        "numpy_version": np.__version__, "scenario": scenario, "scenario_id": _MODEL.scenario_id,
        "trials": trials, "seed": seed, "workers": workers, "chunk_size": chunk_size, "chunks": len(counts),
        "rng": "PCG64 (numpy.random.Generator), one SeedSequence child per chunk", "sampling": "random",
        "correlation": "gaussian-copula" if _MODEL.corr_paths else "none",
        "parse_seconds": parse_seconds, "wall_seconds": wall,
        "peak_rss_mib": {"parent": rss_self, "largest_worker": rss_workers},
        "headline": HEADLINE, "metrics": metrics,
    }


# MARK: - Agreement with Dealcast

def compare(dealcast_results_json, numpy_json, metrics=None) -> list:
    """z-scores of the difference of means between a Dealcast results.json and this script's --json.

    Both arguments may be a path or an already-loaded dict. For each metric (default: the headline
    metrics), z = (mean_dealcast − mean_numpy) / √(se_dealcast² + se_numpy²). Under the hypothesis that
    both implement the same model, each z is approximately N(0, 1); |z| < 3 is the agreement criterion.
    Returns a list of (metric, z) in the order of `metrics`.
    """
    def load(x):
        if isinstance(x, dict):
            return x
        with open(x, encoding="utf-8") as f:
            return json.load(f)
    a, b = load(dealcast_results_json), load(numpy_json)
    out = []
    for key in metrics or HEADLINE:
        ma, mb = a["metrics"][key], b["metrics"][key]
        se = math.hypot(ma["stderr"], mb["stderr"])
        diff = ma["mean"] - mb["mean"]
        out.append((key, diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))))
    return out


# MARK: - Self-test: the worked examples of docs/models/*.md

_EXAMPLE_CAPEX_REG = """
id: worked-examples
horizon: {start: 2026Q1, end: 2028Q4}
deal:
  announced: 2026-07-02
  capacity: 1 GW
  compute_commitment: {amount: 12B USD, term: 3 years}
  commitment_realisation: 100%
  commitment_retained_if_blocked: 50%
  discount_rate: 10%
capex_return:
  build_schedule: [100%]
  capex_per_gw: $10B/GW
  it_share: 50%
  it_life: 2 years
  facility_life: 10 years
  hardware_cost_decline: 0%
  price_erosion: 0%
  spare_utilisation: 100%
  pue: 1
  load_factor: 50%
  power_price: $100/MWh
  other_opex_share: 10%
  tax_rate: 20%
regulatory_risk:
  delay_cost_per_month: 20M USD
  jurisdictions:
    - {name: A, review_probability: 100%, time_to_open: 6 months, duration: 12 months, remedy_cost: 1B USD,
       outcome_concentration: {cleared: 0, remedies: 2, blocked: 0}}
    - {name: B, review_probability: 100%, time_to_open: 3 months, duration: 6 months, remedy_cost: 2B USD,
       outcome_concentration: {cleared: 5, remedies: 0, blocked: 0}}
    - {name: C, review_probability: 0%, time_to_open: 1 month, duration: 36 months, remedy_cost: 3B USD,
       outcome_concentration: {cleared: 0, remedies: 0, blocked: 1}}
"""

_EXAMPLE_PARTNER_SUPPLY = """
id: worked-examples
horizon: {start: 2026Q1, end: 2033Q4}
deal:
  announced: 2026-07-02
  post_money_valuation: 800B USD
  discount_rate: 10%
  capacity: 2.5 GW
  commitment_realisation: 80%
  tranches:
    - {amount: 10B USD, date: 2026-07-02}
    - {amount: 40B USD, deadline: 2028-12-31}
partnership_outcome:
  time_to_ipo: 1.5 years
  time_to_milestone: 10 years
  value_growth: 10%
  value_volatility: 0
  dilution_rate: 5%
  distress_probability: 0
  distress_haircut: 50%
  tranche2_pricing: market
supplier_dependence:
  as_of: 2028Q4
  usd_per_gw: $50B/GW
  foundries:
    - {name: TSMC, disruption_probability: 100%, disruption_loss: 40%}
    - {name: Samsung, disruption_probability: 0%, disruption_loss: 90%}
  vendors:
    - {name: Nvidia, foundry: TSMC, relative_cost: 1, disruption_probability: 0%, disruption_loss: 50%}
    - {name: AMD, foundry: TSMC, relative_cost: 0.9, disruption_probability: 100%, disruption_loss: 50%}
    - {name: Trainium, foundry: TSMC, relative_cost: 0.65, disruption_probability: 0%, disruption_loss: 50%}
  contracts:
    - {name: Cloud, provider: Azure, chip_vendor: Nvidia, amount: 250B USD, delivered_fraction: 100%, start: 2027, full: 2027Q4}
    - {name: GPUs, provider: Azure, chip_vendor: AMD, gw: 8 GW, delivered_fraction: 75%, start: 2027Q1, full: 2030}
    - {name: Deal, provider: AWS, chip_vendor: Trainium, foundry: Samsung, from_deal: true, start: 2026Q3, full: 2026Q4}
"""

_EXAMPLE_CLOUD = """
id: worked-examples
horizon: {start: 2026Q1, end: 2027Q4}
deal:
  compute_commitment: {amount: 8B USD, term: 2 years}
  discount_rate: 10%
cloud_revenue_growth:
  history: history.csv
  uncertainty: none
  commitment_start: 2026Q1
  commitment_ramp: 4 quarters
  counterfactual_share: 25%
  platform_launch: 2026Q3
  platform_ramp: 2 quarters
  platform_run_rate: 2B USD
  operating_margin: 30%
"""


def self_test() -> list:
    """Evaluates the worked examples of docs/models/*.md (every input fixed) and returns the failures
    as (metric, got, expected); the doc's figures are checked to their printed precision."""
    import tempfile
    failures = []

    def check(m, expected, rel):
        for key, want in expected.items():
            got = float(m[key][0])
            if not abs(got - want) <= rel * max(1.0, abs(want)):
                failures.append((key, got, want))

    def evaluate(text, modules, upstream, files=()):
        with tempfile.TemporaryDirectory() as d:
            for name, body in files:
                with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                    f.write(body)
            path = os.path.join(d, "scenario.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            sc = Scenario(path)
            bound = [cls(sc) for cls in modules]
        rng = np.random.default_rng(0)
        x = {k: d.sample(rng, 2) for k, d in sc.inputs.items()}
        m = {k: np.full(2, v) for k, v in upstream.items()}
        for module in bound:
            module.evaluate(x, m, rng, 2)
        return m

    m = evaluate(_EXAMPLE_CAPEX_REG, [RegulatoryRisk, CapexReturn], {})
    check(m, {"regulatory_risk.remedy_cost_usd": 826_446_281.0, "regulatory_risk.delay_cost_usd": 263_307_438.1,
              "regulatory_risk.cost_usd": 1_089_753_719.1, "regulatory_risk.delay_months": 18,
              "regulatory_risk.months_under_review": 15, "regulatory_risk.remedies": 1, "regulatory_risk.blocked": 0}, 1e-9)
    check(m, {"capex_return.npv_usd": -557.34e6}, 1e-5)
    check(m, {"capex_return.payback_years": 2.906, "capex_return.irr": 0.035743}, 2e-4)

    upstream = {"regulatory_risk.blocked": 0.0, "regulatory_risk.cost_usd": 1e9, "capex_return.npv_usd": 5e9,
                "cloud_revenue_growth.platform_profit_pv_usd": 2e9}
    m = evaluate(_EXAMPLE_PARTNER_SUPPLY, [PartnershipOutcome, SupplierDependence], upstream)
    check(m, {"partnership_outcome.equity_value_usd": 66_001_847_920.8, "partnership_outcome.paid_pv_usd": 42_592_477_132.1,
              "partnership_outcome.investor_value_usd": -5_802_127_969.6, "partnership_outcome.tranche2_funding_years": 1.5},
          1e-9)
    check(m, {"supplier_dependence.hhi": 3800, "supplier_dependence.hhi_without_deal": 5312.5,
              "supplier_dependence.blended_cost_index": 0.9, "supplier_dependence.provider_hhi": 6800,
              "supplier_dependence.compute_at_risk_gw": 4.1, "supplier_dependence.top_foundry_share": 0.8}, 1e-9)

    # The history of the cloud example: 2023 levels, then g(2024Q1) = 0.4 and g_t = 0.1 + 0.5 g_{t−1}.
    levels, g = [10_000.0, 10_500.0, 11_000.0, 12_000.0], 0.4
    for k in range(8):
        g = g if k == 0 else 0.1 + 0.5 * g
        levels.append(levels[-4] * math.exp(g))
    rows = "".join(f"{2023 + i // 4}Q{i % 4 + 1},{v!r}\n" for i, v in enumerate(levels))
    m = evaluate(_EXAMPLE_CLOUD, [CloudRevenueGrowth], {"capex_return.realisation": 0.8},
                 [("history.csv", "quarter,net_sales_usd_m\n" + rows)])
    check(m, {"cloud_revenue_growth.incremental_revenue_usd": 7.55e9, "cloud_revenue_growth.platform_profit_pv_usd": 720_283_210.52,
              "cloud_revenue_growth.growth_uplift_pp": 0.0362795477, "cloud_revenue_growth.baseline_growth": 0.22185339}, 1e-8)
    return failures


def _main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int)
    ap.add_argument("--self-test", action="store_true", help="check the docs' worked examples and exit")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--scenario", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                        "datasets", "amazon-openai-2026.yaml"))
    ap.add_argument("--chunk-size", type=int, default=1 << 14)
    ap.add_argument("--json", help="also write the summary to this file")
    ap.add_argument("--compare", metavar="RESULTS_JSON", help="a Dealcast results.json to compare the headline means with")
    args = ap.parse_args(argv)
    if args.self_test:
        failures = self_test()
        for key, got, want in failures:
            print(f"self-test: {key}: got {got!r}, the doc says {want!r}", file=sys.stderr)
        print(f"self-test: {'FAILED' if failures else 'all worked examples match docs/models'}")
        return 1 if failures else 0
    if args.trials is None:
        ap.error("--trials is required")
    if args.trials < 1 or args.workers < 1 or args.chunk_size < 1:
        ap.error("--trials, --workers and --chunk-size must be positive")
    try:
        res = run(os.path.normpath(args.scenario), args.trials, args.seed, args.workers, args.chunk_size)
    except OSError as e:                 # a missing or unreadable file: Dealcast's exit code 66
        print(f"numpy_reference: {args.scenario}: {e}", file=sys.stderr)
        return 66
    except (ScenarioError, KeyError, ValueError) as e:   # content this implementation cannot read: 65
        print(f"numpy_reference: {args.scenario}: {e}", file=sys.stderr)
        return 65
    print(f"scenario {res['scenario_id']}: {res['trials']} trials, seed {res['seed']}, {res['workers']} workers, "
          f"{res['chunks']} chunks of ≤{res['chunk_size']}")
    print(f"parse {res['parse_seconds']:.3f} s, sampling+model {res['wall_seconds']:.3f} s, peak RSS "
          f"{res['peak_rss_mib']['parent']:.0f} MiB (parent), {res['peak_rss_mib']['largest_worker']:.0f} MiB (largest worker)")
    print(f"{'metric':48} {'mean':>16} {'stderr':>14} {'n defined':>10}")
    for key in HEADLINE:
        s = res["metrics"][key]
        print(f"{key:48} {s['mean']:16.6g} {s['stderr']:14.4g} {s['n']:10d}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)
    if args.compare:
        print("agreement with", args.compare)
        for key, z in compare(args.compare, res):
            print(f"  {key:48} z = {z:+.2f}{'' if abs(z) < 3 else '   <-- |z| >= 3'}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
