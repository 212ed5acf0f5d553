#!/usr/bin/env python3
"""Exports standard CNNs (ResNet-18, MobileNetV2, MobileNetV3-small, a small UNet) to ONNX with seeded random weights.

torchvision is not needed: the architectures are written out here following torchvision's definitions
(torchvision.models.resnet / mobilenetv2 / mobilenetv3) so the exported graphs have the same op structure.
BatchNorm running statistics and affine parameters are randomised so BN folding is exercised, and the model is
exported in eval mode with the BatchNormalization nodes kept (the compiler folds them). Beside model.onnx the script writes calib.npy (random calibration images, N(0,1)) and
expected.npy (the float model's outputs on those images, from PyTorch, for a cross-check of the float importer).

Usage: python3 examples/zoo/export.py MODEL [--width W] [--size S] [--calib N] [--seed N] [--opset N] [--out DIR]
  MODEL: resnet18 | mobilenetv2 | mobilenetv3small | unet
  resnet18 --size 32 (the default for resnet18) is the CIFAR-style stem: 3x3 stride-1 conv, no max pool, 11.7M params
  at --width 1 with 1000 classes (torchvision's head). --size 224 gives the ImageNet stem (7x7 stride 2 + max pool).
"""
import argparse
import os
import sys

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def make_divisible(v, divisor=8, min_value=None):
    """torchvision's _make_divisible: channel counts rounded to a multiple of 8, never below 90% of v."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def ch(c, width):
    return make_divisible(c * width)


# ---------------------------------------------------------------- ResNet-18 (torchvision.models.resnet.BasicBlock)
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet18(nn.Module):
    def __init__(self, width=1.0, num_classes=1000, cifar_stem=True):
        super().__init__()
        planes = [max(8, int(round(p * width))) for p in (64, 128, 256, 512)]
        self.inplanes = planes[0]
        if cifar_stem:
            # The usual CIFAR adaptation: 3x3 stride-1 stem, no max pool (32x32 inputs keep 4x4 at layer4).
            self.conv1 = nn.Conv2d(3, planes[0], 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(3, planes[0], 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(planes[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(planes[0], 2)
        self.layer2 = self._make_layer(planes[1], 2, 2)
        self.layer3 = self._make_layer(planes[2], 2, 2)
        self.layer4 = self._make_layer(planes[3], 2, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(planes[3], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------- MobileNetV2 (torchvision.models.mobilenetv2)
def conv_bn_act(inp, out, k=3, stride=1, groups=1, act=nn.ReLU6):
    layers = [nn.Conv2d(inp, out, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(out)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(conv_bn_act(inp, hidden, 1))
        layers += [conv_bn_act(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, width=1.0, num_classes=1000):
        super().__init__()
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]
        input_channel = ch(32, width)
        last_channel = ch(1280, max(1.0, width))
        features = [conv_bn_act(3, input_channel, stride=2)]
        for t, c, n, s in setting:
            output_channel = ch(c, width)
            for i in range(n):
                features.append(InvertedResidual(input_channel, output_channel, s if i == 0 else 1, t))
                input_channel = output_channel
        features.append(conv_bn_act(input_channel, last_channel, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last_channel, num_classes))
        init_weights(self)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


# ---------------------------------------------------------------- MobileNetV3-small (torchvision.models.mobilenetv3)
class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation with MobileNetV3's activations: ReLU inside, Hardsigmoid gate."""

    def __init__(self, input_channels, squeeze_channels):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x):
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return s * x


