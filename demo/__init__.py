"""Demonstration data: realistic synthetic feedback in bulk (``manage.py generate_feedback``).

Nothing in the product imports this package; it writes items through the product's models.
"""
