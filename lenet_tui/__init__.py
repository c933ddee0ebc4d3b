"""lenet-tui: train LeNet-5 on Fashion-MNIST and watch it learn, in a terminal or headless."""

__version__ = "0.1.0"
