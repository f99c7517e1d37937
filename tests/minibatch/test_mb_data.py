"""minibatch.data: CIFAR-10 from a fake pickle directory, the errors when it is absent, ImageNet."""

from __future__ import annotations


import pytest

torch = pytest.importorskip("torch")

from fakes import write_fake_cifar  # noqa: E402
from minibatch import data as mbdata  # noqa: E402


def test_cifar10_reads_the_pickle_layout(tmp_path):
    write_fake_cifar(tmp_path)
    bundle = mbdata.cifar10(tmp_path, augment=False)
    assert (len(bundle.train), len(bundle.test)) == (30, 6)
    assert bundle.input_shape == (3, 32, 32) and bundle.num_classes == 10
    x, y = bundle.train[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and 0 <= int(y) < 10
    # pixel (0, 0, 0) of image 0, normalised with the CIFAR-10 channel statistics
    raw = mbdata.load_cifar10_arrays(tmp_path)["X"][0, 0, 0, 0]
    assert float(x[0, 0, 0]) == pytest.approx((raw / 255 - mbdata.CIFAR10_MEAN[0]) / mbdata.CIFAR10_STD[0], abs=1e-6)
    # the batch directory itself is accepted as the root too
    assert len(mbdata.cifar10(tmp_path / "cifar-10-batches-py").train) == 30


def test_cifar10_augmentation_keeps_shape_and_eval_view_is_plain(tmp_path):
    write_fake_cifar(tmp_path)
    bundle = mbdata.cifar10(tmp_path, augment=True)
    torch.manual_seed(0)
    assert bundle.train[3][0].shape == (3, 32, 32)
    plain = bundle.train.eval_view()
    assert torch.equal(plain[3][0], mbdata.cifar10(tmp_path, augment=False).train[3][0])
    assert mbdata.cifar10(tmp_path).train.augment  # the paper's code augments CIFAR by default


def test_cifar_augmentation_pads_with_black_before_normalising():
    white = torch.full((1, 3, 8, 8), 255, dtype=torch.uint8)
    ds = mbdata.ImageTensors(white, torch.zeros(1), mbdata.CIFAR10_MEAN, mbdata.CIFAR10_STD, augment=True)
    mean, std = ds.mean, ds.std
    torch.manual_seed(0)
    seen_black = False
    for _ in range(20):
        x = ds[0][0]
        is_white = torch.isclose(x, (1 - mean) / std).all(0)
        is_black = torch.isclose(x, (0 - mean) / std).all(0)
        assert (is_white | is_black).all()  # every pixel comes from the image or the zero padding
        seen_black |= bool(is_black.any())
    assert seen_black


def test_cifar10_absent_or_incomplete_names_the_expected_files(tmp_path):
    with pytest.raises(mbdata.DataError, match="needs a data root"):
        mbdata.cifar10(None)
    with pytest.raises(mbdata.DataError, match="not a directory"):
        mbdata.cifar10(tmp_path / "nowhere")
    with pytest.raises(mbdata.DataError, match=r"data_batch_1, .*test_batch"):
        mbdata.cifar10(tmp_path)
    write_fake_cifar(tmp_path, skip=("data_batch_3",))
    with pytest.raises(mbdata.DataError, match=r"lacks data_batch_3; expected"):
        mbdata.cifar10(tmp_path)


def test_cifar10_corrupt_batch_is_a_data_error(tmp_path):
    base = write_fake_cifar(tmp_path)
    (base / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(mbdata.DataError, match="test_batch is not a CIFAR-10 python batch"):
        mbdata.cifar10(tmp_path)


def test_cifar10_in_the_shared_registry(tmp_path):
    from ftprop.data import DataOptions, dataset_names, load_dataset
    from ftprop.errors import InputError

    assert any(n.startswith("cifar10") for n in dataset_names())
    write_fake_cifar(tmp_path)
    ds = load_dataset("cifar10", DataOptions(data_root=str(tmp_path)))
    assert ds.X.shape == (30, 3072) and ds.X_test.shape == (6, 3072) and 0 <= ds.X.min() and ds.X.max() <= 1
    with pytest.raises(InputError, match="needs a data root"):
        load_dataset("cifar10", DataOptions())


def test_imagenet_absent_names_the_expected_folders(tmp_path):
    with pytest.raises(mbdata.DataError, match="needs a data root"):
        mbdata.imagenet(None)
    (tmp_path / "train").mkdir()
    with pytest.raises(mbdata.DataError, match=r"lacks val/; expected train/<class>/<image>"):
        mbdata.imagenet(tmp_path)


def test_tensor_data_checks_lengths():
    with pytest.raises(mbdata.DataError, match="X has 3 rows but y has 2 labels"):
        mbdata.TensorData(torch.zeros(3, 2), torch.zeros(2))
