#!/usr/bin/python3
"""Train the shiftaddc example CNNs on Fashion-MNIST and export them to ONNX.

Usage (from the repository root; needs torch + onnx, CPU is fine):

    /usr/bin/python3 examples/train.py --model all
    /usr/bin/python3 examples/train.py --model lenet --epochs 8

Writes, for each model NAME:
    examples/NAME.onnx                 opset 13, input "input" [1,1,28,28], output "logits" [1,10]
    examples/NAME.expected-16.npy      float32 [16,10] PyTorch logits for examples/data/test-images-16.npy
and the shared files
    examples/data/test-images-16.npy   float32 [16,1,28,28] first 16 test images
    examples/data/test-labels-16.npy   int64 [16]
    examples/data/calib-256.npy        float32 [256,1,28,28] training images (seeded choice)
    examples/data/sample.npy           float32 [1,1,28,28] test image 0
    examples/models.json               accuracy / params / MACs / description per model

Input normalisation: x = pixel / 255 (float32 in [0,1]); no mean subtraction.
Everything is seeded (--seed, default 0) and runs single-process on CPU.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fmnist  # noqa: E402

DATA_OUT = os.path.join(HERE, "data")


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

class LeNet(nn.Module):
    """LeNet-5: conv5x5(1->6,pad2)/relu/maxpool2, conv5x5(6->16)/relu/maxpool2, fc 400-120-84-10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + sc)


class ResNet8(nn.Module):
    """ResNet-8: stem conv3x3(1->16)+BN+relu, basic blocks 16 (28x28), 32 (s2, 14x14), 64 (s2, 7x7),
    1x1 conv+BN shortcuts on downsampling, global average pool, fc 64->10."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = BasicBlock(16, 16, 1)
        self.layer2 = BasicBlock(16, 32, 2)
        self.layer3 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stem(x)
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


def dw_block(cin, cout, stride):
    """Depthwise 3x3 + BN + ReLU6, pointwise 1x1 + BN + ReLU6."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin), nn.ReLU6(),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout), nn.ReLU6(),
    )


