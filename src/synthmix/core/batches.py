"""Batches as index slices of a dataset held whole on the device: every training loop draws them here."""
from __future__ import annotations

import torch


class IndexSampler:
    """Endless index batches: a fresh permutation each pass over the data, sliced; the last short
    slice is dropped, so every step sees exactly `batch_size` images.

    Its position is saved and restored, so a resumed run draws exactly the batches an
    uninterrupted run would have drawn.
    """

    def __init__(self, n: int, batch_size: int, gen: torch.Generator, device: torch.device):
        if n < 1 or batch_size < 1:
            raise ValueError(f"IndexSampler needs n >= 1 and batch_size >= 1, got {n} and {batch_size}")
        self.n, self.batch_size, self.gen, self.device = n, min(batch_size, n), gen, device
        self.perm: torch.Tensor | None = None
        self.pos = 0

    def next(self) -> torch.Tensor:
        """The next (batch_size,) int64 indices into the dataset."""
        if self.perm is None or self.pos + self.batch_size > self.n:
            self.perm = torch.randperm(self.n, generator=self.gen, device=self.device)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def state_dict(self) -> dict:
        empty = torch.zeros(0, dtype=torch.long)
        return {"perm": empty if self.perm is None else self.perm.cpu(), "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.perm = state["perm"].to(self.device) if state["perm"].numel() else None
        self.pos = int(state["pos"])
