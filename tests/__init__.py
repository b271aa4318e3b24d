"""Test suite of Orion on Django (a package so test modules are importable as ``tests.*``)."""
