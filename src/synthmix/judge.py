"""The judge: what is the judge's alone, on top of the shared CNN (calibration, confidence, checkpoint scoring).

The judge is a CNN trained on the real training images only. It decides which synthetic images
are kept (`synth.filter`), gives the feature space in which GAN checkpoints are chosen and sample
quality is measured, and is calibrated by temperature scaling on the real validation split, since
a CNN trained on 50 images per class is over-confident (its raw probabilities mean little).

What is the judge's alone lives here: temperature calibration, the judge's confidence and the
Fréchet scorer that chooses GAN checkpoints. The CNN itself (build, checkpoints, batched
prediction, features) is every classifier's too: `synthmix.models.cnn`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from synthmix.core.images import to_model
from synthmix.core.io import load_torch
from synthmix.evaluate.frechet import frechet_distance
from synthmix.evaluate.metrics import expected_calibration_error
from synthmix.models.cnn import embed, load_cnn, predict_logits


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T > 0 minimising the negative log-likelihood of softmax(logits / T) on held-out
    (logits, labels) (Guo et al., 2017). The accuracy is unchanged; T > 1 softens an over-confident
    model. The NLL is convex in 1/T, so a bounded 1-D search finds the optimum."""
    from scipy.optimize import minimize_scalar   # only the judge stage calibrates

    z, y = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    if len(z) == 0:
        raise ValueError("temperature scaling needs at least one validation image")
    result = minimize_scalar(lambda log_t: nll(z, y, float(np.exp(log_t))), bounds=(np.log(0.05), np.log(100.0)),
                             method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, np.float64) / temperature
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the labels under softmax(logits / temperature)."""
    return float(-log_softmax(logits, temperature)[np.arange(len(labels)), labels].mean())


def calibration(logits: np.ndarray, labels: np.ndarray, temperature: float) -> dict:
    """NLL and ECE of the raw (T = 1) and the calibrated (T = temperature) probabilities."""
    out = {"images": int(len(labels))}
    for name, t in (("before", 1.0), ("after", temperature)):
        p = np.exp(log_softmax(logits, t))
        out[f"nll_{name}"] = nll(logits, labels, t)
        out[f"ece_{name}"] = expected_calibration_error(p.max(1), p.argmax(1) == labels)
    return out


def calibrate(model: torch.nn.Module, val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
              device: torch.device) -> dict:
    """Temperature scaling fitted on the real validation split ((images, labels)); NLL and ECE
    before and after, on the validation split (where T is fitted) and on the test split (a held-out
    check: nothing is chosen on it). Returns {"temperature", "val": {...}, "test": {...}}."""
    logits = {split: predict_logits(model, to_model(images, device)).double().cpu().numpy()
              for split, (images, _) in (("val", val), ("test", test))}
    temperature = fit_temperature(logits["val"], val[1])
    return {"temperature": temperature, "val": calibration(logits["val"], val[1], temperature),
            "test": calibration(logits["test"], test[1], temperature)}


@dataclass
class Judge:
    """The trained judge CNN, its calibration temperature and the calibration measurements."""
    model: torch.nn.Module           # a classifier with embed(): models.cnn.build_classifier
    temperature: float = 1.0
    calibration: dict | None = None   # {"temperature", "val": {ece_before, ...}, "test": {...}}

    def probabilities(self, images: np.ndarray, device: torch.device) -> np.ndarray:
        """Calibrated class probabilities, float64 (N, K), of uint8 (N, H, W, C) images.

        Computed in float64 from the logits, so a confident image gets e.g. 0.9999999997, not a
        float32 1.0: a threshold of 1.0 then keeps nothing, as a user asking for certainty expects.
        """
        logits = predict_logits(self.model, to_model(images, device)).double().cpu().numpy()
        return np.exp(log_softmax(logits, self.temperature))

    def confidence(self, images: np.ndarray, label: int, device: torch.device) -> np.ndarray:
        """The calibrated probability of class `label` for each image: float64 (N,)."""
        if len(images) == 0:
            return np.zeros(0, np.float64)
        return self.probabilities(images, device)[:, label]

    def embed(self, images: np.ndarray, device: torch.device) -> np.ndarray:
        return embed(self.model, images, device)


def load_judge(source: str | Path | dict, device: torch.device | str) -> Judge:
    """The judge from its checkpoint (written by the train_judge stage), frozen."""
    ckpt = source if isinstance(source, dict) else load_torch(source)
    model = load_cnn(ckpt, device)
    for q in model.parameters():
        q.requires_grad_(False)
    return Judge(model, float(ckpt.get("temperature", 1.0)), ckpt.get("calibration"))


ScoreFn = Callable[[torch.nn.Module], float]


def fid_scorer(judge: Judge, real_images: np.ndarray, sample: Callable[[torch.nn.Module], np.ndarray],
               device: torch.device) -> ScoreFn:
    """score(G) -> Fréchet distance, in the judge's feature space, between sample(G) (a fixed set of
    latents, so scores of different snapshots are comparable) and the real images."""
    real = judge.embed(real_images, device)

    def score(G: torch.nn.Module) -> float:
        return frechet_distance(real, judge.embed(sample(G), device))
    return score
