"""HDX: the Health Data Exchange service, its party agent and the protocols they share."""

__version__ = "0.1.0"
