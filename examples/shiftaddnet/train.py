#!/usr/bin/python3
"""Train a small ShiftAddNet (a ResNet-8 in the structure of RICE-EIC/ShiftAddNet's resnet20_shiftadd) on
Fashion-MNIST and export it with the ai.shiftaddc custom ops (docs/custom-ops.md).

Usage (repository root; torch + onnx, CPU; not run by CI):

    nice -n 10 /usr/bin/python3 examples/shiftaddnet/train.py [--epochs 2] [--train-images 12000]

Structure: a float stem (conv3x3 + BN + ReLU + max pool), three basic blocks (8, 16, 32 channels) whose every
convolution is a pair, shift conv (DeepShift weights: sign * 2^round(log2|w|), straight-through) -> adder conv
(-sum |x - w|, AdderNet's full-precision gradient and adaptive learning-rate scaling) -> BN, the downsample path a
1x1 shift -> 1x1 adder -> BN pair; global average pool and a float classifier, as the reference keeps them.

Writes examples/shiftaddnet/shiftaddnet.onnx (opset 13 + ai.shiftaddc 1, input "input" [1,1,28,28], output
"logits" [1,10]) and examples/shiftaddnet/model.json (PyTorch test top-1 on the 10,000 test images, settings).
Input normalisation as every example: pixel / 255.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import fmnist  # noqa: E402

DOMAIN = "ai.shiftaddc"


def pow2_round(w):
    """DeepShift's rounding: sign(w) * 2^round(log2|w|), exponents in [-10, 0], magnitudes below 2^-11 to 0."""
    e = torch.round(torch.log2(w.abs().clamp(min=1e-12))).clamp(-10, 0)
    return torch.where(w.abs() < 2.0 ** -11, torch.zeros_like(w), torch.sign(w) * 2.0 ** e)


class ShiftConvFn(torch.autograd.Function):
    """Exported as ai.shiftaddc ShiftConv: a Conv whose weights are signed powers of two."""

    @staticmethod
    def forward(ctx, x, w, stride, pad):
        return F.conv2d(x, w, None, stride, pad)

    @staticmethod
    def symbolic(g, x, w, stride, pad):
        k = w.type().sizes()[2:]
        return g.op(f"{DOMAIN}::ShiftConv", x, w, kernel_shape_i=list(k), strides_i=[stride, stride], pads_i=[pad] * 4)


class ShiftConv(nn.Module):
    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.w = nn.Parameter(torch.empty(cout, cin, k, k))
        nn.init.kaiming_normal_(self.w)
        self.stride, self.pad = stride, pad

    def forward(self, x):
        if torch.onnx.is_in_onnx_export():
            return ShiftConvFn.apply(x, self.w_export, self.stride, self.pad)
        # Straight-through: the forward sees the rounded weights, the gradient reaches the float ones.
        wq = self.w + (pow2_round(self.w) - self.w).detach()
        return F.conv2d(x, wq, None, self.stride, self.pad)


class AdderFn(torch.autograd.Function):
    """y[n, m, l] = -sum_d |x_col[n, d, l] - w[m, d]|; exported as ai.shiftaddc AdderConv."""

    @staticmethod
    def forward(ctx, x, w, stride, pad):
        N, _, H, W = (int(v) for v in x.shape)
        M, k = int(w.shape[0]), int(w.shape[2])
        cols = F.unfold(x, k, padding=pad, stride=stride)
        wc = w.view(M, -1)
        out = -(cols.unsqueeze(1) - wc[None, :, :, None]).abs().sum(2)
        ctx.save_for_backward(cols, w)
        ctx.geo = (H, W, k, stride, pad)
        oh = (H + 2 * pad - k) // stride + 1
        return out.view(N, M, oh, -1)

    @staticmethod
    def backward(ctx, go):
        cols, w = ctx.saved_tensors
        H, W, k, stride, pad = ctx.geo
        M = w.shape[0]
        g = go.reshape(go.shape[0], M, 1, -1)
        diff = cols.unsqueeze(1) - w.view(M, -1)[None, :, :, None]
        # AdderNet: the full-precision gradient x - w for the weights, HardTanh(w - x) for the input.
        gw = (diff * g).sum((0, 3))
        # Adaptive learning-rate scaling (the reference's adder.py): normalise, times sqrt(#weights) / 5.
        gw = gw / gw.norm(p=2).clamp(min=1e-12) * math.sqrt(gw.numel()) / 5
        gx = ((-diff).clamp(-1, 1) * g).sum(1)
        gx = F.fold(gx, (H, W), k, padding=pad, stride=stride)
        return gx, gw.view_as(w), None, None

    @staticmethod
    def symbolic(g, x, w, stride, pad):
        k = w.type().sizes()[2:]
        return g.op(f"{DOMAIN}::AdderConv", x, w, kernel_shape_i=list(k), strides_i=[stride, stride], pads_i=[pad] * 4)


class Adder(nn.Module):
    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.w = nn.Parameter(torch.randn(cout, cin, k, k) * 0.5)
        self.stride, self.pad = stride, pad

    def forward(self, x):
        return AdderFn.apply(x, self.w, self.stride, self.pad)


def pair(cin, cout, k, stride, pad):
    """The reference's conv: shift conv (cin -> cout, stride) then adder conv (cout -> cout, stride 1)."""
    return nn.Sequential(ShiftConv(cin, cout, k, stride, pad), Adder(cout, cout, k, 1, pad))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = pair(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout)
        self.c2, self.b2 = pair(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(pair(cin, cout, 1, stride, 0), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ShiftAddNet8(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
        self.blocks = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2), Block(16, 32, 2))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def evaluate(model, x, y, bs=500):
    model.eval()
    hit = 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            hit += (model(torch.from_numpy(x[i:i + bs])).argmax(1).numpy() == y[i:i + bs]).sum()
    return float(hit) / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train-images", type=int, default=12000)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "shiftaddnet.onnx"))
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    xtr, ytr = fmnist.load("train")
    xte, yte = fmnist.load("test")
    idx = np.random.RandomState(a.seed).permutation(len(xtr))[: a.train_images]
    xtr, ytr = xtr[idx], ytr[idx]
    model = ShiftAddNet8()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = a.epochs * math.ceil(len(xtr) / 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps)
    t0 = time.time()
    for ep in range(a.epochs):
        model.train()
        perm = np.random.RandomState(a.seed + ep).permutation(len(xtr))
        for k, i in enumerate(range(0, len(xtr), 64)):
            b = perm[i:i + 64]
            loss = F.cross_entropy(model(torch.from_numpy(xtr[b])), torch.from_numpy(ytr[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if k % 50 == 0:
                print(f"epoch {ep} step {k} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    acc = evaluate(model, xte, yte)
    print(f"PyTorch test top-1 {100 * acc:.2f}% ({time.time() - t0:.0f} s)")
    for m in model.modules():
        if isinstance(m, ShiftConv):
            m.register_buffer("w_export", pow2_round(m.w.detach()))
    model.eval()
    torch.onnx.export(model, torch.from_numpy(xte[:1]), a.out, input_names=["input"], output_names=["logits"],
                      opset_version=13, custom_opsets={DOMAIN: 1}, do_constant_folding=True)
    info = {"top1": round(100 * acc, 2), "testImages": len(xte), "epochs": a.epochs, "trainImages": len(xtr), "lr": a.lr,
            "seed": a.seed, "seconds": round(time.time() - t0), "torch": torch.__version__}
    with open(os.path.join(HERE, "model.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()
