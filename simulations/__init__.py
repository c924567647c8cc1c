"""Scenario runners, sweeps, fairness reports and benchmarks (they may use Flower)."""
