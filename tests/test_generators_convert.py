"""convert-model: CompVis checkpoint -> diffusers model folder (spec Annex B.3/B.4)."""

import json
import math

import numpy as np
import pytest
import torch

from ssgc_format.errors import ModelError
from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, PROFILE_TINY, PROFILES
from ssgc_format.schedule import alphas_cumprod
from ssgc_ref.cli import main as cli_main
from ssgc_ref.generators.convert import convert_state_dict, load_checkpoint
from ssgc_ref.generators.models import build_unet
from ssgc_ref.generators.weights import canonical_digest, load_model_dir

torch.set_num_threads(1)


# --- the original key names and shapes, written from the CompVis/taming constructors ----------
def original_shapes(p) -> dict[str, tuple]:
    s = {}

    def res(pre, cin, cout, emb):
        s.update({pre + "in_layers.0.weight": (cin,), pre + "in_layers.0.bias": (cin,),
                  pre + "in_layers.2.weight": (cout, cin, 3, 3), pre + "in_layers.2.bias": (cout,),
                  pre + "emb_layers.1.weight": (cout, emb), pre + "emb_layers.1.bias": (cout,),
                  pre + "out_layers.0.weight": (cout,), pre + "out_layers.0.bias": (cout,),
                  pre + "out_layers.3.weight": (cout, cout, 3, 3), pre + "out_layers.3.bias": (cout,)})
        if cin != cout:
            s.update({pre + "skip_connection.weight": (cout, cin, 1, 1), pre + "skip_connection.bias": (cout,)})

    u = "model.diffusion_model."
    mc, emb = p.model_channels, 4 * p.model_channels
    s.update({u + "time_embed.0.weight": (emb, mc), u + "time_embed.0.bias": (emb,),
              u + "time_embed.2.weight": (emb, emb), u + "time_embed.2.bias": (emb,),
              u + "input_blocks.0.0.weight": (mc, 6, 3, 3), u + "input_blocks.0.0.bias": (mc,)})
    chans, ch, idx = [mc], mc, 1
    for level, mult in enumerate(p.channel_mult):
        for _ in range(p.num_res_blocks):
            res(f"{u}input_blocks.{idx}.0.", ch, mult * mc, emb)
            ch = mult * mc
            chans.append(ch)
            idx += 1
        if level != len(p.channel_mult) - 1:
            s.update({f"{u}input_blocks.{idx}.0.op.weight": (ch, ch, 3, 3), f"{u}input_blocks.{idx}.0.op.bias": (ch,)})
            chans.append(ch)
            idx += 1
    res(u + "middle_block.0.", ch, ch, emb)
    s.update({u + "middle_block.1.norm.weight": (ch,), u + "middle_block.1.norm.bias": (ch,),
              u + "middle_block.1.qkv.weight": (3 * ch, ch, 1), u + "middle_block.1.qkv.bias": (3 * ch,),
              u + "middle_block.1.proj_out.weight": (ch, ch, 1), u + "middle_block.1.proj_out.bias": (ch,)})
    res(u + "middle_block.2.", ch, ch, emb)
    idx = 0
    for level, mult in reversed(list(enumerate(p.channel_mult))):
        for i in range(p.num_res_blocks + 1):
            res(f"{u}output_blocks.{idx}.0.", ch + chans.pop(), mc * mult, emb)
            ch = mc * mult
            if level and i == p.num_res_blocks:
                s.update({f"{u}output_blocks.{idx}.1.conv.weight": (ch, ch, 3, 3),
                          f"{u}output_blocks.{idx}.1.conv.bias": (ch,)})
            idx += 1
    s.update({u + "out.0.weight": (ch,), u + "out.0.bias": (ch,), u + "out.2.weight": (3, ch, 3, 3),
              u + "out.2.bias": (3,)})

    def vres(pre, cin, cout):
        s.update({pre + "norm1.weight": (cin,), pre + "norm1.bias": (cin,), pre + "conv1.weight": (cout, cin, 3, 3),
                  pre + "conv1.bias": (cout,), pre + "norm2.weight": (cout,), pre + "norm2.bias": (cout,),
                  pre + "conv2.weight": (cout, cout, 3, 3), pre + "conv2.bias": (cout,)})
        if cin != cout:
            s.update({pre + "nin_shortcut.weight": (cout, cin, 1, 1), pre + "nin_shortcut.bias": (cout,)})

    def vmid(pre, c):
        vres(pre + "block_1.", c, c)
        for n in ("q", "k", "v", "proj_out"):
            s.update({f"{pre}attn_1.{n}.weight": (c, c, 1, 1), f"{pre}attn_1.{n}.bias": (c,)})
        s.update({pre + "attn_1.norm.weight": (c,), pre + "attn_1.norm.bias": (c,)})
        vres(pre + "block_2.", c, c)

    v, c0, z = "first_stage_model.", p.vq_ch, p.latent_channels
    mult = (1,) + tuple(p.vq_ch_mult)
    s.update({v + "encoder.conv_in.weight": (c0, 3, 3, 3), v + "encoder.conv_in.bias": (c0,)})
    for i in range(len(p.vq_ch_mult)):
        bin_, bout = c0 * mult[i], c0 * p.vq_ch_mult[i]
        for j in range(p.vq_num_res_blocks):
            vres(f"{v}encoder.down.{i}.block.{j}.", bin_, bout)
            bin_ = bout
        if i != len(p.vq_ch_mult) - 1:
            s.update({f"{v}encoder.down.{i}.downsample.conv.weight": (bin_, bin_, 3, 3),
                      f"{v}encoder.down.{i}.downsample.conv.bias": (bin_,)})
    vmid(v + "encoder.mid.", bin_)
    s.update({v + "encoder.norm_out.weight": (bin_,), v + "encoder.norm_out.bias": (bin_,),
              v + "encoder.conv_out.weight": (z, bin_, 3, 3), v + "encoder.conv_out.bias": (z,)})
    bin_ = c0 * p.vq_ch_mult[-1]
    s.update({v + "decoder.conv_in.weight": (bin_, z, 3, 3), v + "decoder.conv_in.bias": (bin_,)})
    vmid(v + "decoder.mid.", bin_)
    for i in reversed(range(len(p.vq_ch_mult))):
        bout = c0 * p.vq_ch_mult[i]
        for j in range(p.vq_num_res_blocks + 1):
            vres(f"{v}decoder.up.{i}.block.{j}.", bin_, bout)
            bin_ = bout
        if i != 0:
            s.update({f"{v}decoder.up.{i}.upsample.conv.weight": (bin_, bin_, 3, 3),
                      f"{v}decoder.up.{i}.upsample.conv.bias": (bin_,)})
    s.update({v + "decoder.norm_out.weight": (bin_,), v + "decoder.norm_out.bias": (bin_,),
              v + "decoder.conv_out.weight": (3, bin_, 3, 3), v + "decoder.conv_out.bias": (3,),
              v + "quant_conv.weight": (z, z, 1, 1), v + "quant_conv.bias": (z,),
              v + "post_quant_conv.weight": (z, z, 1, 1), v + "post_quant_conv.bias": (z,),
              v + "quantize.embedding.weight": (p.vq_n_embed, z),
              "cond_stage_model.channel_mapper.weight": (3, 182, 1, 1)})
    return s


