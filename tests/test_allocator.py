"""CPU training keeps the memory its steps free, instead of faulting it back in every step."""

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lenet_tui.engine.allocator import keep_freed_memory

# Trains 3 epochs of 8 LeNet steps at batch 256 on CPU in a fresh process and prints the page
# faults of the last epoch; "off" replaces the engine's allocator settings with nothing.
TRAIN_AND_COUNT_FAULTS = textwrap.dedent(
    """
    import resource, sys
    import torch
    from lenet_tui.engine import training
    from lenet_tui.engine.config import TrainConfig
    from lenet_tui.engine.events import EpochEnd
    from idx_fixtures import make_tiny_dataset

    if sys.argv[1] == "off":
        training.keep_freed_memory = lambda: False
    torch.set_num_threads(1)
    config = TrainConfig(epochs=3, batch_size=256, device="cpu", seed=0)
    faults = []
    for event in training.Trainer(config, make_tiny_dataset(n_train=2048, n_test=256)).run():
        if isinstance(event, EpochEnd):
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)
    print(faults[-1] - faults[-2])
    """
)


def _last_epochs_faults(setting: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", TRAIN_AND_COUNT_FAULTS, setting],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_without_malloc_tuning(os.environ), "PYTHONPATH": str(Path(__file__).parent)},
        check=True,
    )
    return int(done.stdout.split()[-1])


def _without_malloc_tuning(env: os._Environ) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's")
def test_an_epoch_of_cpu_training_faults_in_a_tenth_of_the_pages_it_would_without():
    kept = _last_epochs_faults("on")
    given_back = _last_epochs_faults("off")
    # Without the settings each step faults in its buffers afresh: ~2,400 pages a step here.
    assert given_back > 8 * 500
    assert kept * 10 < given_back


def test_glibc_takes_the_settings_and_a_second_call_is_the_first_ones_answer():
    assert keep_freed_memory() is (platform.libc_ver()[0] == "glibc")
    assert keep_freed_memory() is keep_freed_memory()