class DWSep(nn.Module):
    """MobileNet-style: conv3x3(1->16)+BN+ReLU6, avgpool2 (->14x14), depthwise-separable blocks
    16->32, 32->64 (s2, ->7x7), 64->96, global average pool, fc 96->10."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
            nn.AvgPool2d(2, count_include_pad=False),  # (no padding; avoids a zero Pad node in the export)
            dw_block(16, 32, 1),
            dw_block(32, 64, 2),
            dw_block(64, 96, 1),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(96, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1, bias=False), nn.BatchNorm2d(squeeze))
        self.expand1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1, bias=False), nn.BatchNorm2d(expand))
        self.expand3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1, bias=False), nn.BatchNorm2d(expand))

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1(s)), F.relu(self.expand3(s))], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet-style (BN after each fire conv): conv3x3(1->24)+relu, maxpool2 (->14x14), fire(24:s12,e24+24), fire(48:s16,e24+24),
    maxpool2 (->7x7), fire(48:s16,e48+48), conv1x1 96->10, global average pool (no final ReLU)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 24, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            Fire(24, 12, 24),
            Fire(48, 16, 24),
            nn.MaxPool2d(2),
            Fire(48, 16, 48),
        )
        self.classifier = nn.Conv2d(96, 10, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        x = self.classifier(self.features(x))
        return torch.flatten(self.pool(x), 1)


MODELS = {
    "lenet": (LeNet, "LeNet-5: conv5x5(1->6,pad2)+ReLU+MaxPool, conv5x5(6->16)+ReLU+MaxPool, "
                     "FC 400->120->84->10 (ReLU). Exercises Conv, MaxPool, Gemm."),
    "resnet": (ResNet8, "ResNet-8: conv3x3 stem + BN, three basic residual blocks (16/32/64 channels, "
                        "stride-2 downsampling with 1x1 conv+BN shortcut), global average pool, FC 64->10. "
                        "Exercises BatchNormalization, Add, GlobalAveragePool."),
    "dwsep": (DWSep, "MobileNet-style depthwise-separable CNN with BN and ReLU6 (Clip 0..6), AvgPool2d and "
                     "global average pool, FC 96->10. Exercises grouped (depthwise) Conv, Clip, AveragePool."),
    "squeeze": (SqueezeNet, "SqueezeNet-style: conv3x3 stem, 3 fire modules with BN (squeeze 1x1, expand 1x1 + 3x3 "
                            "concatenated), MaxPool, final 1x1 conv to 10 channels + global average pool. "
                            "Exercises Concat and a conv classifier."),
}

# Epochs/learning rate per model, chosen so each trains in a few minutes on 2 CPU cores.
DEFAULTS = {
    "lenet": dict(epochs=8, lr=2e-3),
    "resnet": dict(epochs=3, lr=3e-3),
    "dwsep": dict(epochs=10, lr=4e-3),
    "squeeze": dict(epochs=6, lr=4e-3),
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def count_macs(model):
    """Multiply-accumulates of Conv2d and Linear layers for one 1x1x28x28 input."""
    macs = 0
    hooks = []

    def conv_hook(m, inp, out):
        nonlocal macs
        kh, kw = m.kernel_size
        macs += out.numel() * (m.in_channels // m.groups) * kh * kw

    def fc_hook(m, inp, out):
        nonlocal macs
        macs += m.in_features * m.out_features

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(fc_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, 28, 28))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return macs


def evaluate(model, x, y, bs=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / len(x)


def train(name, model, xtr, ytr, xte, yte, epochs, lr, seed, bs=128):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(xtr) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    for ep in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for i in range(0, len(xtr), bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, xte, yte)
        print(f"[{name}] epoch {ep + 1}/{epochs} loss {total / len(xtr):.4f} "
              f"test acc {acc:.4f} ({time.time() - t0:.1f}s)", flush=True)
    return acc


def export_onnx(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    # TrainingMode.PRESERVE with the model in eval mode skips the exporter's eval-mode
    # Conv+BatchNormalization fusion, so BN layers stay as BatchNormalization nodes
    # (inference form, running statistics). Constant folding is still applied.
    torch.onnx.export(
        model, dummy, path,
        opset_version=13,
        input_names=["input"], output_names=["logits"],
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.PRESERVE,
    )
    _inline_identity_initializers(path)


def _inline_identity_initializers(path):
    """Leave only compute ops in the graph:
    - the exporter deduplicates bit-identical parameters (e.g. two BN biases that are equal) into
      one initializer plus Identity nodes; give each its own initializer instead;
    - Constant nodes (the min/max inputs of Clip for ReLU6) become initializers."""
    import onnx
    m = onnx.load(path)
    inits = {t.name: t for t in m.graph.initializer}
    keep = []
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[n.input[0]])
            t.name = n.output[0]
            m.graph.initializer.append(t)
            inits[t.name] = t
        elif n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            t = onnx.TensorProto()
            t.CopyFrom(n.attribute[0].t)
            t.name = n.output[0]
            m.graph.initializer.append(t)
            inits[t.name] = t
        else:
            keep.append(n)
    if len(keep) != len(m.graph.node):
        del m.graph.node[:]
        m.graph.node.extend(keep)
        onnx.save(m, path)


def check_onnx(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = []
    for n in m.graph.node:
        if n.op_type not in ops:
            ops.append(n.op_type)
    allowed = {"Conv", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
               "BatchNormalization", "Add", "Concat", "Flatten", "Reshape", "Gemm", "MatMul"}
    bad = [o for o in ops if o not in allowed]
    if bad:
        raise RuntimeError(f"{path}: non-standard ops {bad}")
    counts = {}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


def write_shared_data(xtr, xte, yte, seed):
    os.makedirs(DATA_OUT, exist_ok=True)
    np.save(os.path.join(DATA_OUT, "test-images-16.npy"), xte[:16].numpy().astype(np.float32))
    np.save(os.path.join(DATA_OUT, "test-labels-16.npy"), yte[:16].numpy().astype(np.int64))
    np.save(os.path.join(DATA_OUT, "sample.npy"), xte[:1].numpy().astype(np.float32))
    rng = np.random.RandomState(seed)
    idx = np.sort(rng.choice(len(xtr), 256, replace=False))
    np.save(os.path.join(DATA_OUT, "calib-256.npy"), xtr[idx].numpy().astype(np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="all", help="|".join(MODELS) + "|all")
    ap.add_argument("--epochs", type=int, default=None, help="override the per-model default")
    ap.add_argument("--lr", type=float, default=None, help="override the per-model default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 is fastest on a busy 2-core machine; OpenMP spin-waits)")
    args = ap.parse_args()

    names = list(MODELS) if args.model == "all" else args.model.split(",")
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model {n!r}")

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    np.random.seed(args.seed)

    xtr, ytr = fmnist.load("train")
    xte, yte = fmnist.load("test")
    xtr, ytr, xte, yte = map(torch.from_numpy, (xtr, ytr, xte, yte))
    write_shared_data(xtr, xte, yte, args.seed)

    meta_path = os.path.join(HERE, "models.json")

    for name in names:
        cls, desc = MODELS[name]
        cfg = dict(DEFAULTS[name])
        if args.epochs is not None:
            cfg["epochs"] = args.epochs
        if args.lr is not None:
            cfg["lr"] = args.lr
        torch.manual_seed(args.seed)
        model = cls()
        params = sum(p.numel() for p in model.parameters())
        macs = count_macs(model)
        print(f"[{name}] params {params} MACs {macs} epochs {cfg['epochs']} lr {cfg['lr']}", flush=True)
        t0 = time.time()
        acc = train(name, model, xtr, ytr, xte, yte, cfg["epochs"], cfg["lr"], args.seed)
        model.eval()

        onnx_path = os.path.join(HERE, f"{name}.onnx")
        export_onnx(model, onnx_path)
        ops = check_onnx(onnx_path)
        with torch.no_grad():
            expected = model(xte[:16]).numpy().astype(np.float32)
        np.save(os.path.join(HERE, f"{name}.expected-16.npy"), expected)
        size = os.path.getsize(onnx_path)
        print(f"[{name}] acc {acc:.4f} onnx {size} bytes ops {ops} ({time.time() - t0:.0f}s)", flush=True)

        meta = {}
        if os.path.exists(meta_path):  # re-read: another run may have updated other models
            with open(meta_path) as f:
                meta = json.load(f)
        meta[name] = {
            "file": f"{name}.onnx",
            "accuracy": round(acc, 4),
            "params": params,
            "macs": macs,
            "description": desc,
            "epochs": cfg["epochs"],
            "onnx_ops": ops,
        }
        with open(meta_path, "w") as f:
            json.dump({k: meta[k] for k in MODELS if k in meta}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
