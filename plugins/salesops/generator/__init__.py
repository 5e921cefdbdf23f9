"""Synthetic CRM, contract and HR extracts that behave like the real thing, at any scale.

`generate()` simulates the whole timeline (three years of history before the first night,
plus the nights themselves) as column arrays, then writes, for each night, a full extract on
the first night and incremental extracts (rows created or changed that day) after it, with
planted defects recorded in a manifest. Everything is vectorised with numpy and written in
chunks, so even `--scale 1` (about 20M rows) keeps memory flat.
"""

from salesops.generator.run import GenerationResult, generate

__all__ = ["GenerationResult", "generate"]