def synthetic_state_dict(p, seed=0):
    g = torch.Generator().manual_seed(seed)
    sd = {k: torch.randn(shape, generator=g) * 0.2 for k, shape in sorted(original_shapes(p).items())}
    a = alphas_cumprod()
    sd["betas"] = torch.tensor(1 - a / np.concatenate([[1.0], a[:-1]]), dtype=torch.float32)
    sd["alphas_cumprod"] = torch.tensor(a, dtype=torch.float32)
    sd["posterior_variance"] = torch.zeros(1000)
    return sd


class LightningCallbackLike:  # pickled by global name: the loader must not import it
    def __init__(self):
        self.best = np.float64(0.5)


TINY = PROFILES[PROFILE_TINY]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "model.ckpt"
    torch.save({"state_dict": synthetic_state_dict(TINY), "global_step": 470000, "epoch": np.int64(3),
                "callbacks": {"cb": LightningCallbackLike()}}, path)
    return path


def test_full_size_mapping_on_meta_device():
    p = PROFILES[PROFILE_LDM_SEMANTIC512]
    with torch.device("meta"):
        n = sum(t.numel() for t in build_unet(p).parameters())
        src = {k: torch.empty(shape) for k, shape in original_shapes(p).items()}
    assert n == p.params_expected and abs(n - 215.2e6) < 0.1e6
    assert sum(math.prod(s) for k, s in original_shapes(p).items() if k.startswith("model.")) == n
    out = convert_state_dict(src, p)  # every original key maps, every shape fits
    assert len(out["unet"]) == 220 and len(out["vqvae"]) == 205 and len(out["condition"]) == 1


