"""Flipback adapters: histories and actions on GitHub Deployments, Helm, Argo Rollouts, Argo CD."""
