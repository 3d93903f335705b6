"""Privacy requests (erasure, analytics opt-out) and column-restricted sharing with affiliates.

See `../shared/contract/README.md`, "Personal data".
"""
