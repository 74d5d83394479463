"""GPU kernels in Triton, each beside the pure-PyTorch reference that defines correctness.

The dispatcher runs a kernel only for CUDA tensors when Triton imports (or under
``TRITON_INTERPRET=1`` when asked for explicitly); ``PKG_SHARED_OPS_BACKEND=reference|triton``
forces a choice for debugging.
"""

from pkg_shared.ops.pairwise import pairwise_sq_dist, pairwise_sq_dist_reference
from pkg_shared.ops.shift import integer_shift, integer_shift_reference

__all__ = ["integer_shift", "integer_shift_reference", "pairwise_sq_dist", "pairwise_sq_dist_reference"]
