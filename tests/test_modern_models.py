"""The modern recurrent families (seqbench/models/modern.py): each parallel path is the sequential
reference's function to float32 precision, outputs and gradients; every kind is served through
the adapters; the papers' parameterisations hold (the sLSTM's and mLSTM's stabilisers change
nothing); and, at small scale, eigenvalues in [-1, 1] let Mamba learn parity where [0, 1] does
not (Grazzi et al. 2025).

``seqbench check --model NAME`` for each family is tests/test_check_model.py's
``test_every_registered_model_conforms`` (every registered model x every kind, one test each)."""

from __future__ import annotations

import math

from unittest.mock import patch

import pytest
import torch

from conftest import ROOT
from seqbench import make_model, make_task
from seqbench.core.errors import ConfigError
from seqbench.conformance.model_checks import CASES
from seqbench.models import mlstm, model_def
from seqbench.models.lru import LRU
from seqbench.models.mamba import Mamba
from seqbench.models.minrnn import MinGRU, MinLSTM, g
from seqbench.models.causal_conv import CausalConv1d
from seqbench.models.mlstm import MLSTM, mlstm_parallel, mlstm_sequential
from seqbench.models.modern_core import ModernCell
from seqbench.models.scans import chunked_scan, log_scan, sequential_scan
from seqbench.models.slstm import SLSTM

FAMILIES = ("mingru", "minlstm", "lru", "mamba", "slstm", "mlstm")
#: (family, mixer options) with a parallel path, each compared with its sequential reference
SCANNED = [("mingru", {}), ("minlstm", {}), ("lru", {}), ("lru", {"r_min": 0.9, "r_max": 0.999}),
           ("mamba", {}), ("mamba", {"eigenvalue_min": -1.0}), ("mlstm", {}), ("mlstm", {"num_heads": 1}),
           ("mlstm", {"conv_kernel": 0}), ("mlstm", {"conv_kernel": 1})]
ATOL = 1e-5
#: a looser float32 tolerance for the gradients where a family's two paths round differently enough to
#: need it (outputs and states keep ATOL): the mLSTM's gradients of its input, carried window, q/k
#: projection and convolution differ by 1.1e-5 to 2.1e-5 of their size in float32; with the module's
#: float32 casts made float64 (a patched copy, 2026-12-05) both paths agree to 1e-13, so the paths are one
#: function and the gap is rounding
GRAD_ATOL = {"mlstm": 5e-5}


def _core(family: str, scan: str, options: dict, seed: int = 1, layers: int = 2):
    torch.manual_seed(seed)
    return ModernCell(family, tuple({**options, "scan": scan}.items()))(5, 16, layers)


def _run(core, x, lengths, state):
    """Outputs, final state, and gradients (input, carried-in state, every parameter) of one pass."""
    core.zero_grad()
    out, final = core(x, lengths, state)
    weights = torch.linspace(-1, 1, out.shape[-1])
    loss = (out * weights).sum() + core.top_state(final).square().sum() + sum(
        s.abs().sum() if s.is_complex() else s.sum() for s in final[1:])
    inputs = [x] + [s for s in state if s.requires_grad]
    grads = torch.autograd.grad(loss, inputs, retain_graph=True)
    loss.backward()
    return out, final, grads, {n: p.grad.clone() for n, p in core.named_parameters()}


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = ATOL) -> bool:
    scale = max(1.0, float(b.detach().abs().max())) if b.numel() else 1.0  # large gradients: relative to their size
    return bool(torch.allclose(a, b, rtol=0, atol=atol * scale))


@pytest.mark.parametrize("family, options", SCANNED, ids=[f"{f}{'-' + str(o) if o else ''}" for f, o in SCANNED])
@pytest.mark.parametrize("steps", [1, 9, 64])
def test_parallel_path_matches_sequential_reference(family, options, steps):
    """Same weights, padded batch, a state carried in: outputs, states and gradients agree."""
    _assert_paths_agree(family, options, steps)


@pytest.mark.parametrize("steps", [9, 64])
def test_mlstm_parallel_blocks_carry_the_state(monkeypatch, steps):
    """The mLSTM's parallel form in blocks of 4 steps (the state carried across 3 and 16 blocks)
    is the same function as the recurrence: blocks of BLOCK = 256 only ever meet at longer lengths."""
    monkeypatch.setattr(mlstm, "BLOCK", 4)
    _assert_paths_agree("mlstm", {}, steps)


