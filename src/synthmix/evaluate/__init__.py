"""Measurements: each classifier scored once (score), aggregated over seeds with significance tests
(aggregate, stats), robustness sets (corruptions), sample quality (quality, frechet, synthetic_quality,
detect, inception) and saliency. Rendering lives in synthmix.report."""
