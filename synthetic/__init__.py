"""Synthetic evidence: seeded, plainly fictional adverts, reposts, screenshots and exports.

`generate(out_dir, n_files, seed)` writes a collection and its truth.json; see
synthetic.generator for the folder layout and the truth schema.
"""

from synthetic.generator import GenerationReport, generate

__all__ = ["GenerationReport", "generate"]
