"""Readers for the official on-disk formats of CIFAR-100, Tiny-ImageNet and ImageNet."""

from pkg_nas.data import cifar100, imagenet, tiny_imagenet

CHECKS = {"cifar100": cifar100.check, "tiny-imagenet": tiny_imagenet.check, "imagenet": imagenet.check}

__all__ = ["CHECKS", "cifar100", "imagenet", "tiny_imagenet"]
