"""treefix: repairs repositories whose tests fail."""

__version__ = "0.1.0"
