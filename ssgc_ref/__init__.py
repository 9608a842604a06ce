"""SSGC reference codec (informative encoder, normative decoder), VVC ROI encoder, generators, CLI."""

__version__ = "0.1.0"