def _assert_paths_agree(family: str, options: dict, steps: int) -> None:
    parallel, sequential = _core(family, "parallel", options), _core(family, "sequential", options)
    torch.manual_seed(2)
    x = torch.randn(3, steps, 5, requires_grad=True)
    lengths = torch.tensor([steps, max(1, steps - 4), max(1, steps // 2)])
    with torch.no_grad():
        _, warm = sequential(torch.randn(3, 4, 5))  # a state from an earlier chunk (truncated BPTT)
    state = tuple(s.clone().requires_grad_(True) if s.is_floating_point() else s.clone() for s in warm)
    a = _run(parallel, x, lengths, state)
    b = _run(sequential, x, lengths, state)
    atol = GRAD_ATOL.get(family, ATOL)
    assert _close(a[0], b[0]), float((a[0] - b[0]).abs().max())
    for s_a, s_b in zip(a[1], b[1]):
        assert _close(s_a, s_b), float((s_a - s_b).abs().max())
    for g_a, g_b in zip(a[2], b[2]):
        assert _close(g_a, g_b, atol), float((g_a - g_b).abs().max())
    for name, grad in a[3].items():
        assert _close(grad, b[3][name], atol), (name, float((grad - b[3][name]).abs().max()))


@pytest.mark.parametrize("scan", [chunked_scan, sequential_scan])
def test_scans_handle_negative_and_complex_factors(scan):
    torch.manual_seed(0)
    a, b, h0 = torch.rand(2, 50, 3) * 2 - 1, torch.randn(2, 50, 3), torch.randn(2, 3)
    by_hand, h = [], h0
    for t in range(50):
        h = a[:, t] * h + b[:, t]
        by_hand.append(h)
    assert torch.allclose(scan(a, b, h0), torch.stack(by_hand, 1), atol=1e-6)
    lam = torch.polar(torch.rand(4), torch.rand(4) * 6)  # a time-invariant complex diagonal (the LRU)
    bc = torch.randn(2, 33, 4, dtype=torch.complex64)
    assert torch.allclose(chunked_scan(lam, bc), sequential_scan(lam, bc), atol=1e-6)


def test_log_scan_is_the_linear_recurrence():
    torch.manual_seed(0)
    a, b, h0 = torch.rand(2, 100, 3), torch.rand(2, 100, 3), torch.randn(2, 3)  # h0 of any sign
    for chunk in (1, 7, 32, 200):
        assert torch.allclose(log_scan(a.log(), b.log(), h0, chunk=chunk), sequential_scan(a, b, h0), rtol=1e-5,
                              atol=1e-6)


def test_mingru_and_minlstm_follow_the_paper():
    """minGRU: h = (1 - z) h + z g(W_h x); minLSTM: h = f' h + i' g(W_h x), f' = f / (f + i)."""
    torch.manual_seed(0)
    x = torch.randn(2, 6, 4)
    gru, lstm = MinGRU(4), MinLSTM(4)
    k, cand = gru.gates(x).chunk(2, -1)
    kf, ki, cand_l = lstm.gates(x).chunk(3, -1)
    h_gru, h_lstm, out_gru, out_lstm = torch.zeros(2, 4), torch.zeros(2, 4), [], []
    for t in range(6):
        z = torch.sigmoid(k[:, t])
        h_gru = (1 - z) * h_gru + z * g(cand[:, t])
        f, i = torch.sigmoid(kf[:, t]), torch.sigmoid(ki[:, t])
        h_lstm = f / (f + i) * h_lstm + i / (f + i) * g(cand_l[:, t])
        out_gru.append(h_gru)
        out_lstm.append(h_lstm)
    assert torch.allclose(gru(x)[0], gru.out(torch.stack(out_gru, 1)), atol=1e-5)
    assert torch.allclose(lstm(x)[0], lstm.out(torch.stack(out_lstm, 1)), atol=1e-5)
    assert bool((torch.stack(out_gru) > 0).all())  # positive coefficients and inputs: no sign flips


def test_lru_initialisation_is_the_papers():
    torch.manual_seed(0)
    lru = LRU(8, state_size=256, r_min=0.4, r_max=0.9, max_phase=math.pi / 2)
    lam = lru.eigenvalues().detach()
    assert float(lam.abs().min()) >= 0.4 - 1e-5 and float(lam.abs().max()) <= 0.9 + 1e-5  # on the ring
    assert float(lam.angle().min()) >= 0 and float(lam.angle().max()) <= math.pi / 2 + 1e-5
    # uniform on the ring's area: |lambda|^2 uniform in [r_min^2, r_max^2], so its mean is the midpoint
    assert abs(float((lam.abs() ** 2).mean()) - (0.4 ** 2 + 0.9 ** 2) / 2) < 0.05
    gamma = torch.exp(lru.gamma_log).detach()
    assert torch.allclose(gamma, torch.sqrt(1 - lam.abs() ** 2), atol=1e-5)  # normalisation
    lru.nu_log.data.fill_(-20.0)  # any parameter value keeps |lambda| < 1 ... up to float rounding
    assert float(lru.eigenvalues().detach().abs().max()) <= 1.0


@pytest.mark.parametrize("eigenvalue_min, low", [(0.0, 0.0), (-1.0, -1.0), (-0.5, -0.5)])
def test_mamba_eigenvalues_lie_in_the_chosen_range(eigenvalue_min, low):
    torch.manual_seed(0)
    block = Mamba(8, eigenvalue_min=eigenvalue_min)
    dt = torch.cat([torch.zeros(1, 1, 16), torch.full((1, 1, 16), 1e3), torch.rand(1, 50, 16) * 5], dim=1)
    a = block.transition(dt).detach()
    assert float(a.min()) >= low - 1e-6 and float(a.max()) <= 1.0
    assert torch.allclose(a[0, 0], torch.ones(16, 16)) and torch.allclose(a[0, 1], torch.full((16, 16), low))
    if eigenvalue_min == -1.0:  # Grazzi et al.: 2 exp(dt A) - 1
        assert torch.allclose(a, 2 * torch.exp(dt[..., None] * -torch.exp(block.A_log)) - 1)


def test_slstm_stabiliser_leaves_the_unstabilised_cell_unchanged():
    """With i = exp(i~), f = sigmoid(f~), c = f c + i z, n = f n + i, h = o c / n computed directly
    (small pre-activations, so no overflow), the stabilised cell gives the same h."""
    torch.manual_seed(0)
    cell = SLSTM(8, num_heads=2)
    x = torch.randn(2, 7, 8) * 0.5
    batch = 2
    h, c, n = torch.zeros(batch, 8), torch.zeros(batch, 8), torch.zeros(batch, 8)
    wx = cell.W(x).view(batch, 7, 4, 8)
    hs = []
    for t in range(7):
        r = torch.einsum("bkd,kdg->bkg", h.view(batch, 2, 4), cell.R).view(batch, 2, 4, 4)
        i_raw, f_raw, z_raw, o_raw = (wx[:, t] + r.transpose(1, 2).reshape(batch, 4, 8)).unbind(1)
        i, f = torch.exp(i_raw), torch.sigmoid(f_raw)
        c, n = f * c + i * torch.tanh(z_raw), f * n + i
        h = torch.sigmoid(o_raw) * c / n
        hs.append(h)
    _, (h_cell, c_cell, n_cell, m_cell) = cell(x)
    assert torch.allclose(h_cell, hs[-1], atol=1e-5)
    assert torch.allclose(c_cell * torch.exp(m_cell), c, rtol=1e-4, atol=1e-5)  # c and n scaled by exp(-m)
    assert torch.allclose(n_cell * torch.exp(m_cell), n, rtol=1e-4)


def _mlstm_by_the_equations(q, k, v, i_raw, f_raw, C=None, n=None):
    """The paper's mLSTM cell, unstabilised, in float64: i = exp(i~), f = sigmoid(f~),
    C = f C + i v k^T, n = f n + i k, h~ = C q / max(|n^T q|, 1). q, k, v (B, K, T, d), gates (B, K, T);
    C (B, K, d, d) and n (B, K, d) the state before the first step (default zeros)."""
    q, k, v, i_raw, f_raw = (t.detach().double() for t in (q, k, v, i_raw, f_raw))
    batch, heads, steps, d = q.shape
    C = torch.zeros(batch, heads, d, d, dtype=torch.float64) if C is None else C
    n = torch.zeros(batch, heads, d, dtype=torch.float64) if n is None else n
    hs = []
    for t in range(steps):
        i, f = torch.exp(i_raw[:, :, t])[..., None], torch.sigmoid(f_raw[:, :, t])[..., None]  # (B, K, 1)
        C = f[..., None] * C + i[..., None] * v[:, :, t, :, None] * k[:, :, t, None, :]  # (B, K, d, d)
        n = f * n + i * k[:, :, t]  # (B, K, d)
        read = (C @ q[:, :, t, :, None]).squeeze(-1)  # (B, K, d)
        hs.append(read / (n * q[:, :, t]).sum(-1, keepdim=True).abs().clamp(min=1.0))
    return torch.stack(hs, dim=2), C, n


def test_mlstm_stabiliser_leaves_the_unstabilised_cell_unchanged():
    """The stabilised cell (both paths) gives the h of the unstabilised equations computed directly
    in float64 (pre-activations of a few units, so nothing overflows there): exactly, up to float64
    rounding, when the cell runs in float64; to float32 precision in the module. The stored C and n
    are the true ones scaled by exp(-m)."""
    torch.manual_seed(0)
    batch, heads, steps, d = 2, 2, 7, 4
    q, k, v = torch.randn(3, batch, heads, steps, d, dtype=torch.float64).unbind(0)
    i_raw = torch.randn(batch, heads, steps, dtype=torch.float64) * 3  # exp(i~) from about 0.001 to 1000
    f_raw = torch.randn(batch, heads, steps, dtype=torch.float64) * 2
    h_ref, C_ref, n_ref = _mlstm_by_the_equations(q, k, v, i_raw, f_raw)
    fresh = (torch.zeros(batch, heads, d, d, dtype=torch.float64), torch.zeros(batch, heads, d, dtype=torch.float64),
             torch.zeros(batch, heads, dtype=torch.float64))
    log_f = torch.nn.functional.logsigmoid(f_raw)
    for path in (mlstm_sequential, mlstm_parallel):
        h, (C, n, m) = path(q, k, v, i_raw, log_f, fresh)
        assert torch.allclose(h, h_ref, rtol=1e-12, atol=1e-12), path.__name__
        assert torch.allclose(C * torch.exp(m)[..., None, None], C_ref, rtol=1e-12), path.__name__
        assert torch.allclose(n * torch.exp(m)[..., None], n_ref, rtol=1e-12), path.__name__
        assert float(m.max()) > 1.0  # the stabiliser did act: the stored states are scaled down
    # a carried-in state (C_0, n_0 stored scaled by exp(-m_0)), the parallel form in blocks of 3
    C0, n0 = torch.randn(batch, heads, d, d, dtype=torch.float64), torch.randn(batch, heads, d, dtype=torch.float64)
    m0 = torch.randn(batch, heads, dtype=torch.float64) * 4
    h_ref, C_ref, n_ref = _mlstm_by_the_equations(q, k, v, i_raw, f_raw, C0, n0)
    carried = (C0 * torch.exp(-m0)[..., None, None], n0 * torch.exp(-m0)[..., None], m0)
    for path in (mlstm_sequential, lambda *a: mlstm_parallel(*a, block=3)):
        h, (C, n, m) = path(q, k, v, i_raw, log_f, carried)
        assert torch.allclose(h, h_ref, rtol=1e-12, atol=1e-12)
        assert torch.allclose(C * torch.exp(m)[..., None, None], C_ref, rtol=1e-12, atol=1e-12)
        assert torch.allclose(n * torch.exp(m)[..., None], n_ref, rtol=1e-12, atol=1e-12)
    # the module (float32), as xLSTM's mLSTM block feeds its cell: q, k from SiLU(causal convolution of x)
    # (torch's conv1d, padded on the left), v and o from x, the gates from (q, k, v); then sigmoid(o) * h~
    # per head, group norm, output projection
    for scan in ("sequential", "parallel"):
        torch.manual_seed(1)
        cell = MLSTM(8, num_heads=2, scan=scan)
        x = torch.randn(2, 7, 8)
        causal = torch.nn.functional.conv1d(x.transpose(1, 2), cell.conv.weight, cell.conv.bias, padding=3, groups=8)
        q_k, v_o = cell.qk(torch.nn.functional.silu(causal[:, :, :7]).transpose(1, 2)), cell.vo(x)  # (B, T, 16) each
        q, k, v, o = torch.cat([q_k, v_o], -1).view(2, 7, 4, 2, 4).permute(2, 0, 3, 1, 4).unbind(0)  # (B, K, T, d)
        gates = cell.gates(torch.cat([q_k, v_o[..., :8]], -1))  # (B, T, 2K)
        i_raw, f_raw = gates.view(2, 7, 2, 2).permute(2, 0, 3, 1).unbind(0)  # (B, K, T)
        h_ref, _, _ = _mlstm_by_the_equations(q, k / 2, v, i_raw, f_raw)  # k / sqrt(d), d = 4
        h_ref = (torch.sigmoid(o.double()) * h_ref).permute(0, 2, 1, 3).reshape(14, 8)
        y_ref = cell.out(cell.norm(h_ref.float()).view(2, 7, 8))
        y, _ = cell(x)
        assert torch.allclose(y, y_ref, atol=1e-5), (scan, float((y - y_ref).abs().max()))


def test_causal_convolution_is_torchs_and_carries_its_window():
    """CausalConv1d on a fresh sequence is torch's depthwise conv1d padded with k - 1 zeros on the left
    (that it is nn.Conv1d on its window, gradients too: tests/test_selective_scan.py), and a sequence
    convolved in two chunks (the window carried) gives the outputs of the whole."""
    torch.manual_seed(0)
    conv = CausalConv1d(6, kernel=4)
    x = torch.randn(2, 9, 6)  # (B, T, C)
    whole = conv.convolve(conv.extend(x, None))  # (B, C, T)
    expected = torch.nn.functional.conv1d(x.transpose(1, 2), conv.weight, conv.bias, padding=3, groups=6)[..., :9]
    assert torch.allclose(whole, expected, atol=1e-6)
    first = conv.extend(x[:, :5], None)
    second = conv.extend(x[:, 5:], conv.last_inputs(first, None))
    assert torch.allclose(torch.cat([conv.convolve(first), conv.convolve(second)], dim=2), whole, atol=1e-6)
    lengths = torch.tensor([5, 3])  # an example shorter than the chunk: its window ends at its own length
    window = conv.last_inputs(first, torch.arange(5)[None, :] < lengths[:, None])
    assert torch.equal(window[1], conv.extend(x[1:, :3], None)[0, :, -3:])


@pytest.mark.parametrize("family", FAMILIES)
def test_final_state_ignores_padding(family):
    """A padded example gets the same outputs and final state as the same example alone."""
    torch.manual_seed(0)
    core = ModernCell(family)(3, 8, 2).eval()
    x = torch.randn(2, 6, 3)
    out, state = core(x, torch.tensor([6, 3]))
    out_alone, alone = core(x[1:, :3], torch.tensor([3]))
    assert torch.allclose(out[1, :3], out_alone[0], atol=1e-5) and not bool(out[1, 3:].any())
    for s, s_alone in zip(state, alone):
        assert torch.allclose(s[:, 1], s_alone[:, 0], atol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("case", list(CASES))
def test_every_kind_has_its_shape_and_is_deterministic(family, case):
    """Two layers, dropout, attention where it applies: the kind's shape; the same seed, the same output."""
    task_name, knobs = CASES[case]
    task = make_task(task_name, **knobs)
    options = dict(hidden_size=8, embedding_size=4, num_layers=2, dropout=0.1,
                   attention=task.kind == "seq2seq")
    batch = task.sample(task.rng(0, "test"), 5, "test")
    outputs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = make_model(family, task.spec, **options).eval()
        with torch.no_grad():
            outputs.append(model(batch))
    out = outputs[0]
    if task.spec.is_decoder_output:
        assert out.shape == (5, batch.targets.shape[1], task.spec.output.size)
    elif task.spec.aligned_output:
        assert out.shape == (5, batch.inputs.shape[1], task.spec.output.size)
    else:
        assert out.shape[0] == 5
    assert torch.equal(outputs[0], outputs[1])


def test_bidirectional_is_not_an_option():
    with pytest.raises(Exception, match="bidirectional"):
        make_model("mamba", make_task("parity").spec, bidirectional=True)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_param_budget_chooses_the_width(family):
    spec = make_task("parity").spec
    model = make_model(family, spec, param_budget=20_000)
    count = sum(p.numel() for p in model.parameters())
    assert abs(count - 20_000) / 20_000 < 0.15, count
    if family in ("slstm", "mlstm"):  # at least 2 units per head, whatever the budget
        assert model.build_options["hidden_size"] % model.build_options["num_heads"] == 0
        tiny = make_model(family, spec, param_budget=200)
        assert tiny.build_options["hidden_size"] >= 2 * tiny.build_options["num_heads"]


@pytest.mark.parametrize("family", ["slstm", "mlstm"])
def test_one_unit_per_head_is_refused_with_the_reason(family):
    """A head of one unit is normalised to a constant: the mixer would ignore its input."""
    with pytest.raises(ConfigError, match="at least 2 units per head"):
        make_model(family, make_task("parity").spec, hidden_size=4, num_heads=4)


def test_an_mlstm_read_with_an_underflowing_floor_is_finite():
    """With i~ = 120 the stabiliser m is 120 and exp(-m) underflows in float32; a query orthogonal
    to the normaliser (n^T q = 0) must still give a finite read, on both paths."""
    q, k, v = (torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0]))
    q, k, v = (t.view(1, 1, 1, 2) for t in (q, k, v))
    fresh = (torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2), torch.zeros(1, 1))
    for path in (mlstm_sequential, mlstm_parallel):
        h, _ = path(q, k, v, torch.full((1, 1, 1), 120.0), torch.zeros(1, 1, 1), fresh)
        assert bool(torch.isfinite(h).all()), path.__name__


def test_mamba_signed_preset_is_mamba_with_eigenvalues_in_minus_one_one():
    from omegaconf import OmegaConf

    preset = OmegaConf.to_container(OmegaConf.load(ROOT / "conf" / "model" / "mamba_signed.yaml"))
    assert preset["defaults"][0] == "mamba"
    options = model_def("mamba").validate({k: v for k, v in preset.items() if k != "defaults"})
    assert options["eigenvalue_min"] == -1.0


def _parity_ood_accuracy(model_name: str, steps: int = 150, seed: int = 0, **options) -> float:
    """``model_name`` trained on parity_check strings of length 1-10, scored on lengths 11-40, on one
    CPU thread. Training batches mix lengths (``batch_lengths=mixed``): with one length per batch,
    the paper's protocol and the task's default, 150 and 300 steps leave both Mamba variants at
    chance (0.50 +- 0.01, seeds 0 and 1), so the phenomenon needs a longer run there (the Chomsky
    board's budget; at that protocol, 3,000 steps on a GPU host, see docs/models.md)."""
    return _small_scale_accuracy(model_name, "parity_check", "test_ood", steps, seed, **options)


def _small_scale_accuracy(model_name: str, task_name: str, split: str, steps: int = 150, seed: int = 0,
                          **options) -> float:
    """``model_name`` (hidden size 16) trained for ``steps`` Adam steps at lr 1e-2, batch 64, on
    ``task_name`` with lengths 1-10 mixed in each batch (out of distribution: 11-40), on one CPU
    thread; its accuracy on 500 examples of ``split``."""
    task = make_task(task_name, length=10, ood_length=40, batch_lengths="mixed")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = make_model(model_name, task.spec, hidden_size=16, **options)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        rng = task.rng(seed, "train")
        for _ in range(steps):
            batch = task.sample(rng, 64, "train")
            loss = task.loss(model(batch), batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        batch = task.sample(task.rng(seed, split), 500, split)
        with torch.no_grad():
            return float((model.eval()(batch).argmax(-1) == batch.targets).float().mean())
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_negative_eigenvalues_let_mamba_learn_parity():
    """Grazzi et al. 2025 at small scale: eigenvalues in [-1, 1] solve parity out of distribution;
    in [0, 1] the model stays at chance there. 150 Adam steps at lr 1e-2 (about 10 s for both on one
    CPU thread); seeds 0, 1, 2 gave 0.996, 0.956, 1.000 against 0.486, 0.492, 0.524."""
    signed = _parity_ood_accuracy("mamba", eigenvalue_min=-1.0, scan="sequential")
    positive = _parity_ood_accuracy("mamba", eigenvalue_min=0.0, scan="sequential")
    assert signed >= 0.9, signed
    assert positive <= 0.6, positive


#: parity out of distribution at small scale (the budget above), seeds 0, 1, 2 measured on 2026-12-04
#: (mlstm on 2026-12-05, with its causal convolution)
PARITY = {
    "slstm": ("solves", "memory mixing, Beck et al. 2024: 1.000, 1.000, 0.998"),
    "rnn_tanh": ("solves", "a nonlinear recurrence: 1.000, 1.000, 1.000"),
    "lstm": ("solves", "a nonlinear recurrence: 1.000, 1.000, 0.998"),
    "mingru": ("chance", "positive input-only gates, Feng et al. 2024: 0.494, 0.510, 0.532"),
    "minlstm": ("chance", "positive input-only gates, Feng et al. 2024: 0.488, 0.502, 0.534"),
    "lru": ("chance", "time-invariant: the same transition whatever the bit: 0.488, 0.490, 0.586"),
    "mlstm": ("chance", "no memory mixing, Beck et al. 2024: 0.498, 0.488, 0.496"),
}


@pytest.mark.slow
@pytest.mark.parametrize("model_name", list(PARITY))
def test_state_tracking_needs_memory_mixing_or_a_nonlinear_recurrence(model_name):
    """The modern-model findings on parity at small scale (seed 0, 1 to 6 s each on one thread):
    the sLSTM and the classic nonlinear RNNs solve it out of distribution (>= 0.9); the
    linear recurrences with positive (minGRU, minLSTM), time-invariant (LRU) or unmixed (mLSTM)
    transitions stay at chance (<= 0.6)."""
    outcome, why = PARITY[model_name]
    accuracy = _parity_ood_accuracy(model_name)
    if outcome == "solves":
        assert accuracy >= 0.9, (model_name, why, accuracy)
    else:
        assert accuracy <= 0.6, (model_name, why, accuracy)


@pytest.mark.slow
def test_the_convolution_lets_the_mlstm_remember_the_first_symbol():
    """even_pairs (is the first symbol the last?) in distribution, seed 0, 150 steps (about 5 s for
    both on one thread). The causal convolution in front of q and k (xLSTM's mLSTM block) sees the
    zeros before the first step, so the one-layer mLSTM can write the first symbol apart from the
    rest; without it its gates see the current symbol only. Seeds 0, 1, 2 measured 2026-12-05:
    1.000, 1.000, 1.000 with it (out of distribution 1.000, 0.904, 1.000), 0.730, 0.470, 0.564
    without."""
    with_conv = _small_scale_accuracy("mlstm", "even_pairs", "test")
    without = _small_scale_accuracy("mlstm", "even_pairs", "test", conv_kernel=0)
    assert with_conv >= 0.95, with_conv
    assert without <= 0.8, without


def test_auto_scan_is_the_faster_path_of_the_device_and_the_same_function():
    """``scan=auto`` (the default) steps through time on a CPU (mLSTM: its parallel form, faster
    there too) and gives the parallel path's outputs."""
    from seqbench.models.mlstm import MLSTM
    from seqbench.models.modern import SCAN
    from seqbench.models.scans import SCANS, resolve_scan

    assert SCAN.default == "auto" and SCAN.choices == SCANS
    assert resolve_scan("auto", torch.zeros(1)) == "sequential"
    assert resolve_scan("auto", torch.zeros(1, device="meta")) == "parallel"
    assert resolve_scan("auto", torch.zeros(1), on_cpu="parallel") == "parallel"
    cell = MLSTM(8, num_heads=2)
    with patch("seqbench.models.mlstm.mlstm_sequential", side_effect=AssertionError("the step loop ran")):
        cell(torch.randn(2, 5, 8))  # auto on a CPU: the parallel form
    x = torch.randn(3, 9, 5, generator=torch.Generator().manual_seed(2))
    for family, options in SCANNED:  # _core seeds the weights alike
        auto, parallel = _core(family, "auto", options), _core(family, "parallel", options)
        assert _close(auto(x)[0], parallel(x)[0]), family
