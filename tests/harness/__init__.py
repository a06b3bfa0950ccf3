"""Test harness shared by the whole suite: real servers, the GitHub double, the action runner."""
