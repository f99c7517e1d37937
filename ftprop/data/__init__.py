"""The data-set registry shared by every command (`solve`, `minwidth`, `train`, `compare`).

Every loader is offline: scikit-learn's bundled data, MNIST-1D generated locally with
``mnist1d.data.make_dataset`` (never downloaded) and synthetic data. Binary inputs are coded as
±1 so that sign units see their own alphabet. A loader returns a :class:`Dataset` of numpy
arrays; the engines never see names, only arrays.
"""

from .registry import DataOptions, Dataset, dataset_names, load_dataset, register, select
from .files import load_file
from . import builtin  # noqa: F401,E402  (registers the built-in data sets)

__all__ = ["DataOptions", "Dataset", "dataset_names", "load_dataset", "load_file", "register", "select"]
