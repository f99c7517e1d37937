"""convert_activations: in-place swaps of a user's activation modules."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from minibatch import Sign, Staircase, convert_activations  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Block(nn.Module):
    """A torchvision-style block: one ReLU module used twice."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(6, 6), nn.Linear(6, 6)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.fc2(self.relu(self.fc1(x))))


def user_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), Block(), nn.Hardtanh(), nn.Linear(6, 3))


def test_swaps_every_activation_module_in_place():
    net = user_net()
    out, count = convert_activations(net, "sign", rule="sste", return_count=True)
    assert out is net and count == 3 and net.converted_activations_ == 3
    assert isinstance(net[1], Sign) and isinstance(net[2].relu, Sign) and isinstance(net[3], Sign)
    assert net[1].rule.name == "sste" and net[1] is not net[3]
    net(torch.randn(5, 4)).sum().backward()
    assert net[0].weight.grad.abs().sum() > 0


def test_relu_to_relu_preserves_outputs():
    net = user_net()
    x = torch.randn(7, 4)
    before = net(x)
    convert_activations(net, "relu", replace=(nn.ReLU,))
    torch.testing.assert_close(net(x), before)
    assert isinstance(net[3], nn.Hardtanh)  # not in replace: untouched


def test_options_reach_the_new_modules():
    net = convert_activations(user_net(), "qrelu", levels=7, weighted=False)
    assert isinstance(net[1], Staircase) and net[1].levels == 7 and net[1].weighted is False


def test_nothing_to_replace_warns_and_bad_names_change_nothing():
    net = nn.Sequential(nn.Linear(2, 2))
    with pytest.warns(UserWarning, match="no submodule"):
        convert_activations(net, "sign")
    net = user_net()
    with pytest.raises(ValueError, match="valid activations"):
        convert_activations(net, "binary")
    assert isinstance(net[1], nn.ReLU)
    with pytest.raises(TypeError):
        convert_activations(net, "sign", replace=("ReLU",))
