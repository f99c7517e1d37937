"""FTPROP-MB in PyTorch (placeholder; filled by the mini-batch engine)."""
