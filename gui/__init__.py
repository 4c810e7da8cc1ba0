"""The PySide6 desktop face of Tideline."""
