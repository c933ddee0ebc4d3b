"""The dashboard (Textual): an App, its screens and widgets. It renders what the run driver
yields and never trains or calls autograd itself (tests/test_layers.py)."""
