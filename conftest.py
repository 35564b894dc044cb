"""Lets pytest import the project from a plain checkout too."""