def test_convert_round_trip(ckpt, tmp_path, capsys):
    out = tmp_path / "model"
    assert cli_main(["convert-model", str(ckpt), "-o", str(out), "--profile", "2"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "ssgc-model.json").read_text())
    import hashlib
    assert manifest["source"]["sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert manifest["source"]["sha256"] in printed and manifest["weights_sha256"] in printed
    for rel, h in manifest["files_sha256"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == h
    with pytest.warns(UserWarning, match="digest"):  # not the pinned tiny weights
        b = load_model_dir(out, PROFILE_TINY, allow_model_mismatch=True)
    assert b.digest == manifest["weights_sha256"] == canonical_digest(b.state_dicts())
    sd = synthetic_state_dict(TINY)
    # plain copies
    assert torch.equal(b.unet.conv_in.weight, sd["model.diffusion_model.input_blocks.0.0.weight"])
    assert torch.equal(b.unet.up_blocks[0].upsamplers[0].conv.weight,
                       sd["model.diffusion_model.output_blocks.2.1.conv.weight"])
    assert torch.equal(b.vq.decoder.up_blocks[0].resnets[2].conv2.weight,
                       sd["first_stage_model.decoder.up.2.block.2.conv2.weight"])
    # the legacy multi-head qkv split, checked functionally against openaimodel's attention
    x = torch.randn(1, 32, 3, 5)
    pre = "model.diffusion_model.middle_block.1."
    h = torch.nn.functional.group_norm(x, TINY.norm_groups, sd[pre + "norm.weight"], sd[pre + "norm.bias"], 1e-5)
    qkv = torch.nn.functional.conv1d(h.reshape(1, 32, -1), sd[pre + "qkv.weight"], sd[pre + "qkv.bias"])
    heads, ch = TINY.num_heads, 32 // TINY.num_heads
    q, k, v = qkv.reshape(heads, 3 * ch, -1).split(ch, dim=1)
    w = torch.softmax(torch.einsum("bct,bcs->bts", q, k) / math.sqrt(ch), dim=-1)
    a = torch.einsum("bts,bcs->bct", w, v).reshape(1, 32, -1)
    ref = x + torch.nn.functional.conv1d(a, sd[pre + "proj_out.weight"], sd[pre + "proj_out.bias"]).reshape(x.shape)
    with torch.no_grad():
        got = b.unet.mid_block.attentions[0](x)
    assert torch.allclose(got, ref, atol=1e-5)


def test_ema_weights(tmp_path):
    sd = synthetic_state_dict(TINY)
    for k in [k for k in sd if k.startswith("model.diffusion_model.")]:
        sd["model_ema.diffusion_model" + k[len("model.diffusion_model."):].replace(".", "")] = sd[k] + 1
    sd["model_ema.num_updates"] = torch.tensor(5)
    plain = convert_state_dict(sd, TINY, use_ema=False)
    ema = convert_state_dict(sd, TINY, use_ema=True)
    assert torch.equal(ema["unet"]["conv_in.weight"], plain["unet"]["conv_in.weight"] + 1)
    assert torch.equal(ema["vqvae"]["quant_conv.weight"], plain["vqvae"]["quant_conv.weight"])
    # the default is the EMA copy when the checkpoint has one (Annex B.1), the training weights otherwise
    assert torch.equal(convert_state_dict(sd, TINY)["unet"]["conv_in.weight"], ema["unet"]["conv_in.weight"])
    raw_only = {k: v for k, v in sd.items() if not k.startswith("model_ema.")}
    assert torch.equal(convert_state_dict(raw_only, TINY)["unet"]["conv_in.weight"], plain["unet"]["conv_in.weight"])
    # the CLI says which it took, and records it
    path = tmp_path / "ema.ckpt"
    torch.save({"state_dict": sd}, path)
    assert cli_main(["convert-model", str(path), "-o", str(tmp_path / "e"), "--profile", "2"]) == 0
    assert cli_main(["convert-model", str(path), "-o", str(tmp_path / "r"), "--profile", "2", "--weights", "raw"]) == 0
    src_e = json.loads((tmp_path / "e" / "ssgc-model.json").read_text())["source"]
    src_r = json.loads((tmp_path / "r" / "ssgc-model.json").read_text())["source"]
    assert src_e["unet_weights"] == "ema" and src_e["ema_num_updates"] == 5 and src_r["unet_weights"] == "raw"
    # an incomplete EMA copy is an error naming the EMA key, once
    del sd["model_ema.diffusion_modelmiddle_block1qkvweight"]
    with pytest.raises(ModelError, match=r"1 missing EMA tensors, e.g. \['model_ema.diffusion_modelmiddle_block1qkvweight'\]"):
        convert_state_dict(sd, TINY)


@pytest.mark.parametrize("edit,match", [
    # q, k and v all read qkv: the message names the one missing key once (issue 15)
    (lambda sd: sd.pop("model.diffusion_model.middle_block.1.qkv.bias"),
     r"1 missing tensors, e\.g\. \['model\.diffusion_model\.middle_block\.1\.qkv\.bias'\]"),
    (lambda sd: sd.pop("first_stage_model.decoder.up.1.upsample.conv.weight"), "missing"),
    (lambda sd: sd.__setitem__("model.diffusion_model.input_blocks.9.0.op.weight", torch.zeros(1)), "unexpected"),
    (lambda sd: sd.__setitem__("first_stage_model.loss.logvar", torch.zeros(1)), "unexpected"),
    (lambda sd: sd.__setitem__("cond_stage_model.channel_mapper.weight", torch.zeros(3, 183, 1, 1)), "shape"),
    (lambda sd: sd.__setitem__("alphas_cumprod", torch.ones(1000)), "schedule"),
    (lambda sd: sd.__setitem__("scale_factor", torch.tensor(0.18215)), "scale_factor is 0.18215"),
    (lambda sd: sd.__setitem__("scale_factor", torch.ones(2)), "expected one float"),
])
def test_bad_checkpoints(edit, match):
    sd = synthetic_state_dict(TINY)
    edit(sd)
    with pytest.raises(ModelError, match=match):
        convert_state_dict(sd, TINY)


def test_scale_factor_one_is_accepted():
    sd = synthetic_state_dict(TINY)
    sd["scale_factor"] = torch.tensor(1.0)
    assert convert_state_dict(sd, TINY)["unet"]


def test_loader_never_executes_pickled_code(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {"x": torch.zeros(1)}, "payload": Evil()}, path)
    with pytest.raises(ModelError, match="safely"):  # torch blocks os/posix globals outright
        load_checkpoint(path)
    assert not marker.exists()
    # an unknown class (a Lightning callback, say) is replaced by an inert stub, never imported
    torch.save({"state_dict": {"x": torch.zeros(1)}, "cb": LightningCallbackLike()}, path)
    assert set(load_checkpoint(path)) == {"x"}
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError):
        load_checkpoint(tmp_path / "junk.ckpt")
    assert cli_main(["convert-model", str(tmp_path / "junk.ckpt"), "-o", str(tmp_path / "o")]) == 4


