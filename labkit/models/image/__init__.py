"""Image encoders (05_multimodal_fusion): the ImageNet-pretrained EfficientNet-Lite0 as a feature extractor."""
