"""IPR Guard: batch analytics against counterfeit sellers on a marketplace (PySpark + Delta Lake)."""
from setuptools import find_packages, setup

setup(
    name="ipr-guard",
    version="0.1.0",
    description="Nightly PySpark/Delta jobs that flag counterfeit sellers and publish enforcement KPIs",
    package_dir={"": "lib"},
    packages=find_packages("lib"),
    python_requires=">=3.11,<3.12",
    # Pinned together on purpose (see README, "Dependencies"): pyspark 4.1 because
    # great-expectations 1.24 declares pyspark<4.2 and delta-spark 4.4 accepts <=4.2.0;
    # pandas 2.x because pyspark's assertDataFrameEqual breaks on pandas 3.
    install_requires=[
        "pyspark==4.1.4",
        "delta-spark==4.4.0",
        "great-expectations==1.24.1",
        "mlflow==3.17.2",
        "matplotlib==3.11.2",
        "pandas==2.3.3",
        "numpy==2.4.6",
        "pyarrow==25.0.1",
        "PyYAML==6.0.4",
    ],
    extras_require={
        "dev": ["pytest==9.2.0", "deltalake==1.6.6", "duckdb==2.0.1", "playwright==1.65.2",
                "pyahocorasick==2.3.1", "pytest-xdist==3.8.0"],
    },
    entry_points={"console_scripts": ["ipr-guard=ipr_guard.cli:main"]},
)