# --- functional check: the original networks' forward passes, written from the CompVis/taming
# --- code's semantics with plain torch ops on the ORIGINAL state dict, against the converted modules
F = torch.nn.functional


def _gn(x, sd, pre, groups, eps):
    return F.group_norm(x, groups, sd[pre + "weight"], sd[pre + "bias"], eps)


def _conv(x, sd, pre, **kw):
    return F.conv2d(x, sd[pre + "weight"], sd[pre + "bias"], **kw)


def original_unet_forward(sd, p, x, t):
    u = "model.diffusion_model."
    G, E = p.norm_groups, 1e-5
    half = p.model_channels // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    emb = F.linear(F.silu(F.linear(emb, sd[u + "time_embed.0.weight"], sd[u + "time_embed.0.bias"])),
                   sd[u + "time_embed.2.weight"], sd[u + "time_embed.2.bias"])

    def res(h, pre):
        y = _conv(F.silu(_gn(h, sd, pre + "in_layers.0.", G, E)), sd, pre + "in_layers.2.", padding=1)
        y = y + F.linear(F.silu(emb), sd[pre + "emb_layers.1.weight"], sd[pre + "emb_layers.1.bias"])[..., None, None]
        y = _conv(F.silu(_gn(y, sd, pre + "out_layers.0.", G, E)), sd, pre + "out_layers.3.", padding=1)
        skip = _conv(h, sd, pre + "skip_connection.") if pre + "skip_connection.weight" in sd else h
        return skip + y

    def attn(h, pre):
        b, c, hh, ww = h.shape
        qkv = F.conv1d(_gn(h, sd, pre + "norm.", G, E).reshape(b, c, -1), sd[pre + "qkv.weight"], sd[pre + "qkv.bias"])
        ch = c // p.num_heads
        q, k, v = qkv.reshape(b * p.num_heads, 3 * ch, -1).split(ch, dim=1)
        s = 1 / math.sqrt(math.sqrt(ch))
        w = torch.softmax(torch.einsum("bct,bcs->bts", q * s, k * s), dim=-1)
        a = torch.einsum("bts,bcs->bct", w, v).reshape(b, c, -1)
        return h + F.conv1d(a, sd[pre + "proj_out.weight"], sd[pre + "proj_out.bias"]).reshape(h.shape)

    h = _conv(x, sd, u + "input_blocks.0.0.", padding=1)
    hs, idx = [h], 1
    while f"{u}input_blocks.{idx}.0.op.weight" in sd or f"{u}input_blocks.{idx}.0.in_layers.0.weight" in sd:
        pre = f"{u}input_blocks.{idx}.0."
        h = _conv(h, sd, pre + "op.", stride=2, padding=1) if pre + "op.weight" in sd else res(h, pre)
        hs.append(h)
        idx += 1
    h = res(attn(res(h, u + "middle_block.0."), u + "middle_block.1."), u + "middle_block.2.")
    idx = 0
    while f"{u}output_blocks.{idx}.0.in_layers.0.weight" in sd:
        h = res(torch.cat([h, hs.pop()], dim=1), f"{u}output_blocks.{idx}.0.")
        if f"{u}output_blocks.{idx}.1.conv.weight" in sd:
            h = _conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), sd, f"{u}output_blocks.{idx}.1.conv.", padding=1)
        idx += 1
    return _conv(F.silu(_gn(h, sd, u + "out.0.", G, E)), sd, u + "out.2.", padding=1)


