"""The engine: settings, data, the LeNet model, the training loop and the events it yields.

Plain torch; it imports nothing from lenet_tui.runs or lenet_tui.ui (tests/test_layers.py).
"""
