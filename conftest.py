"""pytest configuration shared by tests/ and the nbval run over notebooks/."""


def pytest_collectstart(collector):
    """nbval: compare text outputs only; images and HTML tables vary with library versions."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("image/png", "image/svg+xml", "text/html", "application/javascript", "stderr")