def original_vq(sd, p, x):
    v, G, E = "first_stage_model.", p.vq_norm_groups, 1e-6

    def res(h, pre):
        y = _conv(F.silu(_gn(h, sd, pre + "norm1.", G, E)), sd, pre + "conv1.", padding=1)
        y = _conv(F.silu(_gn(y, sd, pre + "norm2.", G, E)), sd, pre + "conv2.", padding=1)
        return (_conv(h, sd, pre + "nin_shortcut.") if pre + "nin_shortcut.weight" in sd else h) + y

    def attn(h, pre):
        b, c, hh, ww = h.shape
        n = _gn(h, sd, pre + "norm.", G, E)
        q = _conv(n, sd, pre + "q.").reshape(b, c, -1).permute(0, 2, 1)
        k = _conv(n, sd, pre + "k.").reshape(b, c, -1)
        w = torch.softmax(torch.bmm(q, k) * c ** -0.5, dim=2)
        val = _conv(n, sd, pre + "v.").reshape(b, c, -1)
        a = torch.bmm(val, w.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return h + _conv(a, sd, pre + "proj_out.")

    def mid(h, pre):
        return res(attn(res(h, pre + "block_1."), pre + "attn_1."), pre + "block_2.")

    L, R = len(p.vq_ch_mult), p.vq_num_res_blocks
    h = _conv(x, sd, v + "encoder.conv_in.", padding=1)
    for i in range(L):
        for j in range(R):
            h = res(h, f"{v}encoder.down.{i}.block.{j}.")
        if i != L - 1:
            h = _conv(F.pad(h, (0, 1, 0, 1)), sd, f"{v}encoder.down.{i}.downsample.conv.", stride=2)
    h = mid(h, v + "encoder.mid.")
    h = _conv(F.silu(_gn(h, sd, v + "encoder.norm_out.", G, E)), sd, v + "encoder.conv_out.", padding=1)
    z = _conv(h, sd, v + "quant_conv.")
    h = _conv(_conv(z, sd, v + "post_quant_conv."), sd, v + "decoder.conv_in.", padding=1)
    h = mid(h, v + "decoder.mid.")
    for i in reversed(range(L)):
        for j in range(R + 1):
            h = res(h, f"{v}decoder.up.{i}.block.{j}.")
        if i != 0:
            h = _conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), sd, f"{v}decoder.up.{i}.upsample.conv.", padding=1)
    h = _conv(F.silu(_gn(h, sd, v + "decoder.norm_out.", G, E)), sd, v + "decoder.conv_out.", padding=1)
    return z, h


