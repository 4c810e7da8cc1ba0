"""The case: store, vault, audit log, importers and bundles. Qt-free."""

__version__ = "0.1.0"
