"""Reading and linking evidence: OCR, hashes, photo regions, selectors, links. Qt-free."""
