"""One intra-op thread for the package's tests: the CI machines have 2 shared cores, and two OpenMP
threads per process fighting other jobs are many times slower than one."""

from __future__ import annotations

import torch

torch.set_num_threads(1)
