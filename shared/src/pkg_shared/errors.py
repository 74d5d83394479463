"""Exception types that console scripts turn into one-line messages (see ``pkg_shared.cli``)."""

from __future__ import annotations

import os


class PkgError(Exception):
    """Base class of errors caused by the user's input rather than by a bug."""


class ConfigError(PkgError):
    """A configuration file or override is invalid (unknown key, wrong type, bad value)."""


class DataFormatError(PkgError):
    """A data file is missing, empty, corrupt or does not follow its official format.

    The message always names the file, and the line when one is known, so that a user can go
    straight to the problem.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str, line: int | None = None) -> None:
        self.path = os.fspath(path)
        self.problem = problem
        self.line = line
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # DataLoader workers pickle exceptions: rebuild from the fields, not the message
        return (type(self), (self.path, self.problem, self.line))


# import name -> distribution name, where they differ
_PIP_NAME = {"cv2": "opencv-python", "PIL": "pillow", "sklearn": "scikit-learn", "yaml": "pyyaml",
             "faiss": "faiss-cpu"}


class MissingDependencyError(PkgError):
    """An optional dependency is needed for the requested feature."""

    def __init__(self, module: str, extra: str, dist: str = "pkg-shared") -> None:
        self.module, self.extra, self.dist = module, extra, dist
        # pkg-shared and the packages are on no index: the extra is installed from the checkout
        folder = "./shared" if dist == "pkg-shared" else f"./packages/{dist.removeprefix('pkg-')}"
        top = module.split(".")[0]
        super().__init__(
            f"this feature needs the Python module '{module}'; install it with "
            f"`pip install {_PIP_NAME.get(top, top)}`, or with the extra from the repository checkout: "
            f"`pip install '{folder}[{extra}]'`"
        )

    def __reduce__(self):
        return (type(self), (self.module, self.extra, self.dist))


def require(module: str, extra: str, dist: str = "pkg-shared"):
    """Import an optional module or raise a MissingDependencyError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module, extra, dist) from exc
