"""Lumen CI: release-readiness gates, supply-chain evidence and flipback for GitHub Actions."""

__version__ = "0.1.0"
