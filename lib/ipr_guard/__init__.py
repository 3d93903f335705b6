"""IPR Guard: nightly PySpark/Delta jobs that flag counterfeit sellers and publish enforcement KPIs."""

__version__ = "0.1.0"
