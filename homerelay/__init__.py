"""homerelay: a voice- and text-controlled smart home for the Raspberry Pi."""

__version__ = "0.1.0"