class InvertedResidualV3(nn.Module):
    def __init__(self, inp, kernel, expanded, out, use_se, act, stride):
        super().__init__()
        self.use_res_connect = stride == 1 and inp == out
        layers = []
        if expanded != inp:
            layers.append(conv_bn_act(inp, expanded, 1, act=act))
        layers.append(conv_bn_act(expanded, expanded, kernel, stride, groups=expanded, act=act))
        if use_se:
            layers.append(SqueezeExcitation(expanded, make_divisible(expanded // 4, 8)))
        layers.append(conv_bn_act(expanded, out, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.block(x) if self.use_res_connect else self.block(x)


class MobileNetV3Small(nn.Module):
    def __init__(self, width=1.0, num_classes=1000):
        super().__init__()
        RE, HS = nn.ReLU, nn.Hardswish
        # (input, kernel, expanded, out, use_se, activation, stride): torchvision's mobilenet_v3_small config.
        cfg = [(16, 3, 16, 16, True, RE, 2), (16, 3, 72, 24, False, RE, 2), (24, 3, 88, 24, False, RE, 1),
               (24, 5, 96, 40, True, HS, 2), (40, 5, 240, 40, True, HS, 1), (40, 5, 240, 40, True, HS, 1),
               (40, 5, 120, 48, True, HS, 1), (48, 5, 144, 48, True, HS, 1), (48, 5, 288, 96, True, HS, 2),
               (96, 5, 576, 96, True, HS, 1), (96, 5, 576, 96, True, HS, 1)]
        first = ch(16, width)
        layers = [conv_bn_act(3, first, 3, 2, act=HS)]
        for inp, k, exp, out, se, act, s in cfg:
            layers.append(InvertedResidualV3(ch(inp, width), k, ch(exp, width), ch(out, width), se, act, s))
        last_in = ch(96, width)
        last_conv = 6 * last_in
        layers.append(conv_bn_act(last_in, last_conv, 1, act=HS))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last_channel = ch(1024, width)
        self.classifier = nn.Sequential(nn.Linear(last_conv, last_channel), nn.Hardswish(inplace=True),
                                        nn.Dropout(0.2), nn.Linear(last_channel, num_classes))
        init_weights(self)

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ---------------------------------------------------------------- a small UNet (Ronneberger et al., reduced)
def double_conv(inp, out):
    return nn.Sequential(nn.Conv2d(inp, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True),
                         nn.Conv2d(out, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """Three levels down, three up: the two deepest decoders use ConvTranspose (k2 s2), the shallowest
    nearest Upsample + 1x1 conv, every decoder concatenates its encoder's features (skip connection)."""

    def __init__(self, width=1.0, classes=2):
        super().__init__()
        c = [max(4, int(round(v * width))) for v in (16, 32, 64, 128)]
        self.inc = double_conv(3, c[0])
        self.down = nn.ModuleList([double_conv(c[i], c[i + 1]) for i in range(3)])
        self.up3 = nn.ConvTranspose2d(c[3], c[2], 2, 2)
        self.dec3 = double_conv(2 * c[2], c[2])
        self.up2 = nn.ConvTranspose2d(c[2], c[1], 3, 2, padding=1, output_padding=1)
        self.dec2 = double_conv(2 * c[1], c[1])
        self.up1 = nn.Sequential(nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(c[1], c[0], 1))
        self.dec1 = double_conv(2 * c[0], c[0])
        self.outc = nn.Conv2d(c[0], classes, 1)
        init_weights(self)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down[0](F.max_pool2d(x1, 2))
        x3 = self.down[1](F.max_pool2d(x2, 2))
        x4 = self.down[2](F.max_pool2d(x3, 2))
        y = self.dec3(torch.cat([self.up3(x4), x3], 1))
        y = self.dec2(torch.cat([self.up2(y), x2], 1))
        y = self.dec1(torch.cat([self.up1(y), x1], 1))
        return self.outc(y)


def init_weights(model):
    """torchvision's MobileNet init: kaiming fan_out convs, N(0, 0.01) linears, zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode='fan_out')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def randomise_bn(model, gen):
    """Non-trivial BatchNorm statistics and affine parameters, so the compiler's BN folding has work to do.
    The running variance follows each channel's actual pre-BN variance scale loosely (0.5x..2x of 1) and gamma is
    kept moderate so activations neither vanish nor explode through 50+ random layers."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) * 0.6 + 0.7)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


def calibrate_bn(model, x):
    """Sets every BN's running statistics to the batch statistics on x (one forward pass in train mode), then blends
    in the random ones: a random-weight network then keeps unit-scale activations at every depth, as a trained one
    does, instead of growing or collapsing geometrically (which would make SQNR meaningless)."""
    saved = {m: (m.running_mean.clone(), m.running_var.clone()) for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    for m in saved:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: one batch gives exactly the batch statistics
    model.train()
    with torch.no_grad():
        model(x)
    model.eval()
    for m, (mean, var) in saved.items():
        m.running_mean.add_(mean)
        m.running_var.mul_(var)


MODELS = {'resnet18': ResNet18, 'mobilenetv2': MobileNetV2, 'mobilenetv3small': MobileNetV3Small, 'unet': UNet}
DEFAULT_SIZE = {'resnet18': 32, 'mobilenetv2': 224, 'mobilenetv3small': 224, 'unet': 64}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model', choices=sorted(MODELS))
    ap.add_argument('--width', type=float, default=1.0, help='channel width multiplier (default 1)')
    ap.add_argument('--size', type=int, help='input height = width (default: 32 resnet18, 224 mobilenets, 64 unet)')
    ap.add_argument('--classes', type=int, help='output classes (default 1000; unet 2 segmentation classes)')
    ap.add_argument('--calib', type=int, default=64, help='calibration images written to calib.npy (default 64)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--opset', type=int, help="ONNX opset (default: torch's default)")
    ap.add_argument('--torch-folds-bn', action='store_true',
                    help="let torch fold BatchNorm into the convolutions (default: keep BatchNormalization nodes so the compiler folds them)")
    ap.add_argument('--out', default='.', help='output directory (model.onnx, calib.npy, expected.npy)')
    a = ap.parse_args()
    size = a.size or DEFAULT_SIZE[a.model]
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed + 1)
    kw = {'width': a.width}
    if a.classes:
        kw['classes' if a.model == 'unet' else 'num_classes'] = a.classes
    if a.model == 'resnet18':
        kw['cifar_stem'] = size <= 64
    model = MODELS[a.model](**kw)
    randomise_bn(model, gen)
    calib = torch.randn(a.calib, 3, size, size, generator=gen)
    calibrate_bn(model, torch.randn(max(8, min(a.calib, 32)), 3, size, size, generator=gen))
    model.eval()
    with torch.no_grad():
        expected = model(calib)
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, 'model.onnx')
    kwargs = {'opset_version': a.opset} if a.opset else {}
    if not a.torch_folds_bn:
        # PRESERVE with the model in eval mode: inference-mode BatchNormalization nodes, not folded by torch's peephole.
        kwargs['training'] = torch.onnx.TrainingMode.PRESERVE
    torch.onnx.export(model, calib[:1], path, input_names=['input'], output_names=['output'],
                      do_constant_folding=True, **kwargs)
    np.save(os.path.join(a.out, 'calib.npy'), calib.numpy().astype(np.float32))
    np.save(os.path.join(a.out, 'expected.npy'), expected.numpy().astype(np.float32))
    params = sum(p.numel() for p in model.parameters())
    print(f'{a.model} width {a.width} size {size}: {params} parameters -> {path}', file=sys.stderr)


if __name__ == '__main__':
    main()
