"""Random changes to training images, made where the images are (the device): left-right flips
and shifts of a few pixels. The draws come from a generator of the run's own, so a run is
repeatable and a resumed run goes on with the same draws."""

from __future__ import annotations

import torch
import torch.nn.functional as F

SHIFT = 2
"""Pixels an image may move each way, up, down, left or right (the gap is filled with black)."""


def augment(images: torch.Tensor, kind: str, generator: torch.Generator) -> torch.Tensor:
    """A batch (B, 1, H, W) with each image flipped (half of them, for "flip") and shifted (for
    "shift"); "flip+shift" does both, "none" returns the batch as it is."""
    batch, device = images.shape[0], images.device
    if "flip" in kind:
        flip = (torch.rand(batch, generator=generator) < 0.5).to(device)
        images = torch.where(flip[:, None, None, None], images.flip(3), images)
    if "shift" in kind:
        offsets = torch.randint(0, 2 * SHIFT + 1, (2, batch), generator=generator).to(device)
        height, width = images.shape[2:]
        padded = F.pad(images, (SHIFT, SHIFT, SHIFT, SHIFT))
        rows = torch.arange(height, device=device)[None, :] + offsets[0][:, None]  # (B, H)
        cols = torch.arange(width, device=device)[None, :] + offsets[1][:, None]  # (B, W)
        index = torch.arange(batch, device=device)[:, None, None]
        images = padded[index, 0, rows[:, :, None], cols[:, None, :]].unsqueeze(1)
    return images