def test_converted_networks_compute_what_the_original_computes():
    sd = synthetic_state_dict(TINY, seed=3)
    conv = convert_state_dict(sd, TINY)
    from ssgc_ref.generators.models import build_condition, build_vq
    unet, vq, cond = build_unet(TINY).eval(), build_vq(TINY).eval(), build_condition(TINY)
    unet.load_state_dict(conv["unet"])
    vq.load_state_dict(conv["vqvae"])
    cond.load_state_dict(conv["condition"])
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 6, 8, 12, generator=g)
    t = torch.tensor([1, 701])
    with torch.no_grad():
        ref = original_unet_forward(sd, TINY, x, t)
        got = unet(x, t).sample
        assert torch.allclose(got, ref, atol=1e-4 * ref.abs().max().item()), (got - ref).abs().max()
        img = torch.rand(1, 3, 32, 48, generator=g) * 2 - 1
        z_ref, rec_ref = original_vq(sd, TINY, img)
        z = vq.encode(img).latents
        assert torch.allclose(z, z_ref, atol=1e-4 * z_ref.abs().max().item())
        rec = vq.decode(z, force_not_quantize=True).sample
        assert torch.allclose(rec, rec_ref, atol=1e-4 * rec_ref.abs().max().item())
        # SpatialRescaler: one-hot, bilinear x0.5 twice, 1x1 conv without bias
        labels = torch.randint(0, 183, (1, 16, 24), generator=g)
        onehot = F.one_hot(labels, 183)[..., :182].permute(0, 3, 1, 2).float()
        for _ in range(2):
            onehot = F.interpolate(onehot, scale_factor=0.5, mode="bilinear")
        ref_c = F.conv2d(onehot, sd["cond_stage_model.channel_mapper.weight"])
        assert torch.allclose(cond(labels), ref_c, atol=1e-5)
