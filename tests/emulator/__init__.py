"""Tests of recrubo_async.testing (the emulator)."""
