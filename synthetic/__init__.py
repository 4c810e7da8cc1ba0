"""Synthetic evidence: seeded, plainly fictional adverts, reposts, screenshots and exports."""
