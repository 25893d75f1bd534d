"""Tests of generator/runtime/machinery, one module per machinery module."""
